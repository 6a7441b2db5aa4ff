package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The declarations of {@link Optimizers}: every check of a parameter follows from its declared
 * range, and the spec built from configured values keeps the fingerprints of earlier versions.
 * Builds update rules only, no graph.
 */
class OptimizerRegistryTest {

    @Test
    void everyOwnParameterIsCheckedAgainstItsDeclaredRange() {
        for (String name : Optimizers.names()) {
            for (String key : Optimizers.defaults(name).keySet()) {
                OptimizerParam p = Optimizers.params().stream().filter(q -> q.key().equals(key)).findFirst()
                        .orElseThrow();
                double bad = p.type() == OptimizerParam.Type.FLAG ? 0.5 : Double.POSITIVE_INFINITY;
                assertThatThrownBy(() -> create(name, key, bad)).as(name + " " + key)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("parameter " + key + " must be " + p.describeValid());
                if (p.type() == OptimizerParam.Type.NUMBER) {
                    OptimizerParam.Range r = p.range();
                    if (r.minInclusive()) {
                        assertThatCode(() -> create(name, key, r.min())).as(name + " " + key + " at its minimum")
                                .doesNotThrowAnyException();
                    } else {
                        assertThatThrownBy(() -> create(name, key, r.min())).as(name + " " + key + " at its open end")
                                .isInstanceOf(IllegalArgumentException.class);
                    }
                    assertThatThrownBy(() -> create(name, key, Math.nextDown(r.min()))).as(name + " " + key)
                            .isInstanceOf(IllegalArgumentException.class);
                }
            }
        }
    }

    @Test
    void messagesStateTheRangeAsBefore() {
        assertThatThrownBy(() -> create(Optimizers.ADAM, Optimizers.PARAM_EPSILON, 0.0))
                .hasMessage("optimizer 'adam' parameter epsilon must be > 0, got 0.0");
        assertThatThrownBy(() -> create(Optimizers.FTRL, Optimizers.PARAM_FTRL_L1, -1.0))
                .hasMessage("optimizer 'ftrl' parameter ftrl.l1 must be >= 0, got -1.0");
        assertThatThrownBy(() -> create(Optimizers.RMSPROP, Optimizers.PARAM_RHO, 1.0))
                .hasMessage("optimizer 'rmsprop' parameter rho must be in [0.0, 1.0), got 1.0");
    }

    @Test
    void defaultsByOptimizerListWhoTakesAParameter() {
        assertThat(Optimizers.defaultsByOptimizer(Optimizers.PARAM_MOMENTUM)).containsExactly(
                Map.entry(Optimizers.MOMENTUM, 0.9), Map.entry(Optimizers.NEURON_MEAN_MOMENTUM, 0.9),
                Map.entry(Optimizers.RMSPROP, 0.0));
        assertThat(Optimizers.defaultsByOptimizer(Optimizers.PARAM_L2)).containsOnlyKeys(Optimizers.names())
                .allSatisfy((name, d) -> assertThat(d).isEqualTo(0.0));
        assertThatThrownBy(() -> Optimizers.defaultsByOptimizer("betta1"))
                .hasMessageContaining("unknown optimizer parameter 'betta1'");
    }

    @Test
    void commonParametersEnterTheSpecOnlyWhenInUse() {
        Map<String, Double> nothingOn = Optimizers.specParams(Optimizers.ADAM, key -> null,
                LearningRateSchedule.CONSTANT);
        assertThat(nothingOn).isEqualTo(Optimizers.defaults(Optimizers.ADAM));
        assertThat(new ModelSpec.OptimizerSpec(Optimizers.ADAM, 0.001, nothingOn).toString())
                .isEqualTo("adam(lr=0.001, {beta1=0.9, beta2=0.999, epsilon=1.0E-8})");

        Map<String, Double> configured = Map.of(Optimizers.PARAM_L2, 0.01, Optimizers.PARAM_L1, 0.0,
                Optimizers.PARAM_BETA1, 0.8, Optimizers.PARAM_MOMENTUM, 0.5, Optimizers.PARAM_DECAY_RATE, 0.5);
        assertThat(Optimizers.specParams(Optimizers.ADAM, configured::get, LearningRateSchedule.CONSTANT))
                .as("l1 at its default and the unused schedule stay out; momentum is not adam's")
                .isEqualTo(Map.of(Optimizers.PARAM_BETA1, 0.8, Optimizers.PARAM_BETA2, 0.999,
                        Optimizers.PARAM_EPSILON, 1e-8, Optimizers.PARAM_L2, 0.01));
        assertThat(Optimizers.specParams(Optimizers.SGD, configured::get, LearningRateSchedule.EXPONENTIAL))
                .isEqualTo(Map.of(Optimizers.PARAM_L2, 0.01, Optimizers.PARAM_DECAY_RATE, 0.5,
                        Optimizers.PARAM_DECAY_STEPS, LearningRateSchedule.STEPS_DEFAULT));
    }

    @Test
    void configEnumsParseTheirSpellingsAndListThemWhenUnknown() {
        assertThat(Activation.fromConfig(" ReLU ")).isEqualTo(Activation.RELU);
        assertThat(InputLayout.fromConfig("SPARSE")).isEqualTo(InputLayout.SPARSE);
        assertThat(LearningRateSchedule.Kind.fromConfig("inverse-time"))
                .isEqualTo(LearningRateSchedule.Kind.INVERSE_TIME);
        assertThatThrownBy(() -> InputLayout.fromConfig("csr"))
                .hasMessage("unknown input 'csr'; expected one of [dense, sparse, auto]");
        assertThatThrownBy(() -> LearningRateSchedule.Kind.fromConfig("cosine"))
                .hasMessage("unknown learning-rate schedule 'cosine'; expected one of [constant, exponential, "
                        + "inverse-time]");
        assertThatThrownBy(() -> ModelSpec.regressor(3, new int[0], "relu", 0.5, ModelSpec.OptimizerSpec.of("sgd",
                0.1), 1).withInput("csr")).hasMessageContaining("expected one of [dense, sparse, auto]");
        assertThat(ModelSpec.regressor(3, new int[0], "relu", 0.5, ModelSpec.OptimizerSpec.of("sgd", 0.1), 1)
                .withInput(" Dense ").inputLayout()).isEqualTo(InputLayout.DENSE);
    }

    private static PairOptimizer create(String name, String key, double value) {
        return Optimizers.create(new ModelSpec.OptimizerSpec(name, 0.01, Map.of(key, value)));
    }
}
