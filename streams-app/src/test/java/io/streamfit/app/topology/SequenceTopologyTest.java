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

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.state.WindowCodec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
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

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<String, AnomalyScore> scores;
    private TestOutputTopic<String, String> scoresJson;
    private TestOutputTopic<String, ObjectPrediction> objects;
    private TestOutputTopic<String, SumPrediction> sums;
    private TestOutputTopic<byte[], byte[]> dead;
    private StreamfitConfig config;

    private static Map<String, String> props(String kind, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>();
        p.put("model.kind", kind);
        p.put("model.features", String.valueOf(M));
        p.put("model.window", String.valueOf(W));
        p.put("model.hidden", "4");
        p.put("optimizer.learning.rate", "0.01");
        p.put("application.id", "sequence-test");
        p.put("bootstrap.servers", "unused:9092");
        p.putAll(extra);
        return p;
    }

    private void start(String kind, Map<String, String> extra) {
        Map<String, String> p = props(kind, extra);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config = new StreamfitConfig(p);
        driver = new TopologyTestDriver(StreamfitTopology.build(config, new StreamfitMetrics(new SimpleMeterRegistry())),
                config.streamsProperties());
        input = driver.createInputTopic("features", new ByteArraySerializer(), new ByteArraySerializer());
        scores = driver.createOutputTopic("anomaly-scores", new StringDeserializer(),
                StreamfitSerdes.anomalyScore().deserializer());
        scoresJson = driver.createOutputTopic("anomaly-scores", new StringDeserializer(), new StringDeserializer());
        objects = driver.createOutputTopic("object-predictions", new StringDeserializer(),
                StreamfitSerdes.objectPrediction().deserializer());
        sums = driver.createOutputTopic("sum-predictions", new StringDeserializer(),
                StreamfitSerdes.sumPrediction().deserializer());
        dead = driver.createOutputTopic("dead-letters", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
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

    private void send(Timestep ts) {
        input.pipeInput("s".getBytes(StandardCharsets.UTF_8),
                StreamfitSerdes.timestep().serializer().serialize("features", ts));
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
            send(history.get(t));
        }
        List<AnomalyScore> out = scores.readValuesToList();
        // o0 has W = 3 timesteps at t = 2, then every 2nd: 4, 6; o1 (from t = 1) at t = 3, 5, 7.
        assertThat(out).extracting(s -> s.getObject() + "@" + s.getTimestep())
                .containsExactly("o0@2", "o1@3", "o0@4", "o1@5", "o0@6", "o1@7");

        KeyValueStore<String, byte[]> windows = driver.getKeyValueStore(Names.WINDOW_STORE);
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
            send(history.get(t));
        }
        List<AnomalyScore> out = scores.readValuesToList();
        assertThat(out).hasSize(4);
        try (OnlineModel reference = Models.create(config.modelSpec())) {
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
        ModelCheckpoint cp = driver.<String, ModelCheckpoint>getKeyValueStore(Names.MODEL_STORE).get("s");
        assertThat(cp.getModelVersion()).isEqualTo(2);
    }

    @Test
    void theThresholdIsNullDuringTheWarmUpThenFlagsAWindowFarAboveTheUsualScores() {
        start("seq-autoencoder", Map.of("anomaly.warmup", "10", "anomaly.window", "50", "anomaly.quantile", "0.9"));
        Random rnd = new Random(3);
        int t = 0;
        for (; t < W - 1 + 10; t++) {
            send(record(rnd, t, List.of("o"), false, null));
        }
        List<String> warm = scoresJson.readValuesToList();
        assertThat(warm).hasSize(10).allSatisfy(json -> assertThat(json).contains("\"threshold\":null")
                .contains("\"anomaly\":false"));
        for (; t < 60; t++) {
            send(record(rnd, t, List.of("o"), false, null));
        }
        List<AnomalyScore> usual = scores.readValuesToList();
        assertThat(usual).allSatisfy(s -> assertThat(s.getThreshold()).isNotNull().isPositive());
        // About 1 in 10 usual windows is above a p90 threshold (fewer while the model still learns), far from all.
        assertThat(usual.stream().filter(AnomalyScore::getAnomaly).count()).isLessThanOrEqualTo(usual.size() / 4);

        // A level shift of 50 standard deviations: the window that holds it reconstructs far worse.
        Timestep shifted = record(rnd, t, List.of("o"), false, null);
        float[] x = features(shifted, "o");
        x[0] += 50;
        x[1] -= 50;
        send(shifted);
        AnomalyScore flagged = scores.readValue();
        assertThat(flagged.getScore()).isGreaterThan(flagged.getThreshold());
        assertThat(flagged.getAnomaly()).isTrue();
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
        history.forEach(this::send);
        List<AnomalyScore> uninterrupted = scores.readValuesToList();
        driver.close();

        stateDir = stateDir.resolve("second");
        start("seq-autoencoder", extra);
        history.subList(0, 9).forEach(this::send);
        List<AnomalyScore> out = new ArrayList<>(scores.readValuesToList());
        // What the changelogs give a new owner of the task: the model store and the window store.
        Map<String, ModelCheckpoint> models = new HashMap<>();
        Map<String, byte[]> windows = new HashMap<>();
        driver.<String, ModelCheckpoint>getKeyValueStore(Names.MODEL_STORE).all()
                .forEachRemaining(kv -> models.put(kv.key, kv.value));
        driver.<String, byte[]>getKeyValueStore(Names.WINDOW_STORE).all()
                .forEachRemaining(kv -> windows.put(kv.key, kv.value));
        assertThat(windows).containsOnlyKeys("s\u0000a", "s\u0000b");
        assertThat(models.get("s").getThreshold()).as("the threshold's state in the checkpoint").isNotNull();
        assertThat(models.get("s").getMetrics()).as("no legacy threshold entries").doesNotContainKey("anomaly.size");
        driver.close();

        stateDir = stateDir.resolve("third");
        start("seq-autoencoder", extra);
        models.forEach(driver.<String, ModelCheckpoint>getKeyValueStore(Names.MODEL_STORE)::put);
        windows.forEach(driver.<String, byte[]>getKeyValueStore(Names.WINDOW_STORE)::put);
        history.subList(9, 20).forEach(this::send);
        out.addAll(scores.readValuesToList());

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
            send(history.get(t));
        }
        assertThat(objects.isEmpty()).as("no object has W timesteps yet").isTrue();
        assertThat(sums.isEmpty()).isTrue();
        // c is new: no window, so no prediction; the record's sumTarget covers c too, so it is not used.
        history.add(record(rnd, W - 1, List.of("a", "b", "c"), true, 99.0));
        send(history.get(W - 1));

        List<ObjectPrediction> out = objects.readValuesToList();
        assertThat(out).extracting(ObjectPrediction::getObject).containsExactly("a", "b");
        SumPrediction sum = sums.readValue();
        assertThat(sum.getObjects()).isEqualTo(2);
        Timestep last = history.get(W - 1);
        float targetA = (float) (double) last.objects().get(0).target();
        float targetB = (float) (double) last.objects().get(1).target();
        assertThat(sum.getSumTarget()).isCloseTo((double) (targetA + targetB), org.assertj.core.api.Assertions.within(1e-5));
        try (OnlineModel reference = Models.create(config.modelSpec())) {
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
        assertThat(driver.<String, ModelCheckpoint>getKeyValueStore(Names.MODEL_STORE).get("s")
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
            send(both);
        }
        List<AnomalyScore> out = scores.readValuesToList();
        assertThat(out).hasSize(2);
        assertThat(out.get(0).getScore()).isEqualTo(out.get(1).getScore());
    }

    @Test
    void aRecordWithTwoObjectsOfOneIdIsADeadLetterAndLeavesTheWindowsAlone() {
        start("seq-autoencoder", Map.of());
        Random rnd = new Random(7);
        send(record(rnd, 0, List.of("a", "a"), false, null));
        TestRecord<byte[], byte[]> d = dead.readRecord();
        assertThat(new String(d.headers().lastHeader("error.reason").value(), StandardCharsets.UTF_8))
                .isEqualTo("duplicate-object");
        assertThat(driver.<String, byte[]>getKeyValueStore(Names.WINDOW_STORE).approximateNumEntries())
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
