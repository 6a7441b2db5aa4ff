package io.streamfit.app.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.PendingTimestep;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task whose stores hold what the legacy code wrote (as a changelog written before the switch
 * restores them) continues exactly like an uninterrupted run, and rewrites what it touches in the
 * current form.
 */
class LegacyStateTopologyTest {

    private static final int M = 2;
    private static final int W = 3;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;
    private int starts;

    private void start(Map<String, String> settings) {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("legacy-state-test")
                .stateDir(stateDir.resolve("run-" + starts++)).with("model.hidden", 4)
                .with("optimizer.learning.rate", 0.01).withAll(settings).toMap());
    }

    private void stop() {
        topology.close();
        topology = null;
    }

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    private static Timestep record(Random rnd, long t, List<String> ids, boolean targets) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (String id : ids) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            objs.add(new Timestep.ObjectInput(id, new FeatureVector.Dense(x), targets ? (double) (x[0] - 2 * x[1]) : null,
                    null));
        }
        return new Timestep("s", t, objs, null);
    }

    private void send(Timestep ts) {
        topology.input().pipeInput("s".getBytes(StandardCharsets.UTF_8),
                StreamfitSerdes.timestep().serializer().serialize("features", ts), 1_000_000L + 10 * ts.timestep());
    }

    private <V> Map<String, V> contents(String store) {
        Map<String, V> out = new HashMap<>();
        topology.<V>store(store).all().forEachRemaining(kv -> out.put(kv.key, kv.value));
        return out;
    }

    private <V> void restore(String store, Map<String, V> values) {
        KeyValueStore<String, V> s = topology.store(store);
        values.forEach(s::put);
    }

    @Test
    void anAutoencoderRestoredFromLegacyWindowsAndThresholdContinuesExactly() {
        Map<String, String> settings = Map.of("model.kind", "seq-autoencoder", "model.window", String.valueOf(W),
                "anomaly.warmup", "5", "anomaly.window", "20");
        Random rnd = new Random(4);
        List<Timestep> history = new ArrayList<>();
        for (int t = 0; t < 20; t++) {
            history.add(record(rnd, t, List.of("a", "b"), false));
        }
        start(settings);
        history.forEach(this::send);
        List<AnomalyScore> uninterrupted = scores();
        stop();

        start(settings);
        history.subList(0, 9).forEach(this::send);
        List<AnomalyScore> out = new ArrayList<>(scores());
        Map<String, ModelCheckpoint> models = contents(Names.MODEL_STORE);
        Map<String, byte[]> windows = contents(Names.WINDOW_STORE);
        stop();

        // What the legacy code would have written for the same state: windows in its byte layout,
        // the checkpoint in the old schema with the threshold in its metrics.
        Map<String, byte[]> legacyWindows = new HashMap<>();
        windows.forEach((key, value) -> {
            ObjectWindowState w = WindowCodec.decode(value);
            float[] values = new float[W * M];
            WindowCodec.copyValues(w, values);
            legacyWindows.put(key, LegacyStateFormats.window(w.getCount(), W, M, values));
        });
        Map<String, ModelCheckpoint> legacyModels = new HashMap<>();
        models.forEach((key, cp) -> {
            StreamingQuantile q = new StreamingQuantile(0.99, 20, 5);
            ThresholdCodec.restore(cp, q);
            Map<String, Double> metrics = new HashMap<>(cp.getMetrics());
            LegacyStateFormats.threshold(q, metrics);
            // Not newBuilder(cp): its deep copy looks the generated classes up through Avro's class
            // validator, which refuses them (see CompiledClassesData).
            ModelCheckpoint old = new ModelCheckpoint(cp.getFormatVersion(), cp.getModelKey(), cp.getSpecFingerprint(),
                    cp.getModelVersion(), cp.getModelState(), metrics, cp.getLastTimesteps(), cp.getRecords(),
                    cp.getUpdatedAtMs(), null, null, null, null);
            legacyModels.put(key, StreamfitSerdes.modelCheckpoint().decode(LegacyStateFormats.checkpoint(old)));
        });
        assertThat(legacyModels.get("s").getThreshold()).isNull();

        start(settings);
        restore(Names.MODEL_STORE, legacyModels);
        restore(Names.WINDOW_STORE, legacyWindows);
        history.subList(9, 20).forEach(this::send);
        out.addAll(scores());

        assertThat(out).hasSize(2 * (20 - W + 1)).isEqualTo(uninterrupted);
        assertThat(out.get(out.size() - 1).getThreshold()).isNotNull();
        ModelCheckpoint rewritten = contents(Names.MODEL_STORE).values().stream()
                .map(ModelCheckpoint.class::cast).findFirst().orElseThrow();
        assertThat(rewritten.getThreshold()).as("the next checkpoint is in the current form").isNotNull();
        assertThat(rewritten.getMetrics()).doesNotContainKey(ThresholdCodec.LEGACY_SIZE);
        this.<byte[]>contents(Names.WINDOW_STORE).values()
                .forEach(v -> assertThat(AvroSerde.isSingleObjectEncoded(v)).isTrue());
    }

    private List<AnomalyScore> scores() {
        return topology.scores().readValuesToList();
    }

    private List<TestRecord<String, SumPrediction>> sums() {
        return topology.sums().readRecordsToList();
    }

    @Test
    void aMicroBatchResumedFromLegacyPendingValuesEqualsAnUninterruptedOne() {
        Map<String, String> settings = Map.of("batch.timesteps", "4", "batch.max.wait.ms", "60000");
        Random rnd = new Random(13);
        List<Timestep> steps = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            steps.add(record(rnd, t, List.of("o0", "o1"), true));
        }
        start(settings);
        steps.forEach(this::send);
        List<TestRecord<String, SumPrediction>> uninterrupted = sums();
        stop();

        start(settings);
        steps.subList(0, 3).forEach(this::send);
        Map<String, byte[]> pending = contents(Names.PENDING_STORE);
        stop();
        assertThat(pending).hasSize(3);
        Map<String, byte[]> legacyPending = new HashMap<>();
        pending.forEach((key, value) -> {
            PendingTimestep p = PendingCodec.decode(value);
            legacyPending.put(key, LegacyStateFormats.pending(p.getTimestamp(), p.getSeries(), PendingCodec.rawValue(p)));
        });

        start(settings);
        restore(Names.PENDING_STORE, legacyPending);
        send(steps.get(3));
        List<TestRecord<String, SumPrediction>> resumed = sums();

        assertThat(uninterrupted).hasSize(4);
        assertThat(resumed).extracting(TestRecord::value).isEqualTo(uninterrupted.stream().map(TestRecord::value).toList());
        assertThat(resumed).extracting(TestRecord::timestamp)
                .as("the legacy values' timestamps carried to the outputs")
                .isEqualTo(uninterrupted.stream().map(TestRecord::timestamp).toList());
        assertThat(this.<byte[]>contents(Names.PENDING_STORE)).isEmpty();
    }
}
