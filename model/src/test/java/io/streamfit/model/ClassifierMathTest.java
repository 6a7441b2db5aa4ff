package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The classifier's softmax cross-entropy, count term and their gradients: a case derived by hand,
 * then random weights against the plain-Java {@link ReferenceSoftmax}. Gradients are read off one
 * SGD step with learning rate 1 (gradient = weights before - weights after).
 */
class ClassifierMathTest {

    private static final int C = 3;

    private static Classifier softmaxRegression(int m, double w) {
        return softmaxRegression(m, w, ModelSpec.INPUT_AUTO);
    }

    private static Classifier softmaxRegression(int m, double w, String input) {
        // A step of sgd at rate 1 is minus the gradient only without clipping.
        return new Classifier(ModelSpec.classifier(m, C, new int[0], "linear", w, new ModelSpec.OptimizerSpec("sgd", 1.0,
                java.util.Map.of(Optimizers.PARAM_CLIP_NORM, 0.0)), 5).withInput(input));
    }

    /**
     * Two objects with all-zero features, labels 0 and 2, w = 0.5. The biases start at zero, so
     * every logit is 0 and p_i = (1/3, 1/3, 1/3) whatever the kernel.
     * <ul>
     *   <li>cross-entropy of each object: -log(1/3) = ln 3; object term: w ln 3 = ln(3) / 2</li>
     *   <li>derived counts K = (1, 0, 1); expected counts E = (2/3, 2/3, 2/3); count term:
     *       (1 - w) (1/3) ((1/3)^2 + (2/3)^2 + (1/3)^2) = 1/9</li>
     *   <li>dloss/dz_i from the cross-entropy: (w / 2) (p_i - y_i): object 0 (-1/6, 1/12, 1/12),
     *       object 1 (1/12, 1/12, -1/6)</li>
     *   <li>from the count term: dloss/dp_i = (1 - w) (2/3) (E - K) = (-1/9, 2/9, -1/9), whose
     *       dot product with p_i is 0, so dloss/dz_i = p_i * dp = (-1/27, 2/27, -1/27)</li>
     *   <li>bias gradient = sum_i dloss/dz_i = (-1/12 - 2/27, 1/6 + 4/27, -1/12 - 2/27)
     *       = (-17/108, 34/108, -17/108); kernel gradient 0 (x = 0)</li>
     * </ul>
     * In the sparse input mode the batch has no nonzero at all (empty COO feeds).
     */
    @ParameterizedTest(name = "{0} input")
    @ValueSource(strings = {ModelSpec.INPUT_DENSE, ModelSpec.INPUT_SPARSE})
    void handDerivedCrossEntropyCountTermAndGradient(String input) {
        try (Classifier model = softmaxRegression(2, 0.5, input)) {
            ObjectBatch batch = new ObjectBatch(2);
            batch.beginTimestep();
            batch.addDense(new float[2], 0, false, 0f);
            batch.setLabel(0);
            batch.addDense(new float[2], 0, false, 0f);
            batch.setLabel(2);
            batch.endTimestep();
            Map<String, float[]> before = model.weights();

            StepResult r = model.step(batch, true);
            Map<String, float[]> after = model.weights();

            assertThat(r.updated()).isTrue();
            assertThat(r.loss()).isCloseTo(Math.log(3) / 2 + 1.0 / 9, within(1e-6));
            for (float p : r.probabilities()) {
                assertThat((double) p).isCloseTo(1.0 / 3, within(1e-6));
            }
            assertThat(r.expectedCounts()).hasSize(C);
            assertThat((double) r.expectedCounts()[1]).isCloseTo(2.0 / 3, within(1e-6));
            double[] biasGradient = {-17.0 / 108, 34.0 / 108, -17.0 / 108};
            for (int c = 0; c < C; c++) {
                double g = (double) before.get("output_bias")[c] - after.get("output_bias")[c];
                assertThat(g).as("bias gradient %d", c).isCloseTo(biasGradient[c], within(1e-6));
            }
            assertThat(after.get("output_kernel")).containsExactly(before.get("output_kernel"));
            // Ties: all three probabilities are equal, so the predicted class is the lowest index.
            assertThat(r.predictedClass(0)).isZero();
            assertThat((double) r.objectPredictions()[0]).isCloseTo(1.0 / 3, within(1e-6));
        }
    }

    /**
     * Random weights, two objects whose features are unit vectors e_0 and e_1: then row i of the
     * kernel gradient is exactly dloss/dz of object i, so the logits' gradient is checked too.
     */
    @Test
    void logitAndWeightGradientsMatchTheReference() {
        double w = 0.5;
        try (Classifier model = softmaxRegression(2, w)) {
            // One update first so that the biases are not zero any more.
            model.step(batch(new double[][] {{0.3, -0.7}, {1.2, 0.4}}, new int[] {1, 1}, null), true);
            Map<String, float[]> before = model.weights();
            double[][] x = {{1, 0}, {0, 1}};
            int[] labels = {0, 2};
            ReferenceSoftmax.Output expected = ReferenceSoftmax.run(before.get("output_kernel"),
                    before.get("output_bias"), C, x, new int[] {0, 0}, labels, new double[][] {{1, 0, 1}}, w);

            StepResult r = model.step(batch(x, labels, null), true);
            Map<String, float[]> after = model.weights();

            assertThat(r.loss()).isCloseTo(expected.loss(), within(1e-6));
            assertThat(expected.loss()).isGreaterThan(0.1);
            for (int i = 0; i < 2; i++) {
                for (int c = 0; c < C; c++) {
                    assertThat((double) r.probabilities()[i * C + c]).isCloseTo(expected.probabilities()[i][c],
                            within(1e-6));
                    double g = (double) before.get("output_kernel")[i * C + c] - after.get("output_kernel")[i * C + c];
                    assertThat(g).as("dloss/dz of object %d class %d", i, c)
                            .isCloseTo(expected.logitGradient()[i][c], within(1e-6));
                }
            }
            assertGradient(before, after, "output_bias", expected.biasGradient());
        }
    }

    /** Only count targets (no labels): the network learns from the aggregate alone. */
    @Test
    void countTermAloneMatchesTheReference() {
        double w = 0.3;
        try (Classifier model = softmaxRegression(4, w)) {
            model.step(batch(new double[][] {{0.3, -0.7, 0.1, 0.9}}, new int[] {2}, null), true);
            Map<String, float[]> before = model.weights();
            double[][] x = {{0.5, -1.0, 0.25, 2.0}, {-0.3, 0.8, 1.5, -0.6}, {1.1, 0.2, -0.9, 0.4}};
            float[] counts = {2, 1, 0};
            ReferenceSoftmax.Output expected = ReferenceSoftmax.run(before.get("output_kernel"),
                    before.get("output_bias"), C, x, new int[] {0, 0, 0}, new int[] {-1, -1, -1},
                    new double[][] {{2, 1, 0}}, w);

            StepResult r = model.step(batch(x, new int[] {-1, -1, -1}, counts), true);
            Map<String, float[]> after = model.weights();

            assertThat(r.updated()).isTrue();
            assertThat(r.loss()).isCloseTo(expected.loss(), within(1e-6));
            assertThat(expected.loss()).isGreaterThan(0.01);
            assertGradient(before, after, "output_kernel", expected.kernelGradient());
            assertGradient(before, after, "output_bias", expected.biasGradient());
            for (int c = 0; c < C; c++) {
                double e = 0;
                for (int i = 0; i < 3; i++) {
                    e += expected.probabilities()[i][c];
                }
                assertThat((double) r.expectedCounts()[c]).isCloseTo(e, within(1e-6));
            }
        }
    }

    /** The stable log-softmax: logits far beyond exp's range still give a finite loss and update. */
    @Test
    void hugeLogitsStayFinite() {
        try (Classifier model = softmaxRegression(1, 1.0)) {
            StepResult r = model.step(batch(new double[][] {{1e4}}, new int[] {0}, null), true);
            assertThat(r.updated()).as("skipped: %s", r.skipped()).isTrue();
            assertThat(r.loss()).isFinite();
        }
    }

    @Test
    void predictionsAreTheArgmaxProbabilityAndTheirSums() {
        try (Classifier model = new Classifier(ModelSpec.classifier(3, 4, new int[] {5}, "tanh", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.01), 9))) {
            ObjectBatch b = Batches.random(3, 4, 3, 2);
            StepResult r = model.step(b, false);
            assertThat(r.classes()).isEqualTo(4);
            assertThat(r.probabilities()).hasSize(5 * 4);
            assertThat(r.expectedCounts()).hasSize(2 * 4);
            for (int i = 0; i < 5; i++) {
                double sum = 0;
                int best = 0;
                for (int c = 0; c < 4; c++) {
                    sum += r.probabilities()[i * 4 + c];
                    if (r.probabilities()[i * 4 + c] > r.probabilities()[i * 4 + best]) {
                        best = c;
                    }
                }
                assertThat(sum).isCloseTo(1.0, within(1e-6));
                assertThat(r.predictedClass(i)).isEqualTo(best);
                assertThat(r.objectPredictions()[i]).isEqualTo(r.probabilities()[i * 4 + best]);
            }
            assertThat(r.sumPredictions()[0]).isCloseTo(r.objectPredictions()[0] + r.objectPredictions()[1]
                    + r.objectPredictions()[2], within(1e-6f));
            for (int c = 0; c < 4; c++) {
                assertThat(r.expectedCounts()[4 + c]).isCloseTo(r.probabilities()[3 * 4 + c]
                        + r.probabilities()[4 * 4 + c], within(1e-6f));
            }
        }
    }

    private static void assertGradient(Map<String, float[]> before, Map<String, float[]> after, String name,
                                       double[] expected) {
        for (int j = 0; j < expected.length; j++) {
            double g = (double) before.get(name)[j] - after.get(name)[j];
            assertThat(g).as("gradient of %s[%d]", name, j).isCloseTo(expected[j], within(1e-6));
        }
    }

    /** One timestep of dense objects; labels -1 = none; counts null = none given. */
    static ObjectBatch batch(double[][] x, int[] labels, float[] counts) {
        ObjectBatch b = new ObjectBatch(x[0].length);
        b.beginTimestep();
        for (int i = 0; i < x.length; i++) {
            float[] row = new float[x[i].length];
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) x[i][j];
            }
            b.addDense(row, 0, false, 0f);
            if (labels[i] >= 0) {
                b.setLabel(labels[i]);
            }
        }
        if (counts != null) {
            b.setSumCounts(counts);
        }
        b.endTimestep();
        return b;
    }
}
