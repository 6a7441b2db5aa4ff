package io.streamfit.app.topology;

import io.streamfit.app.names.Names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.state.WindowCodec;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.ThresholdState;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sequence kinds through the topology: windows, scores before training, the threshold, restarts. */
class SequenceTopologyTest {

    private static final int M = 2;
    private static final int W = 3;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    private static TestConfigs.Builder base(String kind, Map<String, String> extra) {
        return TestConfigs.sequence(kind, M, W).app("sequence-test").with("model.hidden", 4)
                .with("optimizer.learning.rate", 0.01).withAll(extra);
    }

    private static Map<String, String> props(String kind, Map<String, String> extra) {
        return base(kind, extra).toMap();
    }

    private void start(String kind, Map<String, String> extra) {
        topology = TopologyHarness.start(base(kind, extra).stateDir(stateDir).toMap());
    }

    /** The anomaly scores as the topology writes them: JSON text. */
    private TestOutputTopic<String, String> scoresJson() {
        String topic = topology.config().topics().anomalyScores().name();
        return topology.output(topic, new StringDeserializer(), new StringDeserializer());
    }

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    /** One timestep of objects {@code ids}, features from {@code rnd}, targets x0 + 2 x1 when asked. */
    private static Timestep record(Random rnd, long t, List<String> ids, boolean targets, Double sumTarget) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (String id : ids) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            objs.add(new Timestep.ObjectInput(id, new FeatureVector.Dense(x), targets ? (double) (x[0] + 2 * x[1]) : null,
                    null));
        }
        return new Timestep("s", t, objs, sumTarget == null ? null : new double[] {sumTarget});
    }

    private static float[] features(Timestep ts, String id) {
        return ts.objects().stream().filter(o -> o.id().equals(id)).map(o -> ((FeatureVector.Dense) o.features()).values())
                .findFirst().orElseThrow();
    }

    /** Object {@code id}'s window ending at {@code history.get(end)}: W timesteps, oldest first. */
    private static float[] window(List<Timestep> history, int end, String id) {
        float[] w = new float[W * M];
        for (int k = 0; k < W; k++) {
            System.arraycopy(features(history.get(end - W + 1 + k), id), 0, w, k * M, M);
        }
        return w;
    }

    @Test
    void windowsFillAndSlideWithTheStride() {
        start("seq-autoencoder", Map.of("model.window.stride", "2"));
        Random rnd = new Random(1);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            // o1 joins one timestep later than o0, so its windows are full one timestep later.
            history.add(record(rnd, t, t == 0 ? List.of("o0") : List.of("o0", "o1"), false, null));
            topology.send(history.get(t));
        }
        List<AnomalyScore> out = topology.scores().readValuesToList();
        // o0 has W = 3 timesteps at t = 2, then every 2nd: 4, 6; o1 (from t = 1) at t = 3, 5, 7.
        assertThat(out).extracting(s -> s.getObject() + "@" + s.getTimestep())
                .containsExactly("o0@2", "o1@3", "o0@4", "o1@5", "o0@6", "o1@7");

        KeyValueStore<String, byte[]> windows = topology.store(Names.WINDOW_STORE);
        ObjectWindowState o0 = WindowCodec.decode(windows.get("s\u0000o0"));
        assertThat(o0.getFormatVersion()).as("written in the current format").isEqualTo(WindowCodec.FORMAT);
        assertThat(o0.getCount()).as("timesteps of o0").isEqualTo(8);
        assertThat(o0.getWindow()).isEqualTo(W);
        assertThat(o0.getFeatures()).isEqualTo(M);
        float[] stored = new float[W * M];
        WindowCodec.copyValues(o0, stored);
        assertThat(stored).as("o0's last W timesteps, oldest first").containsExactly(window(history, 7, "o0"));
    }

    @Test
    void eachWindowIsScoredByTheModelBeforeItTrainsOnIt() {
        start("seq-autoencoder", Map.of());
        Random rnd = new Random(2);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < W + 1; t++) {
            history.add(record(rnd, t, List.of("a", "b"), false, null));
            topology.send(history.get(t));
        }
        List<AnomalyScore> out = topology.scores().readValuesToList();
        assertThat(out).hasSize(4);
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            for (int t = W - 1; t <= W; t++) {
                ObjectBatch batch = new ObjectBatch(W * M);
                batch.beginTimestep();
                batch.addDense(window(history, t, "a"), 0, false, 0f);
                batch.addDense(window(history, t, "b"), 0, false, 0f);
                batch.endTimestep();
                StepResult expected = reference.step(batch, true);
                int at = 2 * (t - (W - 1));
                assertThat((float) out.get(at).getScore()).isEqualTo(expected.objectPredictions()[0]);
                assertThat((float) out.get(at + 1).getScore()).isEqualTo(expected.objectPredictions()[1]);
                assertThat(out.get(at).getModelVersion()).as("updates before the score").isEqualTo(t - (W - 1));
            }
            assertThat(out.get(2).getScore()).as("the model learned from the first windows")
                    .isNotEqualTo(out.get(0).getScore());
        }
        ModelCheckpoint cp = topology.<ModelCheckpoint>store(Names.MODEL_STORE).get("s");
        assertThat(cp.getModelVersion()).isEqualTo(2);
    }

    @Test
    void theThresholdIsNullDuringTheWarmUpThenFlagsAWindowFarAboveTheUsualScores() {
        start("seq-autoencoder", Map.of("anomaly.warmup", "10", "anomaly.window", "50", "anomaly.quantile", "0.9"));
        Random rnd = new Random(3);
        int t = 0;
        for (; t < W - 1 + 10; t++) {
            topology.send(record(rnd, t, List.of("o"), false, null));
        }
        List<String> warm = scoresJson().readValuesToList();
        assertThat(warm).hasSize(10).allSatisfy(json -> assertThat(json).contains("\"threshold\":null")
                .contains("\"anomaly\":false"));
        for (; t < 60; t++) {
            topology.send(record(rnd, t, List.of("o"), false, null));
        }
        List<AnomalyScore> usual = topology.scores().readValuesToList();
        assertThat(usual).allSatisfy(s -> assertThat(s.getThreshold()).isNotNull().isPositive());
        // About 1 in 10 usual windows is above a p90 threshold (fewer while the model still learns), far from all.
        assertThat(usual.stream().filter(AnomalyScore::getAnomaly).count()).isLessThanOrEqualTo(usual.size() / 4);

        // A level shift of 50 standard deviations: the window that holds it reconstructs far worse.
        Timestep shifted = record(rnd, t, List.of("o"), false, null);
        float[] x = features(shifted, "o");
        x[0] += 50;
        x[1] -= 50;
        topology.send(shifted);
        AnomalyScore flagged = topology.scores().readValue();
        assertThat(flagged.getScore()).isGreaterThan(flagged.getThreshold());
        assertThat(flagged.getAnomaly()).isTrue();
    }

    @Test
    void aRecordWhoseScoresOverflowGoesToTheDeadLettersAndLeavesTheWindowsAndTheThresholdClean() {
        // max.abs.feature (1e15) would stop 1e20 at the screen; raised, the record reaches the model.
        start("seq-autoencoder", Map.of("anomaly.warmup", "5", "anomaly.window", "20", "max.abs.feature", "1e30"));
        Random rnd = new Random(8);
        int t = 0;
        for (; t < 12; t++) {
            topology.send(record(rnd, t, List.of("a", "b"), false, null));
        }
        assertThat(topology.scores().readValuesToList()).hasSize(2 * (12 - W + 1));
        ThresholdState before = topology.<ModelCheckpoint>store(Names.MODEL_STORE).get("s").getThreshold();

        // Finite and within the raised bound, so the screen lets it through, but its square overflows float32: b's window would
        // score +Infinity from any model, so no rollback helps and the record goes to the dead letters,
        // without entering the windows (they are written only after a successful call).
        Timestep huge = record(rnd, t++, List.of("a", "b"), false, null);
        features(huge, "b")[0] = 1e20f;
        topology.send(huge);
        for (; t < 12 + W + 2; t++) {
            topology.send(record(rnd, t, List.of("a", "b"), false, null));
        }

        List<String> json = scoresJson().readValuesToList();
        assertThat(json).allSatisfy(s -> assertThat(s).doesNotContain("Infinity").doesNotContain("NaN"));
        assertThat(json).extracting(SequenceTopologyTest::objectAtTimestep).containsExactly(
                "a@13", "b@13", "a@14", "b@14", "a@15", "b@15", "a@16", "b@16");
        List<TestRecord<byte[], byte[]>> dead = topology.deadLetters().readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).headers().lastHeader("error.reason").value(), StandardCharsets.UTF_8))
                .isEqualTo("processing-error");
        ModelCheckpoint cp = topology.<ModelCheckpoint>store(Names.MODEL_STORE).get("s");
        assertThat(cp.getThreshold().getSeen()).as("the 8 finite scores after it entered")
                .isEqualTo(before.getSeen() + 8);
        assertThat(cp.getThreshold().getScores()).allSatisfy(v -> assertThat(v).isFinite());
    }

    private static String objectAtTimestep(String json) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"timestep\":(\\d+),\"object\":\"(\\w+)\"").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return m.group(2) + "@" + m.group(1);
    }

    @Test
    void aTaskRestoredFromItsStoresContinuesTheWindowsAndTheThreshold() {
        Map<String, String> extra = Map.of("anomaly.warmup", "5", "anomaly.window", "20");
        Random rnd = new Random(4);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < 20; t++) {
            history.add(record(rnd, t, List.of("a", "b"), false, null));
        }
        start("seq-autoencoder", extra);
        history.forEach(topology::send);
        List<AnomalyScore> uninterrupted = topology.scores().readValuesToList();
        topology.close();

        stateDir = stateDir.resolve("second");
        start("seq-autoencoder", extra);
        history.subList(0, 9).forEach(topology::send);
        List<AnomalyScore> out = new ArrayList<>(topology.scores().readValuesToList());
        // What the changelogs give a new owner of the task: the model store and the window store.
        Map<String, ModelCheckpoint> models = new HashMap<>();
        Map<String, byte[]> windows = new HashMap<>();
        topology.<ModelCheckpoint>store(Names.MODEL_STORE).all()
                .forEachRemaining(kv -> models.put(kv.key, kv.value));
        topology.<byte[]>store(Names.WINDOW_STORE).all()
                .forEachRemaining(kv -> windows.put(kv.key, kv.value));
        assertThat(windows).containsOnlyKeys("s\u0000a", "s\u0000b");
        assertThat(models.get("s").getThreshold()).as("the threshold's state in the checkpoint").isNotNull();
        assertThat(models.get("s").getMetrics()).as("no legacy threshold entries").doesNotContainKey("anomaly.size");
        topology.close();

        stateDir = stateDir.resolve("third");
        start("seq-autoencoder", extra);
        models.forEach(topology.<ModelCheckpoint>store(Names.MODEL_STORE)::put);
        windows.forEach(topology.<byte[]>store(Names.WINDOW_STORE)::put);
        history.subList(9, 20).forEach(topology::send);
        out.addAll(topology.scores().readValuesToList());

        assertThat(out).hasSameSizeAs(uninterrupted).hasSize(2 * (20 - W + 1));
        assertThat(out).isEqualTo(uninterrupted);
        assertThat(out.get(out.size() - 1).getThreshold()).isNotNull();
    }

    @Test
    void theLstmRegressorPredictsOnlyObjectsWithAFullWindowAndSumsThem() {
        start("lstm-regressor", Map.of());
        Random rnd = new Random(5);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < W - 1; t++) {
            history.add(record(rnd, t, List.of("a", "b"), true, null));
            topology.send(history.get(t));
        }
        assertThat(topology.objects().isEmpty()).as("no object has W timesteps yet").isTrue();
        assertThat(topology.sums().isEmpty()).isTrue();
        // c is new: no window, so no prediction; the record's sumTarget covers c too, so it is not used.
        history.add(record(rnd, W - 1, List.of("a", "b", "c"), true, 99.0));
        topology.send(history.get(W - 1));

        List<ObjectPrediction> out = topology.objects().readValuesToList();
        assertThat(out).extracting(ObjectPrediction::getObject).containsExactly("a", "b");
        SumPrediction sum = topology.sums().readValue();
        assertThat(sum.getObjects()).isEqualTo(2);
        Timestep last = history.get(W - 1);
        float targetA = (float) (double) last.objects().get(0).target();
        float targetB = (float) (double) last.objects().get(1).target();
        assertThat(sum.getSumTarget()).isCloseTo((double) (targetA + targetB), org.assertj.core.api.Assertions.within(1e-5));
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            ObjectBatch batch = new ObjectBatch(W * M);
            batch.beginTimestep();
            batch.addDense(window(history, W - 1, "a"), 0, true, targetA);
            batch.addDense(window(history, W - 1, "b"), 0, true, targetB);
            batch.endTimestep();
            StepResult expected = reference.step(batch, true);
            assertThat(out).extracting(o -> (float) o.getPrediction())
                    .containsExactly(expected.objectPredictions()[0], expected.objectPredictions()[1]);
            assertThat((float) sum.getPrediction()).isEqualTo(expected.sumPredictions()[0]);
            assertThat(expected.updated()).isTrue();
        }
        // JSON writes a float-valued double with float precision.
        assertThat((float) (double) out.get(0).getTarget()).isEqualTo(targetA);
        assertThat(topology.<ModelCheckpoint>store(Names.MODEL_STORE).get("s")
                .getModelVersion()).isEqualTo(1);
    }

    @Test
    void sparseFeaturesAreDensifiedIntoTheWindow() {
        start("seq-autoencoder", Map.of());
        Random rnd = new Random(6);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < W; t++) {
            Timestep dense = record(rnd, t, List.of("d"), false, null);
            float[] x = features(dense, "d");
            // The same values once dense (d) and once sparse (s, with feature 1 absent, i.e. zero).
            Timestep both = new Timestep("s", t, List.of(
                    new Timestep.ObjectInput("d", new FeatureVector.Dense(new float[] {x[0], 0f}), null, null),
                    new Timestep.ObjectInput("s", new FeatureVector.Sparse(new int[] {0}, new float[] {x[0]}), null,
                            null)), null);
            history.add(both);
            topology.send(both);
        }
        List<AnomalyScore> out = topology.scores().readValuesToList();
        assertThat(out).hasSize(2);
        assertThat(out.get(0).getScore()).isEqualTo(out.get(1).getScore());
    }

    @Test
    void aRecordWithTwoObjectsOfOneIdIsADeadLetterAndLeavesTheWindowsAlone() {
        start("seq-autoencoder", Map.of());
        Random rnd = new Random(7);
        topology.send(record(rnd, 0, List.of("a", "a"), false, null));
        TestRecord<byte[], byte[]> d = topology.deadLetters().readRecord();
        assertThat(new String(d.headers().lastHeader("error.reason").value(), StandardCharsets.UTF_8))
                .isEqualTo("duplicate-object");
        assertThat(topology.<byte[]>store(Names.WINDOW_STORE).approximateNumEntries())
                .isZero();
    }

    @Test
    void theConfigurationRejectsMicroBatchesAndWindowsOfOneForSequenceKinds() {
        assertThatThrownBy(() -> new StreamfitConfig(props("seq-autoencoder", Map.of("batch.timesteps", "4"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("batch.timesteps");
        assertThatThrownBy(() -> new StreamfitConfig(props("lstm-regressor", Map.of("model.window", "1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.window");
        assertThatThrownBy(() -> new StreamfitConfig(props("lstm-regressor", Map.of("model.hidden", ""))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.hidden");
        assertThatThrownBy(() -> new StreamfitConfig(props("seq-autoencoder",
                Map.of("anomaly.window", "10", "anomaly.warmup", "11"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("anomaly.warmup");
        StreamfitConfig c = new StreamfitConfig(props("lstm-regressor", Map.of("model.lstm.activation", "linear",
                "model.lstm.recurrent.activation", "linear", "model.lstm.difference", "true",
                "model.lstm.bidirectional", "true", "model.hidden", "8,4")));
        assertThat(c.modelSpec().sequence().activation()).isEqualTo("linear");
        assertThat(c.modelSpec().sequence().recurrentActivation()).isEqualTo("linear");
        assertThat(c.modelSpec().sequence().difference()).isTrue();
        assertThat(c.modelSpec().sequence().bidirectional()).isTrue();
        assertThat(c.modelSpec().sequence().window()).isEqualTo(W);
        assertThat(c.modelSpec().hidden()).containsExactly(8, 4);
        assertThat(c.modelSpec().fingerprint()).startsWith("lstm-regressor|m=2|hidden=[8, 4]").contains("|seq=W=3");
        // The window and LSTM keys leave the regressor's fingerprint (and so its checkpoints) as they were.
        StreamfitConfig regressor = new StreamfitConfig(props("regressor", Map.of("model.window", "8",
                "model.lstm.difference", "true", "model.lstm.activation", "linear")));
        StreamfitConfig plain = new StreamfitConfig(Map.of("model.features", "2", "model.hidden", "4",
                "optimizer.learning.rate", "0.01"));
        assertThat(regressor.modelSpec().fingerprint()).isEqualTo(plain.modelSpec().fingerprint())
                .startsWith("regressor|m=2|hidden=[4]|act=relu|").doesNotContain("seq=");
    }
}
