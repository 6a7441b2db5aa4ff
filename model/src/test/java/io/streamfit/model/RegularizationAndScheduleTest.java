package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Regularisation touches weights only, clipping bounds the global gradient norm, and the
 * learning-rate schedule follows the update count, also across export/import.
 */
class RegularizationAndScheduleTest {

    private static final int M = 3;
    private static final int[] HIDDEN = {4};
    private static final double LR = 0.5;

    private static ModelSpec spec(Map<String, Double> params, String schedule) {
        // w = 1: only the object term, so targets equal to the predictions give an exactly zero data gradient.
        return ModelSpec.regressor(M, HIDDEN, "tanh", 1.0, new ModelSpec.OptimizerSpec("sgd", LR, params, schedule), 5);
    }

    /** One timestep whose targets are the model's own predictions: the data gradient is exactly 0. */
    private static ObjectBatch zeroGradientBatch(SharedWeightRegressor model, long seed) {
        ObjectBatch probe = Batches.random(M, seed, 4);
        float[] p = model.step(probe, false).objectPredictions();
        ObjectBatch b = new ObjectBatch(M);
        b.beginTimestep();
        for (int i = 0; i < 4; i++) {
            b.addDense(probe.x(), i * M, true, p[i]);
        }
        b.endTimestep();
        return b;
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"l2, 0.1", "l1, 0.01", "weight.decay, 0.1"})
    void withZeroDataGradientWeightsDecayAndBiasesDoNot(String key, double strength) {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(Map.of(key, strength), "constant"))) {
            // Ordinary updates first, so that the biases are not zero (a zero bias cannot show decay).
            for (int s = 0; s < 3; s++) {
                model.step(Batches.random(M, s, 3, 2), true);
            }
            ObjectBatch batch = zeroGradientBatch(model, 9);
            Map<String, float[]> before = model.weights();
            StepResult r = model.step(batch, true);
            Map<String, float[]> after = model.weights();

            assertThat(r.updated()).isTrue();
            assertThat(r.loss()).isZero();
            for (String name : before.keySet()) {
                float[] b = before.get(name);
                float[] a = after.get(name);
                if (name.endsWith("_bias")) {
                    assertThat(b).as(name + " is not zero").satisfies(v -> assertThat(v[0]).isNotZero());
                    assertThat(a).as(name + " is untouched").containsExactly(b);
                } else {
                    for (int i = 0; i < b.length; i++) {
                        double expected = key.equals("l1") ? b[i] - LR * strength * Math.signum(b[i])
                                : b[i] * (1 - LR * strength);
                        assertThat((double) a[i]).as("%s[%d]", name, i).isCloseTo(expected, within(1e-6));
                    }
                    assertThat(a).as(name + " changed").isNotEqualTo(b);
                }
            }
        }
    }

    @Test
    void clippingScalesTheGlobalGradientNormDownToTheLimit() {
        double limit = 0.05;
        try (SharedWeightRegressor clippedModel = new SharedWeightRegressor(spec(Map.of("clip.norm", limit), "constant"));
             SharedWeightRegressor loose = new SharedWeightRegressor(spec(Map.of("clip.norm", 1e6), "constant"));
             SharedWeightRegressor plain = new SharedWeightRegressor(spec(Map.of(), "constant"))) {
            ObjectBatch batch = Batches.mixed(M, 4);
            Map<String, float[]> before = clippedModel.weights();
            StepResult r = clippedModel.step(batch, true);
            Map<String, float[]> after = clippedModel.weights();
            double squares = 0;
            for (String name : before.keySet()) {
                for (int i = 0; i < before.get(name).length; i++) {
                    double g = ((double) before.get(name)[i] - after.get(name)[i]) / LR;
                    squares += g * g;
                }
            }
            assertThat(r.clipped()).isTrue();
            assertThat(Math.sqrt(squares)).isCloseTo(limit, within(1e-5));

            // Within the limit the gradients are not touched at all.
            StepResult l = loose.step(batch, true);
            plain.step(batch, true);
            assertThat(l.clipped()).isFalse();
            assertThat(loose.variables()).containsExactlyEntriesOf(plain.variables());
        }
    }

    @ParameterizedTest
    @CsvSource({"exponential, 0.5, 2", "inverse-time, 1.5, 2"})
    void learningRateFollowsTheUpdateCountAndSurvivesExportImport(String kind, double rate, double steps) {
        double l2 = 0.1;
        Map<String, Double> params = new HashMap<>(Map.of("l2", l2, "decay.rate", rate, "decay.steps", steps));
        LearningRateSchedule schedule = new LearningRateSchedule(kind, rate, steps);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(params, kind));
             SharedWeightRegressor restored = new SharedWeightRegressor(spec(params, kind))) {
            for (int t = 0; t < 4; t++) {
                assertThat(model.version()).isEqualTo(t);
                assertThat(observedLearningRate(model, l2, t)).as("update %d", t)
                        .isCloseTo(schedule.at(LR, t), within(1e-5));
            }
            restored.importState(model.exportState());
            double next = schedule.at(LR, 4);
            assertThat(next).isLessThan(schedule.at(LR, 0) * 0.5);
            assertThat(observedLearningRate(restored, l2, 4)).isCloseTo(next, within(1e-5));
        }
    }

    /** With a zero data gradient and l2, a weight w becomes w (1 - lr_t l2): returns lr_t. */
    private static double observedLearningRate(SharedWeightRegressor model, double l2, long seed) {
        ObjectBatch batch = zeroGradientBatch(model, 100 + seed);
        float before = model.weights().get("output_kernel")[0];
        model.step(batch, true);
        float after = model.weights().get("output_kernel")[0];
        return (1 - (double) after / before) / l2;
    }
}
