package io.streamfit.app.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.Origin;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.PendingTimestep;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

/**
 * Values written by the code before every store value became an Avro record
 * ({@link LegacyStateFormats}) still decode, to the same values as the current form.
 */
class LegacyStateTest {

    private static final int W = 3;
    private static final int M = 2;

    @Test
    void aLegacyPendingValueDecodesLikeTheNewForm() {
        byte[] raw = "{\"timestep\":3,\"objects\":[{\"id\":\"a\",\"features\":[1,2]}]}".getBytes(StandardCharsets.UTF_8);
        for (long timestamp : new long[] {0L, 1_700_000_000_123L, Long.MAX_VALUE}) {
            byte[] legacy = LegacyStateFormats.pending(timestamp, "plant-\u00e9", raw);

            PendingTimestep old = PendingCodec.decode(legacy);
            PendingTimestep current = PendingCodec.decode(PendingCodec.encode("plant-\u00e9",
                    new Origin("features", 1, 2L, "plant-\u00e9".getBytes(StandardCharsets.UTF_8), raw, null, timestamp)));

            assertThat(AvroSerde.isSingleObjectEncoded(legacy)).as("timestamp %d", timestamp).isFalse();
            assertThat(old.getFormatVersion()).isEqualTo(PendingCodec.LEGACY);
            assertThat(old.getTimestamp()).isEqualTo(current.getTimestamp()).isEqualTo(timestamp);
            assertThat(old.getSeries()).isEqualTo(current.getSeries()).isEqualTo("plant-\u00e9");
            assertThat(PendingCodec.rawValue(old)).isEqualTo(PendingCodec.rawValue(current)).isEqualTo(raw);
        }
        // An empty series and the shortest raw value the layout allows.
        PendingTimestep edge = PendingCodec.decode(LegacyStateFormats.pending(5L, "", new byte[0]));
        assertThat(edge.getSeries()).isEmpty();
        assertThat(PendingCodec.rawValue(edge)).isEmpty();
        // It kept no key, headers or position: its dead letter is keyed by the series and names no position.
        Origin origin = PendingCodec.origin(PendingCodec.decode(LegacyStateFormats.pending(7L, "plant-\u00e9", raw)));
        assertThat(origin.key()).isEqualTo("plant-\u00e9".getBytes(StandardCharsets.UTF_8));
        assertThat(origin.value()).isEqualTo(raw);
        assertThat(origin.timestamp()).isEqualTo(7L);
        assertThat(origin.topic()).isEmpty();
        assertThat(origin.partitionText()).isEmpty();
        assertThat(origin.offsetText()).isEmpty();
        assertThat(origin.headers().toArray()).isEmpty();
    }

    @Test
    void aVersion1PendingValueDecodesWithTheNewFieldsUnknown() throws Exception {
        // The schema of format version 1, as every release before version 2 wrote it.
        Schema v1;
        try (InputStream in = StreamfitSerdes.class.getResourceAsStream("history/PendingTimestep-1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        assertThat(SchemaNormalization.parsingFingerprint64(v1)).isEqualTo(0x821116b093a3a982L);
        byte[] raw = "{\"timestep\":3,\"objects\":[{\"id\":\"a\",\"features\":[1,2]}]}".getBytes(StandardCharsets.UTF_8);
        GenericRecord old = new GenericData.Record(v1);
        old.put("formatVersion", 1);
        old.put("timestamp", 1_700_000_000_123L);
        old.put("series", "plant-\u00e9");
        old.put("rawValue", ByteBuffer.wrap(raw));
        byte[] value = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        PendingTimestep p = PendingCodec.decode(value);
        Origin origin = PendingCodec.origin(p);

        assertThat(p.getFormatVersion()).isEqualTo(PendingCodec.FORMAT_1);
        assertThat(p.getSeries()).isEqualTo("plant-\u00e9");
        assertThat(PendingCodec.rawValue(p)).isEqualTo(raw);
        assertThat(origin.key()).isEqualTo("plant-\u00e9".getBytes(StandardCharsets.UTF_8));
        assertThat(origin.value()).isEqualTo(raw);
        assertThat(origin.timestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(origin.topic()).isEmpty();
        assertThat(origin.partition()).isEqualTo(-1);
        assertThat(origin.offset()).isEqualTo(-1L);
        assertThat(origin.headers().toArray()).isEmpty();
    }

    @Test
    void aLegacyWindowValueDecodesLikeTheNewForm() {
        Random r = new Random(8);
        float[] values = new float[W * M];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        values[1] = Float.NaN;
        values[2] = -0.0f;
        byte[] legacy = LegacyStateFormats.window(41L, W, M, values);

        ObjectWindowState old = WindowCodec.decode(legacy);
        ObjectWindowState current = WindowCodec.decode(WindowCodec.encode(41L, W, M, values));

        assertThat(old.getFormatVersion()).isEqualTo(WindowCodec.LEGACY);
        assertThat(old.getCount()).isEqualTo(current.getCount()).isEqualTo(41L);
        assertThat(old.getWindow()).isEqualTo(current.getWindow()).isEqualTo(W);
        assertThat(old.getFeatures()).isEqualTo(current.getFeatures()).isEqualTo(M);
        float[] a = new float[W * M];
        float[] b = new float[W * M];
        WindowCodec.copyValues(old, a);
        WindowCodec.copyValues(current, b);
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits(a[i])).as("value %d", i).isEqualTo(Float.floatToRawIntBits(values[i]))
                    .isEqualTo(Float.floatToRawIntBits(b[i]));
        }
    }

    @Test
    void bytesOfNeitherFormAreRefusedWithoutAllocatingWhatTheyDeclare() {
        byte[] negativeTimestamp = LegacyStateFormats.pending(-1L, "s", new byte[] {'{'});
        byte[] seriesTooLong = LegacyStateFormats.pending(1L, "s", new byte[] {'{'});
        ByteBuffer.wrap(seriesTooLong).putInt(8, Integer.MAX_VALUE);
        byte[] windowTooShort = java.util.Arrays.copyOf(LegacyStateFormats.window(1L, W, M, new float[W * M]), 20);

        assertThatThrownBy(() -> PendingCodec.decode(negativeTimestamp)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a pending store value");
        assertThatThrownBy(() -> PendingCodec.decode(seriesTooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("series length 2147483647");
        assertThatThrownBy(() -> PendingCodec.decode(new byte[] {0, 0, 0})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WindowCodec.decode(windowTooShort)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 x 2 with 4 bytes");
        assertThatThrownBy(() -> WindowCodec.decode(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a window store value");
    }

    /**
     * A checkpoint of the schema before {@code learning} (threshold, no learning state) decodes with
     * no learning state, and a regressor's extras restore from it to an empty scale that warms up
     * again, while the model restores as it was (same fingerprint under today's defaults).
     */
    @Test
    void aCheckpointWithoutTheLearningStateLoadsIntoARegressorWithEmptyScales() throws Exception {
        org.apache.avro.Schema v2;
        try (java.io.InputStream in = StreamfitSerdes.class.getResourceAsStream("history/ModelCheckpoint-2.avsc")) {
            v2 = new org.apache.avro.Schema.Parser().parse(in);
        }
        StreamfitConfig config = new StreamfitConfig(Map.of("model.features", "3", "application.id", "legacy",
                "bootstrap.servers", "unused:9092"));
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericData.Record(v2);
        old.put("formatVersion", 1);
        old.put("modelKey", "s");
        old.put("specFingerprint", config.modelSpec().fingerprint());
        old.put("modelVersion", 7L);
        old.put("modelState", ByteBuffer.wrap(new byte[] {1, 2, 3}));
        old.put("metrics", Map.of());
        old.put("lastTimesteps", Map.of("s", 9L));
        old.put("records", 9L);
        old.put("updatedAtMs", 1L);
        old.put("threshold", null);
        ByteBuffer b = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                org.apache.avro.generic.GenericData.get(), v2).encode(old);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);

        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().decode(bytes);
        assertThat(cp.getLearning()).isNull();
        assertThat(cp.getModelVersion()).isEqualTo(7L);
        io.streamfit.app.kind.ModelExtras extras = config.kind().newExtras();
        extras.restore(cp);
        ModelCheckpoint.Builder saved = ModelCheckpoint.newBuilder();
        extras.save(saved);
        assertThat(saved.getLearning().getObjectTargets().getValues()).isEmpty();
    }

    @Test
    void theLegacyCheckpointSchemaIsTheOneTheSerdeKeeps() {
        // The copy here and the schema kept in the schemas module must be the same (docs aside).
        assertThat(SchemaNormalization.parsingFingerprint64(LegacyStateFormats.MODEL_CHECKPOINT_SCHEMA))
                .isEqualTo(0x7459bb10bfd8601cL);
    }

    @Test
    void aCheckpointWrittenByTheLegacyCodeLoadsLikeTheNewForm() {
        Map<String, String> p = new HashMap<>();
        p.put("model.kind", "seq-autoencoder");
        p.put("model.features", String.valueOf(M));
        p.put("model.window", String.valueOf(W));
        p.put("model.hidden", "4");
        p.put("application.id", "legacy-state-test");
        p.put("bootstrap.servers", "unused:9092");
        ModelSpec spec = new StreamfitConfig(p).modelSpec();
        Random r = new Random(9);
        try (OnlineModel model = Models.create(spec); OnlineModel fromOld = Models.create(spec);
             OnlineModel fromNew = Models.create(spec)) {
            StreamingQuantile q = new StreamingQuantile(0.9, 20, 5);
            for (int step = 0; step < 4; step++) {
                ObjectBatch batch = new ObjectBatch(W * M);
                batch.beginTimestep();
                for (int o = 0; o < 2; o++) {
                    float[] x = new float[W * M];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    batch.addDense(x, 0, false, 0f);
                }
                batch.endTimestep();
                for (float score : model.step(batch, true).objectPredictions()) {
                    q.observe(score);
                }
            }
            Map<String, Double> prequential = Map.of("prequential.total.objects", 8.0, "prequential.total.object.sq", 1.5);
            Map<String, Double> legacyMetrics = new HashMap<>(prequential);
            LegacyStateFormats.threshold(q, legacyMetrics);
            Map<String, Long> last = Map.of("s", 3L);
            byte[] legacy = LegacyStateFormats.checkpoint(
                    ModelCheckpoints.of("s", spec, model, legacyMetrics, last, 4L, 1_700_000_000_000L));
            byte[] current = StreamfitSerdes.modelCheckpoint().encode(
                    ModelCheckpoints.builder("s", spec, model, prequential, last, 4L, 1_700_000_000_000L)
                            .setThreshold(ThresholdCodec.toRecord(q)).build());

            ModelCheckpoint old = StreamfitSerdes.modelCheckpoint().decode(legacy);
            ModelCheckpoint now = StreamfitSerdes.modelCheckpoint().decode(current);

            assertThat(legacy).as("a different writer schema").isNotEqualTo(current);
            assertThat(old.getThreshold()).isNull();
            assertThat(now.getThreshold()).isNotNull();
            assertThat(now.getMetrics()).isEqualTo(prequential);
            assertThat(old.getMetrics()).containsAllEntriesOf(prequential).containsKey("anomaly.size");
            assertThat(old.getFormatVersion()).isEqualTo(now.getFormatVersion());
            assertThat(old.getModelKey()).isEqualTo(now.getModelKey());
            assertThat(old.getSpecFingerprint()).isEqualTo(now.getSpecFingerprint());
            assertThat(old.getModelVersion()).isEqualTo(now.getModelVersion()).isEqualTo(4L);
            assertThat(old.getModelState()).isEqualTo(now.getModelState());
            assertThat(old.getLastTimesteps()).isEqualTo(now.getLastTimesteps());
            assertThat(old.getRecords()).isEqualTo(now.getRecords());
            assertThat(old.getUpdatedAtMs()).isEqualTo(now.getUpdatedAtMs());

            // The model and the threshold restore to the same state from either.
            ModelCheckpoints.restore(old, spec, fromOld);
            ModelCheckpoints.restore(now, spec, fromNew);
            assertThat(fromOld.exportState()).isEqualTo(fromNew.exportState()).isEqualTo(model.exportState());
            assertThat(ThresholdCodec.scores(old)).containsExactly(ThresholdCodec.scores(now)).containsExactly(q.scores());
            StreamingQuantile a = new StreamingQuantile(0.9, 20, 5);
            StreamingQuantile b = new StreamingQuantile(0.9, 20, 5);
            ThresholdCodec.restore(old, a);
            ThresholdCodec.restore(now, b);
            for (int i = 0; i < 10; i++) {
                double s = r.nextDouble();
                StreamingQuantile.Verdict expected = q.observe(s);
                assertThat(a.observe(s)).isEqualTo(expected);
                assertThat(b.observe(s)).isEqualTo(expected);
            }
        }
    }
}
