package io.streamfit.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectRecord;
import io.streamfit.schemas.avro.SparseFeatures;
import io.streamfit.schemas.avro.TimestepRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final Timestep EXAMPLE = TimestepJson.parse(TimestepJsonTest.DESIGN_EXAMPLE.getBytes(UTF_8));

    private static InvalidRecordException failure(byte[] bytes) {
        return catchThrowableOfType(InvalidRecordException.class, () -> StreamfitSerdes.timestep().deserialize("t", bytes));
    }

    @Test
    void timestepAvroWritesSingleObjectEncodingThatBothSerdesRead() {
        byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", EXAMPLE);

        assertThat(avro[0]).isEqualTo((byte) 0xC3);
        assertThat(avro[1]).isEqualTo((byte) 0x01);
        assertThat(Arrays.copyOfRange(avro, 2, 10))
                .isEqualTo(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putLong(org.apache.avro.SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema()))
                        .array());
        assertThat(StreamfitSerdes.timestep().deserialize("features", avro)).isEqualTo(EXAMPLE);
        assertThat(StreamfitSerdes.timestepAvro().deserialize("features", avro)).isEqualTo(EXAMPLE);
    }

    @Test
    void timestepWritesJsonAndBothSerdesDetectIt() {
        byte[] json = StreamfitSerdes.timestep().serialize("features", EXAMPLE);

        assertThat(json[0]).isEqualTo((byte) '{');
        assertThat(StreamfitSerdes.timestepAvro().deserialize("features", json)).isEqualTo(EXAMPLE);
        assertThat(StreamfitSerdes.timestep().writeEncoding()).isEqualTo(TimestepSerde.Encoding.JSON);
        assertThat(StreamfitSerdes.timestepAvro().writeEncoding()).isEqualTo(TimestepSerde.Encoding.AVRO);
    }

    @Test
    void conversionMapsEveryFieldAndTheSumTargetUnionBranch() {
        TimestepRecord record = TimestepAvro.toRecord(EXAMPLE);

        assertThat(record.getSeries()).isEqualTo("plant-7");
        assertThat(record.getTimestep()).isEqualTo(1042L);
        assertThat(record.getSumTarget()).isEqualTo(25.1);
        assertThat(record.getObjects().get(0).getFeatures()).isEqualTo(List.of(0.51f, 0.03f, 0.70f));
        assertThat(record.getObjects().get(0).getTarget()).isEqualTo(12.5);
        SparseFeatures sparse = (SparseFeatures) record.getObjects().get(2).getFeatures();
        assertThat(sparse.getIndices()).containsExactly(0, 2);
        assertThat(record.getObjects().get(2).getLabel()).isEqualTo(2);

        Timestep counts = new Timestep("s", 1, List.of(), new double[] {1, 2, 3});
        assertThat(TimestepAvro.toRecord(counts).getSumTarget()).isEqualTo(List.of(1.0, 2.0, 3.0));
        assertThat(TimestepAvro.fromRecord(TimestepAvro.toRecord(counts))).isEqualTo(counts);
    }

    @Test
    void recordsBuiltInCodeWithMismatchedSparseArraysAreRejected() {
        TimestepRecord record = new TimestepRecord(null, 1L, List.of(new ObjectRecord("a",
                new SparseFeatures(List.of(0, 1), List.of(1f)), null, null)), null);

        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> TimestepAvro.fromRecord(record));

        assertThat(e.reason()).isEqualTo(InvalidRecordException.LENGTH_MISMATCH);
        assertThat(e.getMessage()).isEqualTo("objects[0].features: 2 indices but 1 values");
    }

    @Test
    void anUnknownFingerprintIsUnknownSchema() {
        byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", EXAMPLE);
        avro[5] ^= 0x55;

        InvalidRecordException e = failure(avro);

        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNKNOWN_SCHEMA);
        assertThat(e.getMessage()).startsWith("$: TimestepRecord: no known schema has fingerprint 0x");
    }

    @Test
    void truncatedHeaderAndBodyAndTrailingBytesAreUnparsable() {
        byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", EXAMPLE);

        assertThat(failure(new byte[] {(byte) 0xC3, 0x01}).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(failure(Arrays.copyOf(avro, 6)).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(failure(Arrays.copyOf(avro, avro.length - 3)).reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        InvalidRecordException trailing = failure(Arrays.copyOf(avro, avro.length + 2));
        assertThat(trailing.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(trailing.getMessage()).isEqualTo("$: 2 trailing bytes after the Avro TimestepRecord");
    }

    @Test
    void aHugeDeclaredArrayLengthFailsWithoutAllocatingIt() {
        byte[] empty = StreamfitSerdes.timestepAvro().serialize("t", new Timestep(null, 0, List.of(), null));
        // header, series=null, timestep=0, one object "a" with dense features claiming 2e9 floats
        byte[] hostile = Arrays.copyOf(empty, 10 + 6 + 5);
        byte[] body = {0, 0, 2, 2, 'a', 0, (byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E};
        System.arraycopy(body, 0, hostile, 10, body.length);

        InvalidRecordException e = failure(hostile);

        assertThat(e.reason()).isIn(InvalidRecordException.UNPARSABLE, InvalidRecordException.TOO_LARGE);
    }

    @Test
    void stateValuesDeclaringMoreThanTheirBytesFailBeforeAvroAllocatesIt() {
        // ModelCheckpoint: formatVersion 1, modelKey "k", specFingerprint "f", modelVersion 1, then
        // a model blob, the metrics map and the lastTimesteps map, each declaring far more than follows.
        byte[] header = Arrays.copyOf(StreamfitSerdes.modelCheckpoint().encode(ModelCheckpoint.newBuilder()
                .setFormatVersion(1).setModelKey("k").setSpecFingerprint("f").setModelVersion(1)
                .setModelState(ByteBuffer.wrap(new byte[0])).setMetrics(Map.of()).setLastTimesteps(Map.of())
                .setRecords(0).setUpdatedAtMs(0).build()), 10);
        byte[] prefix = {2, 2, 'k', 2, 'f', 2};
        AvroBytes hugeBlob = new AvroBytes().raw(header).raw(prefix).varint(1_000_000_000L).raw(new byte[16]);
        AvroBytes hugeMap = new AvroBytes().raw(header).raw(prefix).varint(0).varint(1_000_000_000L).raw(new byte[16]);
        AvroBytes hugeBlocks = new AvroBytes().raw(header).raw(prefix).varint(0).varint(0).varint(-1_000_000_000L)
                .varint(16).raw(new byte[16]);

        for (AvroBytes value : List.of(hugeBlob, hugeMap, hugeBlocks)) {
            byte[] bytes = value.bytes();
            InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                    () -> StreamfitSerdes.modelCheckpoint().decode(bytes));
            assertThat(e.reason()).isIn(InvalidRecordException.UNPARSABLE, InvalidRecordException.TOO_LARGE);
            assertThat(Allocations.of(() -> catchThrowableOfType(InvalidRecordException.class,
                    () -> StreamfitSerdes.modelCheckpoint().decode(bytes)))).isLessThan(64 * 1024);
        }
    }

    @Test
    void modelCheckpointRoundTrips() {
        ModelCheckpoint cp = ModelCheckpoint.newBuilder()
                .setFormatVersion(1)
                .setModelKey("plant-7")
                .setSpecFingerprint("regressor/8/64,32/adam")
                .setModelVersion(5321)
                .setModelState(ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 0xFF}))
                .setMetrics(Map.of("mse.object.sum", 12.5, "mse.object.count", 100.0))
                .setLastTimesteps(Map.of("plant-7", 1042L))
                .setRecords(100)
                .setUpdatedAtMs(1_700_000_000_000L)
                .build();
        AvroSerde<ModelCheckpoint> serde = StreamfitSerdes.modelCheckpoint();

        byte[] bytes = serde.serialize("store-changelog", cp);
        ModelCheckpoint back = serde.deserialize("store-changelog", bytes);

        assertThat(bytes[0]).isEqualTo(AvroSerde.MAGIC_0);
        assertThat(back).isEqualTo(cp);
        assertThat(back.getMetrics()).containsEntry("mse.object.sum", 12.5);
        assertThat(back.getLastTimesteps()).containsEntry("plant-7", 1042L);
    }

    @Test
    void olderWriterSchemasPassedAtConstructionAreResolved() throws Exception {
        // An "old" checkpoint schema that had one more field; today's reader drops it.
        Schema current = ModelCheckpoint.getClassSchema();
        SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(current.getName())
                .namespace(current.getNamespace()).fields();
        for (Schema.Field f : current.getFields()) {
            fields = fields.name(f.name()).type(f.schema()).noDefault();
        }
        Schema older = fields.name("retired").type().stringType().noDefault().endRecord();
        GenericRecord old = new GenericData.Record(older);
        old.put("formatVersion", 0);
        old.put("modelKey", "k");
        old.put("specFingerprint", "f");
        old.put("modelVersion", 7L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {9}));
        old.put("metrics", Map.of());
        old.put("lastTimesteps", Map.of());
        old.put("records", 3L);
        old.put("updatedAtMs", 4L);
        old.put("retired", "x");
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(old).array();

        assertThat(catchThrowableOfType(InvalidRecordException.class,
                () -> StreamfitSerdes.modelCheckpoint().deserialize("c", bytes)).reason())
                .isEqualTo(InvalidRecordException.UNKNOWN_SCHEMA);
        ModelCheckpoint back = StreamfitSerdes.avro(ModelCheckpoint.class, older).deserialize("c", bytes);
        assertThat(back.getModelVersion()).isEqualTo(7L);
        assertThat(back.getModelKey()).isEqualTo("k");
    }

    @Test
    void encodingARecordWithANullRequiredFieldFails() {
        ModelCheckpoint broken = new ModelCheckpoint();

        assertThat(catchThrowableOfType(org.apache.kafka.common.errors.SerializationException.class,
                () -> StreamfitSerdes.modelCheckpoint().serialize("c", broken))).isNotNull();
    }

    @Test
    void emptyBytesAreEmptyForAvroToo() {
        assertThat(catchThrowableOfType(InvalidRecordException.class,
                () -> StreamfitSerdes.modelCheckpoint().deserialize("c", new byte[0])).reason())
                .isEqualTo(InvalidRecordException.EMPTY);
    }
}
