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
        // w = 1: only the object term, so targets equal to the predictions leave almost no data gradient.
        return ModelSpec.regressor(M, HIDDEN, "tanh", 1.0, new ModelSpec.OptimizerSpec("sgd", LR, params, schedule), 5);
    }

    /**
     * One timestep of 4 objects (features in [-1, 1]) whose targets are the model's own
     * predictions as the predict-only graph computes them. The training graph may compute them
     * with other kernels, a few ulps away ({@link FloatTolerance}), so the data gradient is not
     * exactly 0 but bounded by {@link #residualGradientBound}.
     */
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

    /**
     * A bound on the data gradient of every parameter in a step on a {@link #zeroGradientBatch}
     * that reported {@code loss}. With the residuals r_i = p_i - y_i of its n objects,
     * loss = sum r_i^2 / n (w = 1, one timestep), dloss/dp_i = 2 r_i / n, and by Cauchy-Schwarz
     * sum_i |dloss/dp_i| &lt;= 2 sqrt(loss). Each gradient of the one-hidden-layer tanh network sums
     * dloss/dp_i times a factor: 1 for output_bias, a tanh output (|h| &lt;= 1) for output_kernel,
     * output_kernel[j] tanh'(z) (at most |output_kernel[j]|) for dense_0_bias[j], and that times an
     * input (|x| &lt;= 1) for dense_0_kernel. The 1.01 covers the float rounding of the loss and
     * of the gradients themselves (relative errors of about 1e-6).
     */
    private static double residualGradientBound(double loss, float[] outputKernel) {
        double factor = 1;
        for (float w : outputKernel) {
            factor = Math.max(factor, Math.abs(w));
        }
        return 1.01 * 2 * Math.sqrt(loss) * factor;
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
            // Residuals of a few ulps of predictions of order 1 give about 1e-15 (exactly 0 where both
            // graphs get the same kernels); 1e-12 would take residuals of 1e-6, some 8 ulps of 1.
            assertThat(r.loss()).as("loss of the data term").isLessThan(1e-12);
            double residualStep = LR * residualGradientBound(r.loss(), before.get("output_kernel"));
            for (String name : before.keySet()) {
                float[] b = before.get(name);
                float[] a = after.get(name);
                if (name.endsWith("_bias")) {
                    for (int i = 0; i < b.length; i++) {
                        // The residual step, then b - step rounded to a float: half an ulp of b.
                        double allowed = residualStep + Math.ulp(b[i]);
                        assertThat(Math.abs((double) a[i] - b[i])).as("%s[%d] moved", name, i)
                                .isLessThanOrEqualTo(allowed);
                    }
                    // Not vacuous: regularising the largest bias would move it by far more.
                    int largest = 0;
                    for (int i = 1; i < b.length; i++) {
                        largest = Math.abs(b[i]) > Math.abs(b[largest]) ? i : largest;
                    }
                    double regularised = LR * strength * (key.equals("l1") ? Math.abs(Math.signum(b[largest]))
                            : Math.abs(b[largest]));
                    assertThat(regularised).as("%s[%d] regularised would move by", name, largest)
                            .isGreaterThan(100 * (residualStep + Math.ulp(b[largest])));
                } else {
                    for (int i = 0; i < b.length; i++) {
                        double expected = key.equals("l1") ? b[i] - LR * strength * Math.signum(b[i])
                                : b[i] * (1 - LR * strength);
                        // The residual step, then about three float roundings of half an ulp of the
                        // largest operand: the weight, or for l1 its step LR * l1.
                        double operand = Math.max(Math.abs(b[i]), key.equals("l1") ? LR * strength : 0);
                        double allowed = residualStep + 2 * Math.ulp((float) operand);
                        assertThat((double) a[i]).as("%s[%d]", name, i).isCloseTo(expected, within(allowed));
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
             SharedWeightRegressor plain = new SharedWeightRegressor(spec(Map.of("clip.norm", 0.0), "constant"))) {
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

            // Within the limit the gradients are scaled by exactly 1. Not compared bit for bit: the
            // clipping ops read the gradients, so the two graphs differ and may get other kernels.
            StepResult l = loose.step(batch, true);
            plain.step(batch, true);
            assertThat(l.clipped()).isFalse();
            Map<String, float[]> expected = plain.variables();
            Map<String, float[]> actual = loose.variables();
            assertThat(actual.keySet()).isEqualTo(expected.keySet());
            expected.forEach((name, v) -> FloatTolerance.assertUlpsClose(actual.get(name), v,
                    FloatTolerance.OTHER_KERNEL_ULPS, 1f, name));
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
                assertLearningRate(model, l2, t, schedule.at(LR, t), "update " + t);
            }
            restored.importState(model.exportState());
            double next = schedule.at(LR, 4);
            assertThat(next).isLessThan(schedule.at(LR, 0) * 0.5);
            assertLearningRate(restored, l2, 4, next, "update 4, after the import");
        }
    }

    /**
     * Steps {@code model} on a {@link #zeroGradientBatch} and checks the learning rate it used:
     * with l2, a weight w becomes w (1 - lr_t l2) - lr_t g, where g is the residual data gradient.
     * So (1 - w_after / w) / l2 is lr_t up to lr_t |g| / (|w| l2), plus the rounding of w_after
     * (about an ulp of w) divided the same way, plus the float32 rounding of lr_t itself.
     */
    private static void assertLearningRate(SharedWeightRegressor model, double l2, long seed, double expected,
                                           String what) {
        ObjectBatch batch = zeroGradientBatch(model, 100 + seed);
        float[] outputKernel = model.weights().get("output_kernel");
        float before = outputKernel[0];
        StepResult r = model.step(batch, true);
        float after = model.weights().get("output_kernel")[0];
        assertThat(r.loss()).as("%s: loss of the data term", what).isLessThan(1e-12);
        double tolerance = (LR * residualGradientBound(r.loss(), outputKernel) + 2 * Math.ulp(before))
                / (Math.abs(before) * l2) + 4 * Math.ulp((float) expected);
        // Sharp enough to tell one update's rate from the next one's.
        assertThat(tolerance).as(what + ": tolerance").isLessThan(1e-4);
        assertThat((1 - (double) after / before) / l2).as(what).isCloseTo(expected, within(tolerance));
    }
}
