package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.topology.StreamfitTopology;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model directory asks only the tasks of the subtopology that holds a store for it. With
 * {@code model.scope=global} the features' tasks route and hold no model store; asking them made
 * {@code GET /models} answer {@code "complete": false} in a healthy demo.
 */
class StoreModelDirectorySubtopologyTest {

    @TempDir
    Path dir;

    @Test
    void globalScopeKeepsItsModelsInTheRouteTopicsSubtopologyOnly() {
        TopologyDescription d = describe("global");
        Set<Integer> models = StoreModelDirectory.subtopologiesWith(d, Names.MODEL_STORE);
        assertThat(d.subtopologies()).hasSize(2);
        assertThat(models).hasSize(1);
        assertThat(StoreModelDirectory.subtopologiesWith(d, Names.VERSIONS_STORE)).isEqualTo(models);
        TopologyDescription.Subtopology routing = d.subtopologies().stream()
                .filter(s -> !models.contains(s.id())).findFirst().orElseThrow();
        assertThat(routing.nodes()).anyMatch(n -> n instanceof TopologyDescription.Source s
                && s.topicSet().contains("features"));
    }

    @Test
    void seriesScopeHasOneSubtopologyThatHoldsEverything() {
        TopologyDescription d = describe("series");
        assertThat(StoreModelDirectory.subtopologiesWith(d, Names.MODEL_STORE)).hasSize(1)
                .isEqualTo(StoreModelDirectory.subtopologiesWith(d, Names.PENDING_STORE));
        assertThat(StoreModelDirectory.subtopologiesWith(d, "no-such-store")).isEmpty();
    }

    private TopologyDescription describe(String scope) {
        var config = TestConfigs.regressor(3).with("model.scope", scope).stateDir(dir).toConfig();
        return StreamfitTopology.build(config, new StreamfitMetrics(new SimpleMeterRegistry())).describe();
    }
}
