package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.ModelDirectory;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StoreModelDirectory;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /models} lists what the model store holds: every model of the task, in memory or not,
 * and at once when a task opens again (a restart, a rebalance, or Streams closing and reviving a
 * corrupted task). CrashEquivalenceIT found the first gap: a restarted task had processed all its
 * input before Streams reopened it, and its models never showed again; the second is memory: the
 * view must not hold every key on the heap.
 */
class ModelDirectoryTopologyTest {

    @TempDir
    Path stateDir;

    private static Timestep record(String series, long t) {
        return new Timestep(series, t, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                new float[] {t % 3, 1, 2}), 0.5 * (t % 3), null)), null);
    }

    private static ModelDirectory directory(TopologyHarness h, String fingerprint) {
        KeyValueStore<String, ModelCheckpoint> store = h.store(Names.MODEL_STORE);
        return new StoreModelDirectory(() -> List.of(store), fingerprint, 100);
    }

    @Test
    void aReopenedTaskListsItsStoredModelsBeforeAnyNewRecord() {
        Map<String, String> config = TestConfigs.regressor(3).app("models-view").stateDir(stateDir)
                .with("batch.timesteps", 1).with("model.hidden", 4).toMap();
        Map<String, Map<String, Object>> committed;
        String fingerprint;
        try (TopologyHarness first = TopologyHarness.start(config)) {
            for (long t = 1; t <= 5; t++) {
                first.send(record("a", t));
                first.send(record("b", t));
            }
            first.send(record("b", 6));
            assertThat(first.metrics().models()).extracting(ModelInfo::key).containsExactlyInAnyOrder("a", "b");
            fingerprint = first.metrics().model("a").spec();
            committed = first.storeContents();
        }

        StreamfitMetrics fresh = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness reopened = TopologyHarness.start(config, fresh)) {
            reopened.restoreStores(committed);
            ModelDirectory models = directory(reopened, fingerprint);
            // No record, no punctuation: nothing is in memory, and the store lists both.
            assertThat(fresh.models()).isEmpty();
            assertThat(models.page(null, 10)).extracting(ModelInfo::key).containsExactly("a", "b");
            assertThat(models.model("a").version()).isEqualTo(5);
            assertThat(models.model("b").version()).isEqualTo(6);
            assertThat(models.model("b").records()).isEqualTo(6);
            assertThat(models.model("b").lastTimestep()).isEqualTo(6);
            assertThat(models.model("b").checkpointBytes()).isPositive();
            assertThat(models.total()).isEqualTo(new ModelDirectory.Total(2, true));
            // A model that learns again shows its new state.
            reopened.send(record("a", 6));
            assertThat(models.model("a").version()).isEqualTo(6);
            assertThat(models.model("nope")).isNull();
            assertThat(directory(reopened, "another spec").page(null, 10)).isEmpty();
        }
    }

    @Test
    void modelsThatLeftMemoryAreStillListedPageByPageAndOnlyThoseInMemoryStayOnTheHeap() {
        // A zero budget keeps only the model in use: every other one leaves memory after its batch.
        Map<String, String> config = TestConfigs.regressor(3).app("models-evicted").stateDir(stateDir)
                .with("batch.timesteps", 1).with("model.hidden", 4).with("models.cache.max.bytes", 0).toMap();
        try (TopologyHarness h = TopologyHarness.start(config)) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                String key = String.format("k%02d", i);
                keys.add(key);
                h.send(record(key, 1));
                h.send(record(key, 2));
            }
            String fingerprint = h.metrics().model("k24").spec();
            assertThat(h.metrics().models()).as("the models in memory").hasSize(1);
            ModelDirectory models = directory(h, fingerprint);
            List<String> walked = new ArrayList<>();
            String after = null;
            List<ModelInfo> page;
            do {
                page = models.page(after, 7);
                page.forEach(m -> {
                    walked.add(m.key());
                    assertThat(m.version()).as(m.key()).isEqualTo(2);
                });
                after = page.isEmpty() ? after : page.get(page.size() - 1).key();
            } while (page.size() == 7);
            assertThat(walked).isEqualTo(keys);
            // A key that comes back is read from its checkpoint and goes on from there.
            h.send(record("k03", 3));
            assertThat(h.metrics().model("k03").version()).isEqualTo(3);
            assertThat(h.metrics().models()).hasSize(1);
        }
    }
}
