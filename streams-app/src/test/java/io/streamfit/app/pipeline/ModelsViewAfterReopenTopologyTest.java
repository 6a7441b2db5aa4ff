package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task that opens again (a restart, a rebalance, or Streams closing and reviving a corrupted
 * task) shows its models on {@code /models} at once, from their checkpoints, and not only once
 * they learn again. CrashEquivalenceIT found it: a restarted task had processed all its input
 * before Streams reopened it, and its models never showed again.
 */
class ModelsViewAfterReopenTopologyTest {

    @TempDir
    Path stateDir;

    private static Timestep record(String series, long t) {
        return new Timestep(series, t, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                new float[] {t % 3, 1, 2}), 0.5 * (t % 3), null)), null);
    }

    @Test
    void aReopenedTaskPublishesItsStoredModelsBeforeAnyNewRecord() {
        Map<String, String> config = TestConfigs.regressor(3).app("models-view").stateDir(stateDir)
                .with("batch.timesteps", 1).with("model.hidden", 4).toMap();
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness first = TopologyHarness.start(config)) {
            for (long t = 1; t <= 5; t++) {
                first.send(record("a", t));
                first.send(record("b", t));
            }
            first.send(record("b", 6));
            assertThat(first.metrics().models()).extracting(ModelInfo::key).containsExactlyInAnyOrder("a", "b");
            committed = first.storeContents();
        }

        StreamfitMetrics fresh = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness reopened = TopologyHarness.start(config, fresh)) {
            reopened.restoreStores(committed);
            assertThat(fresh.models()).isEmpty();
            // No record: the task's first punctuation is all that happens.
            reopened.advanceWallClockTime(Duration.ofSeconds(1));

            assertThat(fresh.models()).extracting(ModelInfo::key).containsExactlyInAnyOrder("a", "b");
            assertThat(fresh.model("a").version()).isEqualTo(5);
            assertThat(fresh.model("b").version()).isEqualTo(6);
            assertThat(fresh.model("b").records()).isEqualTo(6);
            assertThat(fresh.model("b").checkpointBytes()).isPositive();
            // A model that learns again replaces its published view as before.
            reopened.send(record("a", 6));
            assertThat(fresh.model("a").version()).isEqualTo(6);
        }
    }
}
