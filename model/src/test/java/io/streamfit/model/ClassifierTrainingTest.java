package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The classifier learns: a linearly separable problem by softmax regression, XOR by an MLP. */
class ClassifierTrainingTest {

    /** Three well-separated clusters around the corners of a triangle. */
    private static final double[][] CENTERS = {{2, 0}, {-1, 1.7}, {-1, -1.7}};

    private interface Problem {
        /** Writes a point into {@code x} and returns its class. */
        int sample(Random r, float[] x);
    }

    private static final Problem CLUSTERS = (r, x) -> {
        int c = r.nextInt(3);
        x[0] = (float) (CENTERS[c][0] + 0.4 * r.nextGaussian());
        x[1] = (float) (CENTERS[c][1] + 0.4 * r.nextGaussian());
        return c;
    };

    /** Class 1 where exactly one coordinate is positive; points keep 0.1 away from the axes. */
    private static final Problem XOR = (r, x) -> {
        for (int j = 0; j < 2; j++) {
            double v = 0.1 + 0.9 * r.nextDouble();
            x[j] = (float) (r.nextBoolean() ? v : -v);
        }
        return (x[0] > 0) ^ (x[1] > 0) ? 1 : 0;
    };

    @Test
    void softmaxRegressionSeparatesThreeClusters() {
        ModelSpec spec = ModelSpec.classifier(2, 3, new int[0], "linear", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.05), 1);
        try (Classifier model = new Classifier(spec)) {
            double before = accuracy(model, CLUSTERS, 3);
            train(model, CLUSTERS, 300);
            double after = accuracy(model, CLUSTERS, 3);
            assertThat(after).as("accuracy after 300 steps (before: %s)", before).isGreaterThan(0.95);
            assertThat(model.version()).isEqualTo(300);
        }
    }

    @Test
    void mlpLearnsXorWhichSoftmaxRegressionCannot() {
        ModelSpec mlp = ModelSpec.classifier(2, 2, new int[] {16}, "sigmoid", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.1), 1);
        ModelSpec linear = ModelSpec.classifier(2, 2, new int[0], "linear", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.1), 1);
        try (Classifier a = new Classifier(mlp); Classifier b = new Classifier(linear)) {
            // Sigmoid units sit on a plateau for the first few hundred updates before XOR's
            // two boundaries form; 1,500 updates of 16 points leave a margin.
            train(a, XOR, 1500);
            train(b, XOR, 1500);
            assertThat(accuracy(a, XOR, 2)).as("MLP accuracy on XOR").isGreaterThan(0.95);
            // A linear boundary gets at most 3 of the 4 quadrants right.
            assertThat(accuracy(b, XOR, 2)).as("softmax regression accuracy on XOR").isLessThan(0.8);
        }
    }

    /** {@code steps} updates of one timestep with 16 labelled objects each. */
    private static void train(Classifier model, Problem problem, int steps) {
        Random r = new Random(11);
        ObjectBatch b = model.newBatch();
        float[] x = new float[2];
        for (int s = 0; s < steps; s++) {
            b.clear();
            b.beginTimestep();
            for (int i = 0; i < 16; i++) {
                int label = problem.sample(r, x);
                b.addDense(x, 0, false, 0f);
                b.setLabel(label);
            }
            b.endTimestep();
            assertThat(model.step(b, true).updated()).isTrue();
        }
    }

    /** Accuracy on 900 fresh points (another seed than training), predicted without training. */
    private static double accuracy(Classifier model, Problem problem, int classes) {
        Random r = new Random(99);
        ObjectBatch b = model.newBatch();
        b.beginTimestep();
        int[] labels = new int[900];
        float[] x = new float[2];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = problem.sample(r, x);
            b.addDense(x, 0, false, 0f);
        }
        b.endTimestep();
        StepResult result = model.step(b, false);
        assertThat(result.classes()).isEqualTo(classes);
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            if (result.predictedClass(i) == labels[i]) {
                right++;
            }
        }
        return right / (double) labels.length;
    }
}
