package io.streamfit.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class OutputJsonTest {

    @Test
    void float32PredictionsPrintAsTheirShortestFloatDecimal() {
        ObjectPrediction p = ObjectPrediction.newBuilder().setSeries("s").setTimestep(1).setObject("o")
                .setPrediction(12.31f).setTarget(0.1).setModelVersion(3).build();
        String json = new String(StreamfitSerdes.objectPrediction().serializer().serialize("t", p), UTF_8);
        // A float widened to double would print 12.3100004196167; 0.1 is not a float and stays a double.
        assertThat(json).isEqualTo("{\"series\":\"s\",\"timestep\":1,\"object\":\"o\",\"prediction\":12.31,"
                + "\"target\":0.1,\"modelVersion\":3,\"variant\":\"champion\",\"generation\":0}");
        ObjectPrediction back = StreamfitSerdes.objectPrediction().deserializer().deserialize("t", json.getBytes(UTF_8));
        assertThat((float) back.getPrediction()).isEqualTo(12.31f);
    }

    // The output examples of design.md, with the fields its Model lifecycle section adds after modelVersion.
    private static final String LIFECYCLE = ",\"variant\":\"champion\",\"generation\":0}";
    static final String OBJECT_EXAMPLE =
            "{\"series\":\"plant-7\",\"timestep\":1042,\"object\":\"turbine-1\",\"prediction\":12.31,\"target\":12.5,\"modelVersion\":5321" + LIFECYCLE;
    static final String SUM_EXAMPLE =
            "{\"series\":\"plant-7\",\"timestep\":1042,\"prediction\":24.9,\"sumTarget\":25.1,\"objects\":3,\"modelVersion\":5321" + LIFECYCLE;
    static final String ANOMALY_EXAMPLE =
            "{\"series\":\"plant-7\",\"timestep\":1042,\"object\":\"turbine-1\",\"score\":0.0132,\"threshold\":0.0210,\"anomaly\":false,\"modelVersion\":311" + LIFECYCLE;

    @Test
    void outputsWrittenBeforeTheLifecycleReadAsTheChampionsFirstGeneration() {
        String old = "{\"series\":\"plant-7\",\"timestep\":1042,\"object\":\"turbine-1\",\"prediction\":12.31,"
                + "\"target\":12.5,\"modelVersion\":5321}";
        ObjectPrediction p = StreamfitSerdes.objectPrediction().deserializer().deserialize("t", old.getBytes(UTF_8));
        assertThat(p.getVariant()).hasToString("champion");
        assertThat(p.getGeneration()).isZero();
        assertThat(text(StreamfitSerdes.objectPrediction().serializer().serialize("t", p))).isEqualTo(OBJECT_EXAMPLE);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, UTF_8);
    }

    // design.md, Output layout, with the lifecycle's fields after modelVersion and a second object.
    static final String TIMESTEP_EXAMPLE = "{\"series\":\"plant-7\",\"timestep\":1042,\"modelVersion\":5321,"
            + "\"variant\":\"champion\",\"generation\":0,\"objects\":[{\"id\":\"turbine-1\",\"prediction\":12.31,"
            + "\"target\":12.5},{\"id\":\"turbine-2\",\"prediction\":0.5}]}";

    @Test
    void timestepPredictionsAreTheContractExampleAndLeaveAbsentTargetsOut() {
        TimestepPredictions p = new TimestepPredictions("plant-7", 1042L, 5321L, "champion", 0, List.of(
                new PredictedObject("turbine-1", 12.31, 12.5, null, null),
                new PredictedObject("turbine-2", 0.5, null, null, null)));
        JsonSerde<TimestepPredictions> serde = StreamfitSerdes.timestepPredictions();

        assertThat(text(serde.serialize("object-predictions", p))).isEqualTo(TIMESTEP_EXAMPLE);
        assertThat(serde.deserialize("object-predictions", TIMESTEP_EXAMPLE.getBytes(UTF_8))).isEqualTo(p);
    }

    @Test
    void timestepPredictionsOfAClassifierCarryEachObjectsProbabilitiesAndClass() {
        TimestepPredictions p = new TimestepPredictions("s", 7L, 2L, "fast", 3, List.of(
                new PredictedObject("a", 0.75, 1.0, List.of(0.25, 0.75), 1)));
        String json = text(StreamfitSerdes.timestepPredictions().serialize("t", p));

        assertThat(json).isEqualTo("{\"series\":\"s\",\"timestep\":7,\"modelVersion\":2,\"variant\":\"fast\","
                + "\"generation\":3,\"objects\":[{\"id\":\"a\",\"prediction\":0.75,\"target\":1.0,"
                + "\"probabilities\":[0.25,0.75],\"predictedClass\":1}]}");
        assertThat(StreamfitSerdes.timestepPredictions().deserialize("t", json.getBytes(UTF_8))).isEqualTo(p);
    }

    @Test
    void timestepPredictionsRoundTripInAvroSingleObjectEncoding() {
        TimestepPredictions p = new TimestepPredictions("s", 7L, 2L, "champion", 0, List.of(
                new PredictedObject("a", 1.5, null, null, null), new PredictedObject("b", -2.0, 4.0, null, null)));
        AvroSerde<TimestepPredictions> avro = StreamfitSerdes.avro(TimestepPredictions.class);

        assertThat(avro.deserialize("t", avro.serialize("t", p))).isEqualTo(p);
    }

    @Test
    void aTimestepPredictionsObjectWithoutItsPredictionIsRejectedWithItsPath() {
        String json = "{\"series\":\"s\",\"timestep\":1,\"modelVersion\":1,\"objects\":[{\"id\":\"a\"}]}";
        Throwable e = catchThrowableOfType(
                () -> StreamfitSerdes.timestepPredictions().deserialize("t", json.getBytes(UTF_8)), Throwable.class);

        assertThat(e).hasMessageContaining("objects[0].prediction");
    }

    @Test
    void objectPredictionIsTheContractExampleCharacterForCharacter() {
        ObjectPrediction p = new ObjectPrediction("plant-7", 1042L, "turbine-1", 12.31, 12.5, 5321L, "champion", 0, null, null);
        JsonSerde<ObjectPrediction> serde = StreamfitSerdes.objectPrediction();

        assertThat(text(serde.serialize("object-predictions", p))).isEqualTo(OBJECT_EXAMPLE);
        assertThat(serde.deserialize("object-predictions", OBJECT_EXAMPLE.getBytes(UTF_8))).isEqualTo(p);
    }

    @Test
    void sumPredictionIsTheContractExampleCharacterForCharacter() {
        SumPrediction p = new SumPrediction("plant-7", 1042L, 24.9, 25.1, 3, 5321L, "champion", 0, null);
        JsonSerde<SumPrediction> serde = StreamfitSerdes.sumPrediction();

        assertThat(text(serde.serialize("sum-predictions", p))).isEqualTo(SUM_EXAMPLE);
        assertThat(serde.deserialize("sum-predictions", SUM_EXAMPLE.getBytes(UTF_8))).isEqualTo(p);
    }

    @Test
    void anomalyScoreIsTheContractExampleUpToTheTrailingZeroOfThreshold() {
        AnomalyScore s = new AnomalyScore("plant-7", 1042L, "turbine-1", 0.0132, 0.0210, false, 311L, "champion", 0);
        JsonSerde<AnomalyScore> serde = StreamfitSerdes.anomalyScore();

        // Shortest round-trip printing cannot reproduce the example's "0.0210": it prints 0.021,
        // the same double. Everything else matches character for character.
        assertThat(text(serde.serialize("anomaly-scores", s)))
                .isEqualTo(ANOMALY_EXAMPLE.replace("\"threshold\":0.0210", "\"threshold\":0.021"));
        assertThat(serde.deserialize("anomaly-scores", ANOMALY_EXAMPLE.getBytes(UTF_8))).isEqualTo(s);
    }

    @Test
    void classificationAddsProbabilitiesAndPredictedClassAfterModelVersion() {
        ObjectPrediction p = new ObjectPrediction("s", 1L, "o", 0.7, null, 2L, "champion", 0, List.of(0.1, 0.2, 0.7), 2);
        SumPrediction sum = new SumPrediction("s", 1L, 3.0, null, 3, 2L, "champion", 0, List.of(0.5, 1.0, 1.5));

        assertThat(text(StreamfitSerdes.objectPrediction().encode(p))).isEqualTo(
                "{\"series\":\"s\",\"timestep\":1,\"object\":\"o\",\"prediction\":0.7,\"modelVersion\":2,"
                        + "\"variant\":\"champion\",\"generation\":0,\"probabilities\":[0.1,0.2,0.7],\"predictedClass\":2}");
        assertThat(text(StreamfitSerdes.sumPrediction().encode(sum))).isEqualTo(
                "{\"series\":\"s\",\"timestep\":1,\"prediction\":3.0,\"objects\":3,\"modelVersion\":2,"
                        + "\"variant\":\"champion\",\"generation\":0,\"expectedCounts\":[0.5,1.0,1.5]}");
        assertThat(StreamfitSerdes.objectPrediction().decode(StreamfitSerdes.objectPrediction().encode(p))).isEqualTo(p);
        assertThat(StreamfitSerdes.sumPrediction().decode(StreamfitSerdes.sumPrediction().encode(sum))).isEqualTo(sum);
    }

    @Test
    void numbersPrintAsShortestRoundTripDecimals() {
        SumPrediction p = new SumPrediction("s", 1L, 0.1 + 0.2, 1e-7, 0, Long.MAX_VALUE, "champion", 0, List.of(100.0, 1e22, -0.0));

        String json = text(StreamfitSerdes.sumPrediction().encode(p));

        assertThat(json).isEqualTo("{\"series\":\"s\",\"timestep\":1,\"prediction\":0.30000000000000004,"
                + "\"sumTarget\":1.0E-7,\"objects\":0,\"modelVersion\":9223372036854775807,"
                + "\"variant\":\"champion\",\"generation\":0,\"expectedCounts\":[100.0,1.0E22,-0.0]}");
        assertThat(StreamfitSerdes.sumPrediction().decode(json.getBytes(UTF_8))).isEqualTo(p);
    }

    @Test
    void nonFiniteOutputsBecomeStringsAndReadBack() {
        ObjectPrediction p = new ObjectPrediction("s", 1L, "o", Double.NaN, Double.POSITIVE_INFINITY, 2L, "champion", 0,
                List.of(Double.NEGATIVE_INFINITY), null);

        byte[] bytes = StreamfitSerdes.objectPrediction().encode(p);

        assertThat(text(bytes)).contains("\"prediction\":\"NaN\"", "\"target\":\"Infinity\"", "[\"-Infinity\"]");
        ObjectPrediction back = StreamfitSerdes.objectPrediction().decode(bytes);
        // (Avro's generated equals compares doubles with ==, so NaN never equals itself there.)
        assertThat(back.getPrediction()).isNaN();
        assertThat(back.getTarget()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(back.getProbabilities()).containsExactly(Double.NEGATIVE_INFINITY);
    }

    @Test
    void readingSkipsUnknownFieldsAndTreatsNullOptionalsAsAbsent() {
        String json = "{\"v\":2,\"series\":\"s\",\"timestep\":1,\"object\":\"o\",\"prediction\":1,"
                + "\"target\":null,\"modelVersion\":2,\"probabilities\":null,\"predictedClass\":null,\"x\":{\"y\":[1]}}";

        assertThat(StreamfitSerdes.objectPrediction().decode(json.getBytes(UTF_8)))
                .isEqualTo(new ObjectPrediction("s", 1L, "o", 1.0, null, 2L, "champion", 0, null, null));
    }

    @Test
    void readingAMissingRequiredFieldNamesIt() {
        String json = "{\"series\":\"s\",\"timestep\":1,\"object\":\"o\",\"score\":1,\"threshold\":2,\"modelVersion\":3}";

        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> StreamfitSerdes.anomalyScore().decode(json.getBytes(UTF_8)));

        assertThat(e.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD);
        assertThat(e.getMessage()).isEqualTo("anomaly: required field is missing");
    }

    @Test
    void readingAWrongTypeNamesTheElement() {
        String json = "{\"series\":\"s\",\"timestep\":1,\"prediction\":1,\"objects\":1,\"modelVersion\":3,"
                + "\"expectedCounts\":[1,\"two\"]}";

        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> StreamfitSerdes.sumPrediction().decode(json.getBytes(UTF_8)));

        assertThat(e.reason()).isEqualTo(InvalidRecordException.WRONG_TYPE);
        assertThat(e.getMessage()).isEqualTo("expectedCounts[1]: expected a number, got STRING");
    }

    @Test
    void writingANullRequiredFieldFailsWithItsName() {
        ObjectPrediction p = new ObjectPrediction(null, 1L, "o", 1.0, null, 2L, "champion", 0, null, null);

        SerializationException e = catchThrowableOfType(SerializationException.class,
                () -> StreamfitSerdes.objectPrediction().serialize("t", p));

        assertThat(e).hasMessageContaining("ObjectPrediction.series is required");
    }
}
