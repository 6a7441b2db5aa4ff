package io.streamfit.app.kind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.testing.TestConfigs;
import io.streamfit.model.ObjectBatch;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * {@code features.scaling}: what reaches the batch with {@code standard} (every feature
 * standardized by the moments of the model's objects up to and including its own record, however
 * the records are batched), that the moments survive a checkpoint exactly, that {@code none}
 * changes neither the batch nor the checkpoint, and which configurations are refused.
 */
class FeatureScalingTest {

    private static final int M = 4;

    record Item(String series, Timestep timestep, long timestamp) implements BatchItem {
    }

    private static ConfiguredKind regressor(String scaling) {
        return TestConfigs.regressor(M).with("features.scaling", scaling).toConfig().kind();
    }

    /**
     * Records of 1 to 3 objects: feature 0 standard normal, 1 far from 0 with a small spread, 2
     * constant, 3 pixel-like 0..16; every fifth record's first object is sparse (features 0 and 3).
     */
    private static List<Item> records(int n, long seed, long firstTimestep) {
        Random rnd = new Random(seed);
        List<Item> out = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            List<Timestep.ObjectInput> objects = new ArrayList<>();
            int k = 1 + rnd.nextInt(3);
            for (int i = 0; i < k; i++) {
                FeatureVector x;
                if (t % 5 == 0 && i == 0) {
                    x = new FeatureVector.Sparse(new int[] {3, 0}, new float[] {rnd.nextInt(17), (float) rnd.nextGaussian()});
                } else {
                    x = new FeatureVector.Dense(new float[] {(float) rnd.nextGaussian(),
                            (float) (500 + 0.1 * rnd.nextGaussian()), 7f, rnd.nextInt(17)});
                }
                objects.add(new Timestep.ObjectInput("o" + i, x, rnd.nextGaussian(), null));
            }
            out.add(new Item("s", new Timestep("s", firstTimestep + t, objects, null), t));
        }
        return out;
    }

    private static float[] dense(FeatureVector x) {
        if (x instanceof FeatureVector.Dense d) {
            return d.values();
        }
        FeatureVector.Sparse s = (FeatureVector.Sparse) x;
        float[] out = new float[M];
        for (int k = 0; k < s.indices().length; k++) {
            out[s.indices()[k]] += s.values()[k];
        }
        return out;
    }

    /** The batch rows of {@code items} assembled in micro-batches of the given sizes, in order, by one model's extras. */
    private static List<float[]> rows(ConfiguredKind kind, ModelExtras extras, List<Item> items, int... sizes) {
        BatchLogic logic = kind.batchLogic(null);
        ObjectBatch batch = new ObjectBatch(M);
        List<float[]> rows = new ArrayList<>();
        int from = 0;
        for (int b = 0; from < items.size(); b++) {
            int size = sizes[b % sizes.length];
            List<Item> chunk = items.subList(from, Math.min(from + size, items.size()));
            batch.clear();
            logic.assemble(batch, chunk, extras);
            for (int i = 0; i < batch.objects(); i++) {
                rows.add(Arrays.copyOfRange(batch.x(), i * M, (i + 1) * M));
            }
            from += chunk.size();
        }
        return rows;
    }

    @Test
    void everyFeatureReachesTheBatchStandardizedByTheObjectsUpToItsOwnRecord() {
        ConfiguredKind kind = regressor("standard");
        List<Item> items = records(120, 3, 1);
        List<float[]> rows = rows(kind, kind.newExtras(), items, 3, 1, 4, 2);

        // Two passes over every object of the records so far, this record's own included.
        List<float[]> seen = new ArrayList<>();
        int row = 0;
        for (Item item : items) {
            for (Timestep.ObjectInput o : item.timestep().objects()) {
                seen.add(dense(o.features()));
            }
            for (Timestep.ObjectInput o : item.timestep().objects()) {
                float[] x = dense(o.features());
                float[] actual = rows.get(row++);
                for (int j = 0; j < M; j++) {
                    double mean = 0;
                    for (float[] s : seen) {
                        mean += s[j];
                    }
                    mean /= seen.size();
                    double sq = 0;
                    for (float[] s : seen) {
                        sq += (s[j] - mean) * (s[j] - mean);
                    }
                    double sd = Math.sqrt(sq / seen.size());
                    double expected = (x[j] - mean) / (sd > 0 ? sd : 1);
                    assertThat((double) actual[j]).as("row %d feature %d", row - 1, j)
                            .isCloseTo(expected, within(1e-4 * Math.max(1, Math.abs(expected))));
                }
            }
        }
        assertThat(row).isEqualTo(rows.size());
        assertThat(rows.get(rows.size() - 1)[0]).isNotZero();
        // A model's first object is its own mean: it enters as zeros.
        Timestep first = new Timestep("s", 1, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                new float[] {3, -2, 1e6f, 0.5f}), 1.0, null)), null);
        assertThat(rows(kind, kind.newExtras(), List.of(new Item("s", first, 0)), 1).get(0)).containsOnly(0f);
    }

    @Test
    void aRecordIsScaledAlikeHoweverTheRecordsAreBatched() {
        ConfiguredKind kind = regressor("standard");
        List<Item> items = records(60, 4, 1);
        List<float[]> oneByOne = rows(kind, kind.newExtras(), items, 1);
        List<float[]> inBatches = rows(kind, kind.newExtras(), items, 7, 2, 16);
        assertThat(inBatches).hasSameSizeAs(oneByOne);
        for (int i = 0; i < oneByOne.size(); i++) {
            assertThat(inBatches.get(i)).as("row %d", i).isEqualTo(oneByOne.get(i));
        }
    }

    private static ModelCheckpoint.Builder checkpoint() {
        return ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("s").setSpecFingerprint("f")
                .setModelVersion(3).setModelState(ByteBuffer.wrap(new byte[] {1, 2, 3})).setMetrics(Map.of())
                .setLastTimesteps(Map.of("s", 9L)).setRecords(9).setUpdatedAtMs(5);
    }

    @Test
    void theMomentsRoundTripThroughTheCheckpointAndTheNextBatchIsTheSame() {
        for (ConfiguredKind kind : List.of(regressor("standard"), TestConfigs.classifier(M, 3)
                .with("features.scaling", "standard").toConfig().kind())) {
            List<Item> history = records(80, 5, 1);
            List<Item> next = records(10, 6, 81);
            ModelExtras live = kind.newExtras();
            rows(kind, live, history, 4);
            ModelCheckpoint.Builder b = checkpoint();
            live.save(b);
            AvroSerde<ModelCheckpoint> serde = StreamfitSerdes.modelCheckpoint();
            ModelCheckpoint stored = serde.decode(serde.encode(b.build()));
            int objects = history.stream().mapToInt(i -> i.timestep().objects().size()).sum();
            assertThat(stored.getLearning().getFeatureMoments().getCount()).isEqualTo(objects);
            assertThat(stored.getLearning().getFeatureMoments().getMean()).hasSize(M);

            ModelExtras restored = kind.newExtras();
            restored.restore(stored);
            ModelExtras fresh = kind.newExtras();
            List<float[]> expected = rows(kind, live, next, 3);
            List<float[]> actual = rows(kind, restored, next, 3);
            List<float[]> fromScratch = rows(kind, fresh, next, 3);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(actual.get(i)).as("%s row %d", kind.kind().name(), i).isEqualTo(expected.get(i));
            }
            // Without the restored moments the next batch differs: the comparison above can fail.
            assertThat(fromScratch.get(0)).isNotEqualTo(expected.get(0));
            assertThat(restored.inputScaling().mean()).isEqualTo(live.inputScaling().mean());
        }
    }

    /**
     * The bytes the build before the moments wrote for {@code cp}: its values in the previous
     * schema (kept as history/ModelCheckpoint-3.avsc), encoded by Avro as that build's serde did.
     */
    private static byte[] encodedAsBefore(ModelCheckpoint cp) throws Exception {
        Schema before = new Schema.Parser().parse(ModelCheckpoint.class.getResourceAsStream(
                "/io/streamfit/schemas/history/ModelCheckpoint-3.avsc"));
        byte[] now = StreamfitSerdes.modelCheckpoint().encode(cp);
        GenericRecord old = new GenericDatumReader<GenericRecord>(ModelCheckpoint.getClassSchema(), before).read(null,
                DecoderFactory.get().binaryDecoder(now, 10, now.length - 10, null));
        return new BinaryMessageEncoder<GenericRecord>(GenericData.get(), before).encode(old).array();
    }

    @Test
    void noneLeavesTheBatchAndTheCheckpointAsTheyWereBeforeTheKey() throws Exception {
        List<Item> items = records(40, 7, 1);
        // The regressor (outlier scales on by default): the features as they are, bit for bit.
        ConfiguredKind regressor = regressor("none");
        ModelExtras extras = regressor.newExtras();
        List<float[]> rows = rows(regressor, extras, items, 3);
        int row = 0;
        for (Item item : items) {
            for (Timestep.ObjectInput o : item.timestep().objects()) {
                assertThat(rows.get(row++)).isEqualTo(dense(o.features()));
            }
        }
        assertThat(extras.inputScaling()).isNull();
        ModelCheckpoint.Builder b = checkpoint();
        extras.save(b);
        ModelCheckpoint withScales = b.build();
        assertThat(withScales.getLearning().getObjectTargets()).isNotNull();
        assertThat(withScales.getLearning().getFeatureMoments()).isNull();
        // The body is the previous one plus the null of the new field (its union branch 0) and the
        // nulls of the later ModelCheckpoint.recovery and lastTimestep (which the processor, not the
        // kind, fills: the value's last two bytes); only the header's schema fingerprint differs, as
        // with every added field.
        byte[] now = StreamfitSerdes.modelCheckpoint().encode(withScales);
        byte[] before = encodedAsBefore(withScales);
        assertThat(now.length).isEqualTo(before.length + 3);
        assertThat(Arrays.copyOfRange(now, 10, now.length - 3)).isEqualTo(Arrays.copyOfRange(before, 10, before.length));
        assertThat(now[now.length - 3]).isZero();
        assertThat(now[now.length - 2]).isZero();
        assertThat(now[now.length - 1]).isZero();

        // The classifier keeps nothing then: no learning state, the very bytes of before but the fingerprint.
        ConfiguredKind classifier = TestConfigs.classifier(M, 3).toConfig().kind();
        assertThat(classifier.newExtras()).isSameAs(ModelExtras.NONE);
        ModelCheckpoint.Builder c = checkpoint();
        classifier.newExtras().save(c);
        ModelCheckpoint plain = c.build();
        assertThat(plain.getLearning()).isNull();
        byte[] plainNow = StreamfitSerdes.modelCheckpoint().encode(plain);
        byte[] plainBefore = encodedAsBefore(plain);
        // (but the nulls of ModelCheckpoint.recovery and lastTimestep, the last two bytes)
        assertThat(Arrays.copyOfRange(plainNow, 10, plainNow.length - 2))
                .isEqualTo(Arrays.copyOfRange(plainBefore, 10, plainBefore.length));
        assertThat(plainNow).hasSize(plainBefore.length + 2);
        assertThat(plainNow[plainNow.length - 2]).isZero();
        assertThat(plainNow[plainNow.length - 1]).isZero();
        // And what standard writes is longer: these comparisons can fail.
        ModelExtras scaled = TestConfigs.classifier(M, 3).with("features.scaling", "standard").toConfig().kind()
                .newExtras();
        ModelCheckpoint.Builder d = checkpoint();
        scaled.save(d);
        assertThat(StreamfitSerdes.modelCheckpoint().encode(d.build()).length).isGreaterThan(plainNow.length + 2 * M);
    }

    @Test
    void standardIsRefusedForASparseFirstLayerAndForTheSequenceKinds() {
        assertThatThrownBy(() -> TestConfigs.classifier(M, 3).with("model.input", "sparse")
                .with("features.scaling", "standard").toConfig()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("features.scaling").hasMessageContaining("sparse");
        // auto is sparse above m = 1024.
        assertThatThrownBy(() -> TestConfigs.classifier(2_000, 3).with("features.scaling", "standard").toConfig())
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.input=auto");
        assertThat(TestConfigs.classifier(1_024, 3).with("features.scaling", "standard").toConfig().kind()
                .newExtras()).isInstanceOf(LearningExtras.class);
        assertThat(TestConfigs.classifier(2_000, 3).with("model.input", "dense").with("features.scaling", "standard")
                .toConfig().kind().newExtras()).isInstanceOf(LearningExtras.class);
        assertThatThrownBy(() -> TestConfigs.sequence("seq-autoencoder", M, 4).with("model.hidden", 4)
                .with("features.scaling", "standard").toConfig()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("features.scaling").hasMessageContaining("seq-autoencoder");
        // lstm-regressor keeps LearningExtras for its outlier scales, but never feature moments.
        assertThat(TestConfigs.sequence("lstm-regressor", M, 4).with("model.hidden", 4)
                .with("features.scaling", "none").toConfig().kind().newExtras().inputScaling()).isNull();
        assertThatThrownBy(() -> regressor("minmax")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("features.scaling");
    }
}
