package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.streamfit.schemas.avro.TimestepRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * {@link TimestepAvroReader} reads what Avro writes exactly as Avro's own reader does, in one block
 * or many, and nothing but {@link InvalidRecordException} comes out of corrupt values.
 */
class TimestepAvroReaderTest {

    /**
     * The layout the reader is written for. When TimestepRecord.avsc changes, this fails: change the
     * reader with it (and keep the old fingerprint readable if producers still send it).
     */
    private static final String LAYOUT = "{\"name\":\"io.streamfit.schemas.avro.TimestepRecord\",\"type\":\"record\","
            + "\"fields\":[{\"name\":\"series\",\"type\":[\"null\",\"string\"]},{\"name\":\"timestep\",\"type\":\"long\"},"
            + "{\"name\":\"objects\",\"type\":{\"type\":\"array\",\"items\":{\"name\":\"io.streamfit.schemas.avro.ObjectRecord\","
            + "\"type\":\"record\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"features\",\"type\":"
            + "[{\"type\":\"array\",\"items\":\"float\"},{\"name\":\"io.streamfit.schemas.avro.SparseFeatures\","
            + "\"type\":\"record\",\"fields\":[{\"name\":\"indices\",\"type\":{\"type\":\"array\",\"items\":\"int\"}},"
            + "{\"name\":\"values\",\"type\":{\"type\":\"array\",\"items\":\"float\"}}]}]},{\"name\":\"target\","
            + "\"type\":[\"null\",\"double\"]},{\"name\":\"label\",\"type\":[\"null\",\"int\"]}]}}},"
            + "{\"name\":\"sumTarget\",\"type\":[\"null\",\"double\",{\"type\":\"array\",\"items\":\"double\"}]}]}";

    private static Timestep avrosReading(byte[] value) {
        return TimestepAvro.fromRecord(TimestepSerde.AVRO.decode(value));
    }

    private static Timestep ours(byte[] value) {
        return TimestepAvroReader.read(value, TimestepLimits.NONE);
    }

    /** Single-object bytes written by Avro's blocking encoder: arrays in blocks of about {@code blockBytes}, with sizes. */
    private static byte[] inBlocks(Timestep ts, int blockBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = AvroBytes.timestepRecord().bytes();
        out.write(header);
        BinaryEncoder encoder = new EncoderFactory().configureBlockSize(blockBytes).blockingBinaryEncoder(out, null);
        new SpecificDatumWriter<>(TimestepRecord.class).write(TimestepAvro.toRecord(ts), encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void theReaderIsWrittenForTheCurrentSchema() {
        assertThat(SchemaNormalization.toParsingForm(TimestepRecord.getClassSchema())).isEqualTo(LAYOUT);
        assertThat(TimestepAvroReader.FINGERPRINT)
                .isEqualTo(SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema()));
    }

    @Test
    void readsRandomRecordsAsAvrosReaderDoesInOneBlockAndInMany() throws IOException {
        Random random = new Random(17L);
        int blocked = 0;
        for (int i = 0; i < 300; i++) {
            Timestep ts = RoundTripPropertyTest.randomTimestep(random, i % 3 == 0);
            byte[] oneBlock = StreamfitSerdes.timestepAvro().serialize("features", ts);
            byte[] manyBlocks = inBlocks(ts, 64);

            assertThat(ours(oneBlock)).as("case %d", i).isEqualTo(avrosReading(oneBlock)).isEqualTo(ts);
            assertThat(ours(manyBlocks)).as("blocks, case %d", i).isEqualTo(avrosReading(manyBlocks)).isEqualTo(ts);
            blocked += manyBlocks.length > oneBlock.length ? 1 : 0;
        }
        assertThat(blocked).as("values whose arrays came in several sized blocks").isGreaterThan(100);
    }

    @Test
    void corruptValuesFailOnlyWithInvalidRecordExceptionAndAgreeWithAvroWhenBothRead() {
        Random random = new Random(99L);
        int agreed = 0;
        for (int i = 0; i < 3_000; i++) {
            byte[] value = StreamfitSerdes.timestepAvro().serialize("features",
                    RoundTripPropertyTest.randomTimestep(random, true));
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = 10 + random.nextInt(value.length - 10); // keep the header: the body is the point
                value[at] = (byte) random.nextInt(256);
            }
            byte[] mutated = random.nextInt(8) == 0 ? java.util.Arrays.copyOf(value, random.nextInt(value.length)) : value;

            Timestep mine = null;
            try {
                mine = ours(mutated);
            } catch (InvalidRecordException e) {
                assertThat(e.getMessage()).startsWith(e.path() + ": ");
            }
            Throwable theirs = catchThrowable(() -> avrosReading(mutated));
            if (mine != null && theirs == null) {
                assertThat(mine).as("case %d", i).isEqualTo(avrosReading(mutated));
                agreed++;
            }
        }
        assertThat(agreed).as("mutations that both readers read").isGreaterThan(150);
    }

    @Test
    void varintsWithBitsBeyondTheirTypeAreMalformed() {
        // timestep: a 10-byte varint whose last byte carries more than bit 63
        byte[] longTooWide = AvroBytes.timestepRecord().varint(0)
                .raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02).varint(0).varint(0).bytes();
        // label: a 5-byte varint whose last byte carries more than bit 31
        byte[] intTooWide = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(0).varint(0)
                .varint(0).varint(1).raw(0xFF, 0xFF, 0xFF, 0xFF, 0x1F).varint(0).varint(0).bytes();

        InvalidRecordException l = catchThrowableOfType(longTooWide);
        InvalidRecordException n = catchThrowableOfType(intTooWide);

        assertThat(l.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(l.getMessage()).isEqualTo("timestep: malformed Avro TimestepRecord: invalid long encoding");
        assertThat(n.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(n.getMessage()).isEqualTo("objects[0].label: malformed Avro TimestepRecord: invalid int encoding");
    }

    @Test
    void anUnknownUnionBranchAndATruncatedValueNameTheirField() {
        byte[] branch = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(2)
                .raw(0, 0, 0, 0, 0).bytes();
        // target's double branch, and 3 of its 8 bytes
        byte[] cut = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(0).varint(0)
                .varint(1).raw(0, 0, 0).bytes();
        byte[] floats = AvroBytes.timestepRecord().varint(0).varint(1).varint(1).string("a").varint(0).varint(2)
                .floatLe(1).raw(0, 0).bytes();

        assertThat(catchThrowableOfType(branch).getMessage())
                .isEqualTo("objects[0].features: malformed Avro TimestepRecord: union branch 2 does not exist");
        assertThat(catchThrowableOfType(cut).getMessage())
                .isEqualTo("objects[0].target: malformed Avro TimestepRecord: the value ends inside this field");
        assertThat(catchThrowableOfType(floats).getMessage()).isEqualTo(
                "objects[0].features: malformed Avro TimestepRecord: a block declares 2 items, but 6 bytes are left");
    }

    private static InvalidRecordException catchThrowableOfType(byte[] value) {
        return org.assertj.core.api.Assertions.catchThrowableOfType(InvalidRecordException.class, () -> ours(value));
    }
}
