package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * neuron-mean-momentum against a plain-Java, double-precision implementation of its formula
 * (class doc of {@link NeuronMeanMomentum}), with gradients from {@link ReferenceMlp}.
 */
class NeuronMeanMomentumTest {

    private static final int M = 3;
    private static final int[] HIDDEN = {4};
    private static final double LR = 0.1;
    private static final double MU = 0.8;
    private static final String[] LAYERS = {"dense_0", "output"};
    private static final int[][] SHAPES = {{M, 4}, {4, 1}};

    private static ModelSpec spec() {
        return ModelSpec.regressor(M, HIDDEN, "tanh", 0.5,
                new ModelSpec.OptimizerSpec("neuron-mean-momentum", LR, Map.of("momentum", MU,
                        // The reference steps are the optimizer's formula alone; clipping has its own tests.
                        Optimizers.PARAM_CLIP_NORM, 0.0)), 3);
    }

    @Test
    void threeStepsOnATwoLayerNetworkMatchThePlainJavaFormula() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec())) {
            Map<String, double[]> w = new LinkedHashMap<>();
            Map<String, double[]> a = new LinkedHashMap<>();
            model.weights().forEach((k, v) -> {
                w.put(k, toDouble(v));
                a.put(k, new double[v.length]);
            });
            for (int step = 0; step < 3; step++) {
                ObjectBatch batch = Batches.mixed(M, 20 + step);
                Map<String, double[]> g = new ReferenceMlp(M, HIDDEN, "tanh", model.weights()).run(batch, 0.5)
                        .gradients();
                for (int l = 0; l < LAYERS.length; l++) {
                    referenceStep(LAYERS[l], SHAPES[l][0], SHAPES[l][1], w, a, g);
                }

                assertThat(model.step(batch, true).updated()).isTrue();

                Map<String, float[]> vars = model.variables();
                for (String name : w.keySet()) {
                    assertClose(vars.get(name), w.get(name), "step " + step + " " + name);
                    assertClose(vars.get(name + "-momentum"), a.get(name), "step " + step + " " + name + "-momentum");
                }
                // A non-zero momentum history is what makes the mean matter at all.
                assertThat(Math.abs(a.get("dense_0_bias")[0])).isGreaterThan(1e-3);
            }
        }
    }

    @Test
    void biasMomentumGetsTheMeanOverItsNeuronsRowOfTheExtendedMatrix() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec())) {
            model.step(Batches.mixed(M, 1), true);
            model.step(Batches.mixed(M, 2), true);
            Map<String, float[]> before = model.variables();
            ObjectBatch batch = Batches.mixed(M, 3);
            Map<String, double[]> g = new ReferenceMlp(M, HIDDEN, "tanh", model.weights()).run(batch, 0.5).gradients();
            model.step(batch, true);
            Map<String, float[]> after = model.variables();

            float[] oldW = before.get("dense_0_kernel-momentum");
            float[] oldB = before.get("dense_0_bias-momentum");
            float[] newW = after.get("dense_0_kernel-momentum");
            float[] newB = after.get("dense_0_bias-momentum");
            int out = 4;
            for (int j = 0; j < out; j++) {
                double row = oldB[j];
                for (int k = 0; k < M; k++) {
                    row += oldW[k * out + j];
                }
                double mean = row / (M + 1);
                // What the bias got on top of its gradient: mu times the mean of W*'s row for neuron j...
                double biasShare = newB[j] - g.get("dense_0_bias")[j];
                assertThat(biasShare).as("neuron %d", j).isCloseTo(MU * mean, within(1e-6));
                // ...which is what each of the neuron's weights got too, and not the bias's own mu * a_b.
                for (int k = 0; k < M; k++) {
                    assertThat(newW[k * out + j] - g.get("dense_0_kernel")[k * out + j])
                            .as("weight %d of neuron %d", k, j).isCloseTo(biasShare, within(1e-6));
                }
                assertThat(Math.abs(MU * oldB[j] - MU * mean)).as("bias alone would differ").isGreaterThan(1e-4);
            }
        }
    }

    /** a* = g* + mu * mean over the neuron's column of [W; b]; W* -= lr a*. */
    private static void referenceStep(String layer, int in, int out, Map<String, double[]> w,
                                      Map<String, double[]> a, Map<String, double[]> g) {
        String k = layer + "_kernel";
        String b = layer + "_bias";
        double[] aw = a.get(k);
        double[] ab = a.get(b);
        for (int j = 0; j < out; j++) {
            double sum = ab[j];
            for (int i = 0; i < in; i++) {
                sum += aw[i * out + j];
            }
            double shared = MU * sum / (in + 1);
            for (int i = 0; i < in; i++) {
                aw[i * out + j] = g.get(k)[i * out + j] + shared;
                w.get(k)[i * out + j] -= LR * aw[i * out + j];
            }
            ab[j] = g.get(b)[j] + shared;
            w.get(b)[j] -= LR * ab[j];
        }
    }

    /**
     * Relative above 1: the momentum accumulators reach about 2, where float32 state rounded at
     * each of three steps is already an ulp or two (2.4e-7 each) off the double reference.
     */
    private static void assertClose(float[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s[%d]", what, i)
                    .isCloseTo(expected[i], FloatTolerance.scaledWithin(1e-6, expected[i]));
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
