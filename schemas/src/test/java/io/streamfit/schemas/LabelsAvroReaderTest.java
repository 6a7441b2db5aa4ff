package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamfit.schemas.avro.LabelsRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/**
 * Avro labels ({@link LabelsValue} with {@link LabelsAvroReader}): the same {@link Labels} and the
 * same refusals as the JSON, what Avro's own reader reads, and nothing but
 * {@link InvalidRecordException} out of corrupt values, without allocating what they declare.
 */
class LabelsAvroReaderTest {

    /**
     * The layout the reader is written for. When LabelsRecord.avsc changes, this fails: change the
     * reader with it (and keep the old fingerprint readable if producers still send it).
     */
    private static final String LAYOUT = "{\"name\":\"io.streamfit.schemas.avro.LabelsRecord\",\"type\":\"record\","
            + "\"fields\":[{\"name\":\"series\",\"type\":[\"null\",\"string\"]},{\"name\":\"timestep\",\"type\":\"long\"},"
            + "{\"name\":\"objects\",\"type\":{\"type\":\"array\",\"items\":{\"name\":"
            + "\"io.streamfit.schemas.avro.ObjectLabelRecord\",\"type\":\"record\",\"fields\":[{\"name\":\"id\","
            + "\"type\":\"string\"},{\"name\":\"target\",\"type\":[\"null\",\"double\"]},{\"name\":\"label\","
            + "\"type\":[\"null\",\"int\"]}]}}},{\"name\":\"sumTarget\",\"type\":[\"null\",\"double\","
            + "{\"type\":\"array\",\"items\":\"double\"}]}]}";

    private static Labels decode(byte[] value) {
        return LabelsValue.decode(value);
    }

    private static Labels avrosReading(byte[] value) {
        return LabelsAvro.fromRecord(LabelsAvro.SERDE.decode(value));
    }

    private static InvalidRecordException refusal(byte[] value) {
        return catchThrowableOfType(InvalidRecordException.class, () -> decode(value));
    }

    private static InvalidRecordException jsonRefusal(String json) {
        return refusal(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The marker and the current LabelsRecord fingerprint. */
    private static AvroBytes header() {
        AvroBytes b = new AvroBytes().raw(0xC3, 0x01);
        for (int i = 0; i < 8; i++) {
            b.raw((int) (LabelsAvroReader.FINGERPRINT >>> (8 * i)) & 0xFF);
        }
        return b;
    }

    @Test
    void theReaderIsWrittenForTheCurrentSchema() {
        assertThat(SchemaNormalization.toParsingForm(LabelsRecord.getClassSchema())).isEqualTo(LAYOUT);
        assertThat(LabelsAvroReader.FINGERPRINT)
                .isEqualTo(SchemaNormalization.parsingFingerprint64(LabelsRecord.getClassSchema()));
    }

    @Test
    void readsTheContractsExampleAsTheJsonReadsIt() {
        Labels l = new Labels("plant-7", 1042, List.of(new Labels.ObjectLabel("turbine-1", 12.5, null),
                new Labels.ObjectLabel("turbine-3", null, 2)), new double[] {25.1});

        byte[] avro = LabelsAvro.toBytes(l);

        assertThat(avro[0]).isEqualTo(AvroSerde.MAGIC_0);
        assertThat(decode(avro)).isEqualTo(l).isEqualTo(decode(LabelsJson.toBytes(l)));
    }

    @Test
    void readsPartialSumOnlyAndClassifierLabels() {
        Labels partial = new Labels(null, 3, List.of(new Labels.ObjectLabel("b", -0.25, null)), null);
        Labels sumOnly = new Labels("s", 4, List.of(), new double[] {7.5});
        Labels classes = new Labels("s", 5, List.of(new Labels.ObjectLabel("a", null, 0),
                new Labels.ObjectLabel("c", null, 2)), new double[] {1, 0, 1});

        for (Labels l : List.of(partial, sumOnly, classes)) {
            assertThat(decode(LabelsAvro.toBytes(l))).isEqualTo(l).isEqualTo(avrosReading(LabelsAvro.toBytes(l)));
        }
        assertThat(decode(LabelsAvro.toBytes(sumOnly)).objects()).isEmpty();
        assertThat(decode(LabelsAvro.toBytes(classes)).sumTarget()).containsExactly(1, 0, 1);
    }

    @Test
    void refusesWhatTheJsonRefusesWithTheSameReasonAndPath() {
        InvalidRecordException nothingAvro = refusal(LabelsAvro.toBytes(new Labels("s", 3, List.of(), null)));
        InvalidRecordException nothingJson = jsonRefusal("{\"timestep\":3,\"objects\":[]}");
        // An object without truth: Avro's writer would take it, the reader refuses it.
        byte[] noTruth = header().varint(0).varint(3).varint(1).string("a").varint(0).varint(0).varint(0)
                .varint(0).bytes();
        InvalidRecordException noTruthAvro = refusal(noTruth);
        InvalidRecordException noTruthJson = jsonRefusal("{\"timestep\":3,\"objects\":[{\"id\":\"a\"}]}");

        assertThat(nothingAvro.reason()).isEqualTo(nothingJson.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD);
        assertThat(nothingAvro.path()).isEqualTo(nothingJson.path()).isEqualTo("objects");
        assertThat(noTruthAvro.reason()).isEqualTo(noTruthJson.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD);
        assertThat(noTruthAvro.path()).isEqualTo(noTruthJson.path()).isEqualTo("objects[0].target");
    }

    @Test
    void readsWithinTheLimits() {
        TimestepLimits limits = new TimestepLimits(1, 4, 0, 1);
        byte[] twoObjects = LabelsAvro.toBytes(new Labels("s", 3, List.of(new Labels.ObjectLabel("a", 1.0, null),
                new Labels.ObjectLabel("b", 1.0, null)), null));
        byte[] longId = LabelsAvro.toBytes(new Labels("s", 3, List.of(new Labels.ObjectLabel("abcde", 1.0, null)), null));
        byte[] sums = LabelsAvro.toBytes(new Labels("s", 3, List.of(), new double[] {1, 2}));

        assertThat(catchThrowableOfType(InvalidRecordException.class, () -> LabelsValue.decode(twoObjects, limits))
                .reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS);
        assertThat(catchThrowableOfType(InvalidRecordException.class, () -> LabelsValue.decode(longId, limits))
                .reason()).isEqualTo(InvalidRecordException.TOO_LARGE);
        assertThat(catchThrowableOfType(InvalidRecordException.class, () -> LabelsValue.decode(sums, limits))
                .reason()).isEqualTo(InvalidRecordException.WRONG_FEATURE_COUNT);
    }

    @Test
    void truncatedGarbageAndUnknownValuesAreUnparsableAndNameWhereTheyBroke() {
        byte[] whole = LabelsAvro.toBytes(new Labels("s", 3, List.of(new Labels.ObjectLabel("a", 1.5, null)), null));
        byte[] cut = Arrays.copyOf(whole, whole.length - 5); // inside the target's 8 bytes
        byte[] headerOnly = Arrays.copyOf(whole, 6);
        byte[] trailing = Arrays.copyOf(whole, whole.length + 1);
        byte[] otherSchema = whole.clone();
        otherSchema[2] ^= 1;
        byte[] badId = header().varint(0).varint(3).varint(1).varint(2).raw(0xC3, 0x28).varint(1).raw(0, 0, 0, 0, 0, 0,
                0, 0).varint(0).varint(0).varint(0).bytes();

        assertThat(refusal(cut).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(refusal(cut).getMessage())
                .isEqualTo("objects[0].target: malformed Avro LabelsRecord: the value ends inside this field");
        assertThat(refusal(headerOnly).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(refusal(trailing).getMessage()).isEqualTo("$: 1 trailing bytes after the Avro LabelsRecord");
        assertThat(refusal(otherSchema).reason()).isEqualTo(InvalidRecordException.UNKNOWN_SCHEMA);
        assertThat(refusal(badId).getMessage()).isEqualTo("objects[0].id: not well-formed UTF-8 at byte 1 of the string");
        assertThat(refusal(new byte[] {(byte) 0xC3, 0x01, 1, 2}).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
    }

    @Test
    void aDeclaredLengthBeyondTheBytesLeftFailsBeforeAnythingIsAllocated() {
        // An objects block of 2^30 items, a series of 2^31 - 1 bytes, a sumTarget of 2^28 doubles:
        // each in a value of a few bytes. Through a stream Avro would allocate these (up to its limits).
        byte[] objects = header().varint(0).varint(3).varint(1L << 30).bytes();
        byte[] series = header().varint(1).varint(Integer.MAX_VALUE).bytes();
        byte[] sums = header().varint(0).varint(3).varint(0).varint(2).varint(1L << 28).bytes();

        assertThat(refusal(objects).getMessage())
                .isEqualTo("objects: malformed Avro LabelsRecord: a block declares 1073741824 items, but 0 bytes are left");
        assertThat(refusal(series).getMessage())
                .isEqualTo("series: malformed Avro LabelsRecord: a string declares 2147483647 bytes, but 0 are left");
        assertThat(refusal(sums).getMessage()).startsWith("sumTarget: malformed Avro LabelsRecord: a block declares");
        long allocated = Allocations.of(() -> {
            catchThrowable(() -> decode(objects));
            catchThrowable(() -> decode(series));
            catchThrowable(() -> decode(sums));
        });
        assertThat(allocated).as("bytes allocated").isLessThan(1 << 20);
    }

    @Test
    void readsRandomRecordsAsAvrosReaderDoesAndCorruptOnesFailOnlyWithInvalidRecordException() {
        Random random = new Random(23L);
        int agreed = 0;
        int refused = 0;
        for (int i = 0; i < 2_000; i++) {
            Labels l = randomLabels(random);
            byte[] value = LabelsAvro.toBytes(l);
            assertThat(decode(value)).as("case %d", i).isEqualTo(avrosReading(value)).isEqualTo(l);

            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = 10 + random.nextInt(value.length - 10); // keep the header: the body is the point
                value[at] = (byte) random.nextInt(256);
            }
            byte[] mutated = random.nextInt(8) == 0 ? Arrays.copyOf(value, random.nextInt(value.length)) : value;
            Labels mine = null;
            try {
                mine = decode(mutated);
            } catch (InvalidRecordException e) {
                assertThat(e.getMessage()).startsWith(e.path() + ": ");
                refused++;
            }
            Throwable theirs = catchThrowable(() -> avrosReading(mutated));
            if (mine != null && theirs == null) {
                assertThat(mine).as("case %d", i).isEqualTo(avrosReading(mutated));
                agreed++;
            }
        }
        assertThat(agreed).as("mutations that both readers read").isGreaterThan(100);
        assertThat(refused).as("mutations refused").isGreaterThan(100);
    }

    private static Labels randomLabels(Random random) {
        int k = random.nextInt(5);
        List<Labels.ObjectLabel> objects = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            boolean classifier = random.nextBoolean();
            objects.add(new Labels.ObjectLabel("o-" + j, classifier ? null : random.nextGaussian(),
                    classifier ? random.nextInt(4) : null));
        }
        double[] sum = switch (k == 0 ? 1 + random.nextInt(2) : random.nextInt(3)) {
            case 0 -> null;
            case 1 -> new double[] {random.nextDouble()};
            default -> new double[] {1, 2, random.nextInt(3)};
        };
        return new Labels(random.nextBoolean() ? null : "series-" + random.nextInt(100), random.nextInt(1_000_000),
                objects, sum);
    }
}
