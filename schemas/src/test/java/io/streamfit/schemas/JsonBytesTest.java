package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * The direct writer ({@link JsonBytes}) of object predictions, sums and per-timestep records
 * writes exactly the generator's bytes, for every kind of value the records hold, and hands what
 * it cannot write plainly (strings to escape, non-finite numbers) to the generator.
 */
class JsonBytesTest {

    private static final int RECORDS = 20_000;

    /** What the codec's generator path writes. */
    private static <T> String viaGenerator(T value, JsonCodec<T> codec) throws IOException {
        ByteArrayBuilder out = new ByteArrayBuilder();
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            codec.write(value, g);
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    /** What the codec's direct path writes, or null where it declines. */
    private static <T> String direct(T value, JsonCodec<T> codec) {
        JsonBytes out = new JsonBytes();
        return codec.write(value, out) ? new String(out.toByteArray(), StandardCharsets.US_ASCII) : null;
    }

    private static <T> void same(T value, JsonCodec<T> codec) throws IOException {
        String expected = viaGenerator(value, codec);
        String direct = direct(value, codec);
        if (direct != null) {
            assertThat(direct).as("direct bytes of %s", value).isEqualTo(expected);
        }
        assertThat(new String(Json.write(value, codec), StandardCharsets.UTF_8)).as("Json.write of %s", value)
                .isEqualTo(expected);
    }

    /** Reals of every kind the outputs hold: float32 predictions, short and long decimals, extremes. */
    private static double real(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> (float) (r.nextGaussian() * 3);
            case 1 -> Math.round(r.nextGaussian() * 30_000) / 10_000.0;
            case 2 -> r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
            case 3 -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(60) - 30));
            case 4 -> r.nextInt(2001) - 1000;
            case 5 -> r.nextBoolean() ? 0.0 : -0.0;
            case 6 -> new double[] {Double.MIN_VALUE, Double.MAX_VALUE, Float.MIN_VALUE, Float.MAX_VALUE, 1e7, 1e-3,
                9_999_999.5, 0.001, 1e22, 1e23}[r.nextInt(10)];
            case 7 -> Double.longBitsToDouble(r.nextLong() & 0x7fefffffffffffffL);
            case 8 -> Float.intBitsToFloat(r.nextInt() & 0x7f7fffff);
            default -> r.nextDouble();
        };
    }

    private static String id(Random r, String prefix) {
        return r.nextInt(50) == 0 ? "" : prefix + r.nextInt(1_000_000);
    }

    private static String variant(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> null;
            case 1 -> "challenger-" + r.nextInt(3);
            default -> "champion";
        };
    }

    private static List<Double> reals(Random r) {
        List<Double> v = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            v.add(real(r));
        }
        return v;
    }

    @Test
    void objectPredictionsAreTheGeneratorsBytes() throws IOException {
        Random r = new Random(7);
        for (int i = 0; i < RECORDS; i++) {
            ObjectPrediction p = new ObjectPrediction(id(r, "series-"), r.nextLong(), id(r, "obj-"), real(r),
                    r.nextBoolean() ? real(r) : null, r.nextLong() >>> r.nextInt(64), variant(r), r.nextInt(),
                    r.nextInt(5) == 0 ? reals(r) : null, r.nextInt(5) == 0 ? r.nextInt() : null);
            same(p, OutputJson.OBJECT_PREDICTION);
        }
    }

    @Test
    void sumsAreTheGeneratorsBytes() throws IOException {
        Random r = new Random(11);
        for (int i = 0; i < RECORDS; i++) {
            SumPrediction s = new SumPrediction(id(r, "series-"), r.nextLong(), real(r), r.nextBoolean() ? real(r) : null,
                    r.nextInt(), r.nextLong(), variant(r), r.nextInt(3), r.nextInt(5) == 0 ? reals(r) : null);
            same(s, OutputJson.SUM_PREDICTION);
        }
    }

    @Test
    void perTimestepRecordsAreTheGeneratorsBytes() throws IOException {
        Random r = new Random(13);
        for (int i = 0; i < RECORDS / 10; i++) {
            List<PredictedObject> objects = new ArrayList<>();
            for (int k = r.nextInt(40); k > 0; k--) {
                objects.add(new PredictedObject(id(r, "o"), real(r), r.nextBoolean() ? real(r) : null,
                        r.nextInt(8) == 0 ? reals(r) : null, r.nextInt(8) == 0 ? r.nextInt(10) : null));
            }
            TimestepPredictions t = new TimestepPredictions(id(r, "series-"), r.nextLong(), r.nextLong(), variant(r),
                    r.nextInt(), objects);
            same(t, OutputJson.TIMESTEP_PREDICTIONS);
        }
    }

    @Test
    void stringsToEscapeOrEncodeGoToTheGenerator() throws IOException {
        for (String s : List.of("a\"b", "back\\slash", "tab\there", "line\nfeed", "\u0001", "caf\u00e9", "\u20ac",
                "\ud83d\ude00", "del\u007f")) {
            ObjectPrediction p = new ObjectPrediction(s, 1L, s, 0.5, 0.25, 3L, s, 0, null, null);
            assertThat(direct(p, OutputJson.OBJECT_PREDICTION)).as(s).isNull();
            same(p, OutputJson.OBJECT_PREDICTION);
            same(new TimestepPredictions("s", 1L, 2L, "champion", 0,
                    List.of(new PredictedObject(s, 0.5, null, null, null))), OutputJson.TIMESTEP_PREDICTIONS);
        }
        // Printable ASCII, '/' and the rest, is written as it is.
        ObjectPrediction plain = new ObjectPrediction(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~", 1L, "o", 0.5, null, 3L,
                "champion", 0, null, null);
        assertThat(direct(plain, OutputJson.OBJECT_PREDICTION)).isNotNull();
        same(plain, OutputJson.OBJECT_PREDICTION);
    }

    @Test
    void nonFiniteNumbersGoToTheGenerator() throws IOException {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            ObjectPrediction p = new ObjectPrediction("s", 1L, "o", bad, null, 3L, "champion", 0, null, null);
            assertThat(direct(p, OutputJson.OBJECT_PREDICTION)).isNull();
            assertThat(new String(Json.write(p, OutputJson.OBJECT_PREDICTION), StandardCharsets.UTF_8))
                    .contains("\"prediction\":\"" + bad + "\"");
            same(new SumPrediction("s", 1L, 1.0, bad, 2, 3L, null, 0, null), OutputJson.SUM_PREDICTION);
            same(new SumPrediction("s", 1L, 1.0, null, 2, 3L, null, 0, List.of(1.0, bad)), OutputJson.SUM_PREDICTION);
        }
    }

    @Test
    void aMissingRequiredFieldFailsAsTheGeneratorWouldAndTheNextRecordStandsAlone() {
        ObjectPrediction noSeries = new ObjectPrediction(null, 1L, "o", 0.5, null, 3L, "champion", 0, null, null);
        assertThatThrownBy(() -> Json.write(noSeries, OutputJson.OBJECT_PREDICTION))
                .isInstanceOf(SerializationException.class).hasMessageContaining("series");
        ObjectPrediction ok = new ObjectPrediction("s", 1L, "o", 0.5, null, 3L, "champion", 0, null, null);
        assertThat(new String(Json.write(ok, OutputJson.OBJECT_PREDICTION), StandardCharsets.UTF_8)).isEqualTo(
                "{\"series\":\"s\",\"timestep\":1,\"object\":\"o\",\"prediction\":0.5,\"modelVersion\":3,"
                        + "\"variant\":\"champion\",\"generation\":0}");
    }
    /** What the generator writes for a real: the float's shortest decimal or the double's. */
    private static String schubfach(double v) {
        return (double) (float) v == v ? NumberOutput.toString((float) v, true) : NumberOutput.toString(v, true);
    }

    private static String real(double v) {
        JsonBytes out = new JsonBytes();
        assertThat(out.real(v)).isTrue();
        return new String(out.toByteArray(), StandardCharsets.US_ASCII);
    }

    @Test
    void shortDecimalsAndTheirNeighboursAreWrittenAsSchubfachWritesThem() {
        Random r = new Random(17);
        long[] scales = {1, 10, 100, 1_000, 10_000};
        int checked = 0;
        for (int i = 0; i < 400_000; i++) {
            // Integer parts of 0 to 7 digits, 0 to 4 decimals, either sign.
            long scale = scales[r.nextInt(scales.length)];
            long m = (long) (r.nextDouble() * Math.pow(10, r.nextInt(8))) * scale + r.nextInt((int) scale);
            double v = (r.nextBoolean() ? -1 : 1) * (m / (double) scale);
            for (double x : new double[] {v, Math.nextUp(v), Math.nextDown(v)}) {
                assertThat(real(x)).as("%s", x).isEqualTo(schubfach(x));
                checked++;
            }
        }
        // Around the ends of the plain range and of the 4-decimal grid.
        for (double edge : new double[] {1e-3, 1e7, 9_999_999.9999, 0.0011, 0.0001, 0.00099, 1e-4, 5e-4, 1.0001}) {
            for (double x : new double[] {edge, -edge, Math.nextUp(edge), Math.nextDown(edge)}) {
                assertThat(real(x)).as("%s", x).isEqualTo(schubfach(x));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(1_000_000);
    }
}
