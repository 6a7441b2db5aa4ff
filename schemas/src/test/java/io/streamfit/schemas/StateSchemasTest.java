package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamfit.schemas.avro.GoodState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.PendingHeader;
import io.streamfit.schemas.avro.LabelWait;
import io.streamfit.schemas.avro.PendingTimestep;
import io.streamfit.schemas.avro.RecoveryState;
import io.streamfit.schemas.avro.ThresholdState;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/** The state stores' schemas: pinned fingerprints, old checkpoints still decoding, bounded decoding. */
class StateSchemasTest {

    private static long fingerprint(Schema s) {
        return SchemaNormalization.parsingFingerprint64(s);
    }

    /*
     * A value's fingerprint is in every stored byte of it: when one of these fails, the schema
     * changed, and values already in the changelogs no longer decode unless the previous schema is
     * kept in src/main/resources/io/streamfit/schemas/history/ and passed to its AvroSerde (see
     * StreamfitSerdes and docs/state-format.md). Then update the number here.
     */
    @Test
    void theStoreSchemasAreTheOnesTheirChangelogsHold() {
        assertThat(fingerprint(ModelCheckpoint.getClassSchema())).as("ModelCheckpoint").isEqualTo(0x1bb86f87477feb0dL);
        assertThat(fingerprint(GoodState.getClassSchema())).as("GoodState").isEqualTo(0x5f5a47d6360aadb9L);
        assertThat(fingerprint(PendingTimestep.getClassSchema())).as("PendingTimestep").isEqualTo(0xb0dcbe058db9b779L);
        assertThat(fingerprint(ObjectWindowState.getClassSchema())).as("ObjectWindowState")
                .isEqualTo(0x2aa474a0f1e351f3L);
        assertThat(fingerprint(ThresholdState.getClassSchema())).as("ThresholdState").isEqualTo(0xb7a2b07e6b2db62fL);
        assertThat(fingerprint(LabelWait.getClassSchema())).as("LabelWait").isEqualTo(0x766d3c38c6313ec5L);
        assertThat(fingerprint(io.streamfit.schemas.avro.ModelVersion.getClassSchema())).as("ModelVersion")
                .isEqualTo(0x865592832b7e0871L);
    }

    @Test
    void theKeptCheckpointSchemaIsTheOneEarlierVersionsWrote() {
        // The ModelCheckpoint schema of every release before the threshold field.
        assertThat(fingerprint(StreamfitSerdes.history("ModelCheckpoint-1.avsc"))).isEqualTo(0x7459bb10bfd8601cL);
    }

    @Test
    void theKeptCheckpointSchemasAreTheOnesEarlierVersionsWrote() {
        // Before the learning field (the outlier-target scales).
        assertThat(fingerprint(StreamfitSerdes.history("ModelCheckpoint-2.avsc")))
                .isNotEqualTo(fingerprint(StreamfitSerdes.history("ModelCheckpoint-1.avsc")))
                .isNotEqualTo(fingerprint(StreamfitSerdes.history("ModelCheckpoint-3.avsc")));
        // Before LearningState.featureMoments: every release that wrote the learning field without it.
        assertThat(fingerprint(StreamfitSerdes.history("ModelCheckpoint-3.avsc"))).isEqualTo(0x22b737ee5ef1bac5L);
        // Before ModelCheckpoint.recovery: every release that wrote the feature moments without it.
        assertThat(fingerprint(StreamfitSerdes.history("ModelCheckpoint-4.avsc"))).isEqualTo(0x66aaed09287adb23L);
        // Before ModelCheckpoint.lastTimestep: every release that wrote the recovery state without it.
        assertThat(fingerprint(StreamfitSerdes.history("ModelCheckpoint-5.avsc"))).isEqualTo(0x25dcf7bebc2db157L);
    }

    /** A checkpoint written before the lastTimestep field decodes with none (readers fall back to lastTimesteps). */
    @Test
    void aCheckpointOfTheSchemaBeforeLastTimestepDecodesWithNone() throws Exception {
        Schema v5 = StreamfitSerdes.history("ModelCheckpoint-5.avsc");
        GenericRecord old = new GenericData.Record(v5);
        old.put("formatVersion", 1);
        old.put("modelKey", "s");
        old.put("specFingerprint", "regressor/3");
        old.put("modelVersion", 9L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {'S', 'F', 'C', 'K', 1}));
        old.put("metrics", Map.of());
        old.put("lastTimesteps", Map.of("s", 41L));
        old.put("records", 42L);
        old.put("updatedAtMs", 7L);
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v5).encode(old);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().deserializer().deserialize("model-store", bytes);
        assertThat(cp.getLastTimestep()).isNull();
        assertThat(cp.getLastTimesteps()).containsEntry("s", 41L);
        assertThat(cp.getRecords()).isEqualTo(42L);
    }

    /**
     * A checkpoint written before divergence recovery's state was kept decodes with none: its
     * model starts an empty loss window, with the checkpoint as its good state, as it always did.
     */
    @Test
    void aCheckpointOfTheSchemaBeforeTheRecoveryStateDecodesWithNone() throws Exception {
        Schema v4 = StreamfitSerdes.history("ModelCheckpoint-4.avsc");
        GenericRecord old = new GenericData.Record(v4);
        old.put("formatVersion", 1);
        old.put("modelKey", "s");
        old.put("specFingerprint", "regressor/3");
        old.put("modelVersion", 9L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {'S', 'F', 'C', 'K', 1}));
        old.put("metrics", Map.of("divergence.rollbacks", 2.0));
        old.put("lastTimesteps", Map.of("s", 41L));
        old.put("records", 42L);
        old.put("updatedAtMs", 1_700_000_000_000L);
        old.put("threshold", null);
        old.put("learning", null);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v4).encode(old).array();

        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().deserialize("c", bytes);

        assertThat(cp.getRecovery()).isNull();
        assertThat(cp.getMetrics()).containsEntry("divergence.rollbacks", 2.0);
        assertThat(cp.getModelVersion()).isEqualTo(9L);
    }

    /** The recovery state round-trips bit for bit, an infinite best (none yet) included. */
    @Test
    void theRecoveryStateRoundTripsExactly() {
        RecoveryState recovery = RecoveryState.newBuilder().setFormatVersion(1).setLossWindow(4)
                .setLosses(List.of(0.1, 1e-300, 3.0000000000000004)).setLossSum(3.1000000000000005)
                .setBestLoss(Double.POSITIVE_INFINITY).setGoodInGoodStore(true).build();
        ModelCheckpoint cp = ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("k").setSpecFingerprint("f")
                .setModelVersion(3L).setModelState(ByteBuffer.wrap(new byte[] {1, 2})).setMetrics(Map.of())
                .setLastTimesteps(Map.of()).setRecords(3L).setUpdatedAtMs(0L).setRecovery(recovery).build();

        byte[] bytes = StreamfitSerdes.modelCheckpoint().serializer().serialize("t", cp);
        RecoveryState back = StreamfitSerdes.modelCheckpoint().deserialize("t", bytes).getRecovery();

        assertThat(back).isEqualTo(recovery);
        assertThat(Double.doubleToRawLongBits(back.getLossSum())).isEqualTo(Double.doubleToRawLongBits(3.1000000000000005));
        assertThat(back.getBestLoss()).isInfinite();
    }

    /**
     * A checkpoint with the outlier scales, written before the feature moments existed, decodes
     * with everything it had and no moments: old checkpoints restore, with features.scaling=none
     * exactly as they were.
     */
    @Test
    void aCheckpointOfTheSchemaBeforeTheFeatureMomentsDecodesWithNone() throws Exception {
        Schema v3 = StreamfitSerdes.history("ModelCheckpoint-3.avsc");
        Schema learningV3 = v3.getField("learning").schema().getTypes().get(1);
        Schema windowV3 = learningV3.getField("objectTargets").schema().getTypes().get(1);
        GenericRecord window = new GenericData.Record(windowV3);
        window.put("seen", 3L);
        window.put("values", List.of(1.0, 2.0, 3.0));
        window.put("rejectedInRow", List.of(1e9));
        GenericRecord learning = new GenericData.Record(learningV3);
        learning.put("formatVersion", 1);
        learning.put("objectTargets", window);
        learning.put("sumTargets", null);
        GenericRecord old = new GenericData.Record(v3);
        old.put("formatVersion", 1);
        old.put("modelKey", "s");
        old.put("specFingerprint", "regressor/3");
        old.put("modelVersion", 9L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {'S', 'F', 'C', 'K', 1}));
        old.put("metrics", Map.of());
        old.put("lastTimesteps", Map.of("s", 41L));
        old.put("records", 42L);
        old.put("updatedAtMs", 1_700_000_000_000L);
        old.put("threshold", null);
        old.put("learning", learning);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v3).encode(old).array();

        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().deserialize("c", bytes);

        assertThat(cp.getLearning().getFeatureMoments()).isNull();
        assertThat(cp.getLearning().getObjectTargets().getValues()).containsExactly(1.0, 2.0, 3.0);
        assertThat(cp.getLearning().getObjectTargets().getRejectedInRow()).containsExactly(1e9);
        assertThat(cp.getLearning().getSumTargets()).isNull();
        assertThat(cp.getModelVersion()).isEqualTo(9L);
    }

    @Test
    void theKeptPendingSchemaIsTheOneFormatVersion1Wrote() {
        // The PendingTimestep schema of every release before the input's key, headers and position.
        assertThat(fingerprint(StreamfitSerdes.history("PendingTimestep-1.avsc"))).isEqualTo(0x821116b093a3a982L);
    }

    @Test
    void aPendingValueOfTheFirstSchemaDecodesWithTheDefaults() throws Exception {
        Schema v1 = StreamfitSerdes.history("PendingTimestep-1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        old.put("formatVersion", 1);
        old.put("timestamp", 7L);
        old.put("series", "s");
        old.put("rawValue", ByteBuffer.wrap(new byte[] {'{', '}'}));
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        PendingTimestep p = StreamfitSerdes.pendingTimestep().decode(bytes);

        assertThat(p.getFormatVersion()).isEqualTo(1);
        assertThat(p.getSeries()).isEqualTo("s");
        assertThat(p.getKey()).isNull();
        assertThat(p.getHeaders()).isEmpty();
        assertThat(p.getTopic()).isEmpty();
        assertThat(p.getPartition()).isEqualTo(-1);
        assertThat(p.getOffset()).isEqualTo(-1L);
    }

    @Test
    void aCheckpointOfTheSchemaBeforeTheThresholdFieldDecodesWithNoThreshold() throws Exception {
        Schema v1 = StreamfitSerdes.history("ModelCheckpoint-1.avsc");
        GenericRecord old = new GenericData.Record(v1);
        old.put("formatVersion", 1);
        old.put("modelKey", "s");
        old.put("specFingerprint", "seq-autoencoder/2");
        old.put("modelVersion", 9L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {'S', 'F', 'C', 'K', 1}));
        old.put("metrics", Map.of("anomaly.size", 1.0, "anomaly.score.0", 0.25));
        old.put("lastTimesteps", Map.of("s", 41L));
        old.put("records", 42L);
        old.put("updatedAtMs", 1_700_000_000_000L);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().deserialize("c", bytes);

        assertThat(cp.getThreshold()).isNull();
        assertThat(cp.getModelVersion()).isEqualTo(9L);
        assertThat(cp.getMetrics()).containsEntry("anomaly.size", 1.0).containsEntry("anomaly.score.0", 0.25);
        assertThat(cp.getLastTimesteps()).containsEntry("s", 41L);
        assertThat(cp.getModelState()).isEqualTo(ByteBuffer.wrap(new byte[] {'S', 'F', 'C', 'K', 1}));
    }

    @Test
    void theNewStateRecordsRoundTrip() {
        ThresholdState threshold = new ThresholdState(1, 0.99, 1000, 100, 5L, List.of(0.5, 0.25));
        ModelCheckpoint cp = ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("k").setSpecFingerprint("f")
                .setModelVersion(1).setModelState(ByteBuffer.wrap(new byte[] {1})).setMetrics(Map.of())
                .setLastTimesteps(Map.of()).setRecords(1).setUpdatedAtMs(2).setThreshold(threshold).build();
        PendingTimestep pending = new PendingTimestep(2, 7L, "s\u00e9", ByteBuffer.wrap(new byte[] {'{', '}'}),
                ByteBuffer.wrap(new byte[] {'k'}), List.of(new PendingHeader("trace", ByteBuffer.wrap(new byte[] {1})),
                        new PendingHeader("empty", null)), "features", 3, 42L);
        ObjectWindowState window = new ObjectWindowState(1, 3L, 2, 1, List.of(1f, Float.NaN));

        assertThat(StreamfitSerdes.modelCheckpoint().decode(StreamfitSerdes.modelCheckpoint().encode(cp)))
                .isEqualTo(cp);
        assertThat(StreamfitSerdes.pendingTimestep().decode(StreamfitSerdes.pendingTimestep().encode(pending)))
                .isEqualTo(pending);
        ObjectWindowState back = StreamfitSerdes.objectWindowState().decode(
                StreamfitSerdes.objectWindowState().encode(window));
        assertThat(back.getValues()).containsExactly(1f, Float.NaN);
        assertThat(back.getCount()).isEqualTo(3L);
    }

    @Test
    void aHugeDeclaredBytesLengthFailsWithoutAllocatingIt() {
        byte[] small = StreamfitSerdes.pendingTimestep().encode(
                new PendingTimestep(1, 0L, "s", ByteBuffer.wrap(new byte[0]), null, List.of(), "", -1, -1L));
        // header, formatVersion 1, timestamp 0, series "s", then rawValue claiming 2e9 bytes
        byte[] hostile = Arrays.copyOf(small, 10 + 4 + 5);
        byte[] body = {2, 0, 2, 's', (byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E};
        System.arraycopy(body, 0, hostile, 10, body.length);

        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class,
                () -> StreamfitSerdes.pendingTimestep().decode(hostile));

        // Read from the value's own array, Avro sees that no bytes are left; through a stream it
        // tries to allocate the 2 GB first.
        assertThat(e.reason()).isEqualTo(InvalidRecordException.UNPARSABLE);
        assertThat(e.getMessage()).contains("EOF");
    }
}
