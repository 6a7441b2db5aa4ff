package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The graph's predictions, loss and gradients against a plain-Java computation. */
class SharedWeightRegressorMathTest {

    private static final int M = 3;
    private static final int[] HIDDEN = {4};
    private static final float LR = 0.5f;

    @ParameterizedTest(name = "{0}, w = {1}")
    @CsvSource({"tanh, 0.0", "tanh, 0.5", "tanh, 1.0", "relu, 0.5", "sigmoid, 0.5", "linear, 0.3"})
    void lossAndGradientsMatchPlainJava(String activation, double w) {
        ModelSpec spec = ModelSpec.regressor(M, HIDDEN, activation, w, ModelSpec.OptimizerSpec.of("sgd", LR), 7);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            // One warm-up update so that the biases are not zero any more.
            model.step(Batches.random(M, 1, 3, 2), true);
            Map<String, float[]> before = model.weights();
            ObjectBatch batch = Batches.mixed(M, 2);
            ReferenceMlp.Output expected = new ReferenceMlp(M, HIDDEN, activation, before).run(batch, w);

            StepResult result = model.step(batch, true);
            Map<String, float[]> after = model.weights();

            assertThat(result.updated()).isTrue();
            // Relative above 1: the loss reaches about 64 in these cases, where 1e-5 absolute is under
            // 3 float ulps, less than the rounding of the float32 sums it is made of.
            assertThat(result.loss()).isCloseTo(expected.loss(), FloatTolerance.scaledWithin(1e-5, expected.loss()));
            assertThat(expected.loss()).isGreaterThan(1e-3); // a vacuous zero loss would prove nothing
            for (int i = 0; i < batch.objects(); i++) {
                assertThat((double) result.objectPredictions()[i]).as("prediction %d", i)
                        .isCloseTo(expected.predictions()[i], within(1e-5));
            }
            assertThat(after.keySet()).containsExactlyElementsOf(expected.gradients().keySet());
            for (Map.Entry<String, double[]> e : expected.gradients().entrySet()) {
                float[] wb = before.get(e.getKey());
                float[] wa = after.get(e.getKey());
                for (int j = 0; j < wb.length; j++) {
                    double grad = ((double) wb[j] - wa[j]) / LR;
                    // Relative above 1: gradients reach about 23, read back through weights of about
                    // 11 whose float rounding alone moves the gradient by about 1e-6.
                    assertThat(grad).as("gradient of %s[%d]", e.getKey(), j)
                            .isCloseTo(e.getValue()[j], FloatTolerance.scaledWithin(1e-5, e.getValue()[j]));
                }
            }
        }
    }

    @Test
    void sumPredictionsArePerTimestepSumsOfObjectPredictions() {
        ModelSpec spec = ModelSpec.regressor(M, HIDDEN, "tanh", 0.5, ModelSpec.OptimizerSpec.of("sgd", LR), 7);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            ObjectBatch batch = Batches.mixed(M, 3);
            StepResult r = model.step(batch, false);
            assertThat(r.sumPredictions()).hasSize(5);
            for (int t = 0; t < batch.timesteps(); t++) {
                double s = 0;
                for (int i = batch.firstObject(t); i < batch.firstObject(t + 1); i++) {
                    s += r.objectPredictions()[i];
                }
                assertThat((double) r.sumPredictions()[t]).isCloseTo(s, within(1e-5));
            }
        }
    }

    @Test
    void permutingObjectsPermutesPredictions() {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {8, 4}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 11);
        ObjectBatch batch = Batches.random(M, 5, 6);
        int[] perm = {4, 0, 5, 2, 1, 3};
        ObjectBatch permuted = new ObjectBatch(M);
        permuted.beginTimestep();
        for (int i : perm) {
            permuted.addDense(batch.x(), i * M, true, batch.objectTarget()[i]);
        }
        permuted.endTimestep();
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            float[] p = model.step(batch, false).objectPredictions();
            StepResult q = model.step(permuted, false);
            float[] permutedP = new float[perm.length];
            for (int j = 0; j < perm.length; j++) {
                permutedP[j] = p[perm[j]];
            }
            // Not bit for bit: a matrix product may take another code path for a row at another
            // position (a vector block or the tail); in ulps, as these predictions reach about 6,
            // where 1e-6 absolute is 2 ulps.
            FloatTolerance.assertUlpsClose(q.objectPredictions(), permutedP, FloatTolerance.OTHER_KERNEL_ULPS, 1f,
                    "permuted predictions");
            assertThat(p[0]).isNotCloseTo(p[1], within(1e-4f)); // distinct values, or the test is vacuous
        }
    }

    @Test
    void predictionsOfATrainingStepAreThoseBeforeTheUpdate() {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {16, 8}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.05), 3);
        try (SharedWeightRegressor trained = new SharedWeightRegressor(spec);
             SharedWeightRegressor predicted = new SharedWeightRegressor(spec)) {
            for (int s = 0; s < 3; s++) {
                ObjectBatch batch = Batches.mixed(M, 100 + s);
                StepResult p = predicted.step(batch, false);
                StepResult t = trained.step(batch, true);
                // Equal maths, not equal kernels: the training graph keeps the forward pass's
                // intermediates for the gradients, the predict-only graph does not, and oneDNN
                // computes the two differently (3 ulps apart on a Xeon with AVX-512).
                FloatTolerance.assertUlpsClose(t.objectPredictions(), p.objectPredictions(),
                        FloatTolerance.OTHER_KERNEL_ULPS, 1f, "object predictions, round " + s);
                FloatTolerance.assertUlpsClose(t.sumPredictions(), p.sumPredictions(),
                        FloatTolerance.OTHER_KERNEL_ULPS, 1f, "sum predictions, round " + s);
                // keep both on the same state for the next round
                predicted.importState(trained.exportState());
                // The update moves the predictions by far more than the tolerance: predictions after
                // it would have failed the comparison above.
                assertThat(FloatTolerance.maxUlpsApart(predicted.step(batch, false).objectPredictions(),
                        p.objectPredictions(), 1f)).isGreaterThan(100.0 * FloatTolerance.OTHER_KERNEL_ULPS);
            }
        }
    }

    @Test
    void adamStepsFollowTheAdamUpdateRule() {
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        // The reference is Adam's rule alone; clipping has its own tests.
        ModelSpec spec = ModelSpec.regressor(M, HIDDEN, "tanh", 0.5, new ModelSpec.OptimizerSpec("adam", lr,
                Map.of(Optimizers.PARAM_CLIP_NORM, 0.0)), 7);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            for (int t = 1; t <= 8; t++) {
                Map<String, float[]> before = model.variables();
                ObjectBatch batch = Batches.mixed(M, 20 + t);
                ReferenceMlp.Output expected = new ReferenceMlp(M, HIDDEN, "tanh", before).run(batch, 0.5);
                model.step(batch, true);
                Map<String, float[]> after = model.variables();

                // ApplyAdam must see beta^t; the step counters move to beta^(t+1) afterwards.
                double lrT = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                assertThat((double) after.get("beta1_power")[0]).isCloseTo(Math.pow(b1, t + 1), within(1e-6));
                assertThat((double) after.get("beta2_power")[0]).isCloseTo(Math.pow(b2, t + 1), within(1e-6));
                for (Map.Entry<String, double[]> e : expected.gradients().entrySet()) {
                    String name = e.getKey();
                    for (int j = 0; j < e.getValue().length; j++) {
                        double g = e.getValue()[j];
                        double m = after.get(name + "-m")[j];
                        double v = after.get(name + "-v")[j];
                        assertThat(m).as("%s-m[%d] at step %d", name, j, t)
                                .isCloseTo(b1 * before.get(name + "-m")[j] + (1 - b1) * g, within(1e-5));
                        assertThat(v).as("%s-v[%d] at step %d", name, j, t)
                                .isCloseTo(b2 * before.get(name + "-v")[j] + (1 - b2) * g * g, within(1e-6));
                        double step = (double) before.get(name)[j] - after.get(name)[j];
                        assertThat(step).as("%s[%d] at step %d", name, j, t)
                                .isCloseTo(lrT * m / (Math.sqrt(v) + eps), within(1e-6));
                    }
                }
            }
        }
    }
}
