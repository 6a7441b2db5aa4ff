package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.model.Models;
import io.streamfit.model.SharedWeightRegressor;
import org.junit.jupiter.api.Test;

/** The test-side reader of the checkpoint format sees the model's real weights. */
class CheckpointWeightsTest {

    @Test
    void readsTheWeightsAModelExports() {
        StreamfitConfig cfg = new StreamfitConfig(Map.of("model.features", "3", "model.hidden", "4"));
        try (var model = (SharedWeightRegressor) Models.create(cfg.modelSpec())) {
            Map<String, float[]> read = CheckpointWeights.read(model.exportState());
            Map<String, float[]> weights = model.weights();
            assertThat(weights).isNotEmpty();
            weights.forEach((name, values) -> {
                float[] found = read.entrySet().stream().filter(e -> e.getKey().endsWith(name)).findFirst()
                        .map(Map.Entry::getValue).orElseThrow(() -> new AssertionError(name + " not in " + read.keySet()));
                assertThat(found).containsExactly(values);
            });
        }
    }
}
