package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad specs fail fast with messages that name the bad value and the good ones. */
class ModelConfigurationErrorsTest {

    private static ModelSpec spec(String activation, ModelSpec.OptimizerSpec optimizer) {
        return ModelSpec.regressor(3, new int[] {4}, activation, 0.5, optimizer, 1);
    }

    @Test
    void unknownOptimizer() {
        assertThatThrownBy(() -> Models.create(spec("relu", ModelSpec.OptimizerSpec.of("adamw", 0.01))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown optimizer 'adamw'")
                .hasMessageContaining("adam").hasMessageContaining("momentum").hasMessageContaining("sgd");
    }

    @Test
    void unknownOrOutOfRangeOptimizerParameter() {
        assertThatThrownBy(() -> Models.create(spec("relu",
                new ModelSpec.OptimizerSpec("adam", 0.01, Map.of("betta1", 0.9)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown parameter 'betta1'").hasMessageContaining("beta1");
        assertThatThrownBy(() -> Models.create(spec("relu",
                new ModelSpec.OptimizerSpec("momentum", 0.01, Map.of("momentum", 1.5)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("momentum must be in [0.0, 1.0)");
        assertThatThrownBy(() -> Models.create(spec("relu",
                new ModelSpec.OptimizerSpec("momentum", 0.01, Map.of("nesterov", 0.5)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nesterov must be 0 or 1");
    }

    @Test
    void unknownActivation() {
        assertThatThrownBy(() -> Models.create(spec("gelu", ModelSpec.OptimizerSpec.of("sgd", 0.01))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown activation 'gelu'")
                .hasMessageContaining("relu").hasMessageContaining("tanh")
                .hasMessageContaining("sigmoid").hasMessageContaining("linear");
    }

    @Test
    void unknownKind() {
        ModelSpec s = new ModelSpec("forest", 3, new int[0], "relu", 0.5, ModelSpec.OptimizerSpec.of("sgd", 0.1), 1, 1, 1);
        assertThatThrownBy(() -> Models.create(s))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forest");
    }

    @Test
    void batchOfOtherWidth() {
        try (OnlineModel model = Models.create(spec("relu", ModelSpec.OptimizerSpec.of("sgd", 0.01)))) {
            assertThatThrownBy(() -> model.step(Batches.random(5, 1, 2), true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 features");
        }
    }

    @Test
    void everyKnownOptimizerAndActivationBuilds() {
        for (String opt : Optimizers.names()) {
            for (Activation act : Activation.values()) {
                try (OnlineModel model = Models.create(spec(act.configName(), ModelSpec.OptimizerSpec.of(opt, 0.01)))) {
                    StepResult r = model.step(Batches.random(3, 1, 2), true);
                    assertThat(r.updated()).isTrue();
                    assertThat(model).isInstanceOf(SharedWeightRegressor.class);
                }
            }
        }
    }

    @Test
    void closedModelRefusesWork() {
        OnlineModel model = Models.create(spec("relu", ModelSpec.OptimizerSpec.of("sgd", 0.01)));
        model.close();
        model.close(); // idempotent
        assertThatThrownBy(() -> model.step(Batches.random(3, 1, 2), false)).isInstanceOf(IllegalStateException.class);
    }
}
