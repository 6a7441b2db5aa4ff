package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * {@link CombinedLoss#build} against values worked out by hand: the squared and Huber residual
 * functions, and the sum term's normalisation by k.
 */
class CombinedLossTest {

    /** The loss and its gradient with respect to each prediction p_i (the sums are the segment sums of p). */
    private record Evaluated(float loss, float[] gradient) {
    }

    private static Evaluated evaluate(LossOptions options, float w, float[] p, float[] y, float[] mask, int[] segment,
                                      float[] sumTarget, float[] sumMask) {
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            // Identity: a gradient with respect to a constant needs an op of its own to start from.
            Operand<TFloat32> predictions = tf.identity(tf.constant(p));
            Operand<TInt32> seg = tf.constant(segment);
            Operand<TInt32> timesteps = tf.constant(sumTarget.length);
            Operand<TFloat32> sums = tf.math.unsortedSegmentSum(predictions, seg, timesteps);
            Operand<TFloat32> loss = CombinedLoss.build(tf, w, options, predictions, sums, tf.constant(y),
                    tf.constant(mask), tf.constant(sumTarget), tf.constant(sumMask), seg, timesteps);
            Output<?> grad = tf.gradients(loss, List.of(predictions)).dy(0).asOutput();
            try (Session s = new Session(g); Result r = s.runner().fetch(loss).fetch(grad).run()) {
                float value = ((TFloat32) r.get(0)).getFloat();
                TFloat32 gt = (TFloat32) r.get(1);
                float[] gradient = new float[p.length];
                for (int i = 0; i < p.length; i++) {
                    gradient[i] = gt.getFloat(i);
                }
                return new Evaluated(value, gradient);
            }
        }
    }

    /*
     * Two timesteps, w = 0.5. t0: p = (1, 4), y = (0.5, 1), sum target 2 over k = 2 objects (sum
     * residual 3, per object 1.5). t1: p = -2, y = 0, no sum target. Both supervised: B = 2.
     */
    private static Evaluated twoTimesteps(LossOptions options) {
        return evaluate(options, 0.5f, new float[] {1f, 4f, -2f}, new float[] {0.5f, 1f, 0f}, new float[] {1f, 1f, 1f},
                new int[] {0, 0, 1}, new float[] {2f, 0f}, new float[] {1f, 0f});
    }

    @Test
    void huberIsSquaredInsideDeltaAndLinearBeyondWithItsGradientClippedAtTwoDelta() {
        // rho(0.5) = 0.25, rho(3) = 2*3 - 1 = 5, rho(-2) = 3, sum rho(1.5) = 2.
        // t0: 0.5 * (0.25 + 5) / 2 + 0.5 * 2 = 2.3125; t1: 0.5 * 3 = 1.5; loss = 3.8125 / 2.
        // dL/dp0 = 0.5/(2*2) * 2*0.5 + 0.5/2 * 2 * (1/2) = 0.125 + 0.25 (the sum's 2*1.5 clipped to 2, / k)
        // dL/dp1 = 0.5/(2*2) * 2 + 0.25; dL/dp2 = 0.5/2 * (-2).
        Evaluated e = twoTimesteps(new LossOptions(LossOptions.HUBER, 1.0, LossOptions.SUM_MEAN));
        assertThat(e.loss()).isCloseTo(1.90625f, within(1e-6f));
        assertThat(e.gradient()).containsExactly(new float[] {0.375f, 0.5f, -0.5f}, within(1e-6f));
    }

    @Test
    void squaredIsTheLossOfEarlierVersionsOnTheObjectsAndTheMeanResidualOnTheSum() {
        // t0: 0.5 * (0.25 + 9) / 2 + 0.5 * 1.5^2 = 3.4375; t1: 0.5 * 4 = 2; loss = 5.4375 / 2.
        Evaluated e = twoTimesteps(LossOptions.DEFAULT);
        assertThat(e.loss()).isCloseTo(2.71875f, within(1e-6f));
        // dL/dp0 = 0.125 * 1 + 0.25 * 2 * 1.5 / 2; dL/dp1 = 0.125 * 6 + 0.375; dL/dp2 = 0.25 * (-4).
        assertThat(e.gradient()).containsExactly(new float[] {0.5f, 1.125f, -1f}, within(1e-6f));
    }

    @Test
    void sumNormalisationNoneIsTheRawSumResidual() {
        // t0: 0.5 * 4.625 + 0.5 * 3^2 = 6.8125; t1: 2; loss = 8.8125 / 2.
        Evaluated e = twoTimesteps(LossOptions.LEGACY);
        assertThat(e.loss()).isCloseTo(4.40625f, within(1e-6f));
        // The sum's part of dL/dp0 and dL/dp1: 0.5/2 * 2 * 3 = 1.5.
        assertThat(e.gradient()).containsExactly(new float[] {1.625f, 2.25f, -1f}, within(1e-6f));
    }

    @Test
    void aHugeResidualPullsWithTwoDeltaUnderHuber() {
        Evaluated e = evaluate(new LossOptions(LossOptions.HUBER, 0.5, LossOptions.SUM_MEAN), 1f, new float[] {0f},
                new float[] {1e9f}, new float[] {1f}, new int[] {0}, new float[] {0f}, new float[] {0f});
        assertThat(e.gradient()[0]).isEqualTo(-1f);
        assertThat(e.loss()).isCloseTo(0.5f * (2e9f - 0.5f), within(1e3f));
    }

    /**
     * A shared weight's gradient is sum_i dL/dp_i * dp_i/dtheta: with every prediction off by the
     * same 1 and w = 0 (the sum term alone), sum_i dL/dp_i is what a step of it scales with.
     * Normalised it is 2 for any k; raw it is 2 k^2.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 4, 16, 64})
    void theSumTermsPullOnASharedWeightDoesNotGrowWithK(int k) {
        float[] p = new float[k];
        java.util.Arrays.fill(p, 1f);
        float[] zeros = new float[k];
        int[] segment = new int[k];
        float[] noMask = new float[k];
        Evaluated mean = evaluate(LossOptions.DEFAULT, 0f, p, zeros, noMask, segment, new float[] {0f},
                new float[] {1f});
        Evaluated raw = evaluate(LossOptions.LEGACY, 0f, p, zeros, noMask, segment, new float[] {0f},
                new float[] {1f});
        assertThat(total(mean.gradient())).isCloseTo(2f, within(1e-5f));
        assertThat(mean.loss()).isCloseTo(1f, within(1e-6f));
        assertThat(total(raw.gradient())).isCloseTo(2f * k * k, within(1e-3f * k * k));
    }

    private static float total(float[] v) {
        float s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }
}
