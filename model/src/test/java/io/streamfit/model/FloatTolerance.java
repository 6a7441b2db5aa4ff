package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;

/**
 * Float comparisons for results that agree only to rounding. TensorFlow chooses its CPU kernels
 * by instruction set (AVX2, AVX-512), by library (oneDNN or Eigen: {@code TF_ENABLE_ONEDNN_OPTS})
 * and by graph (a training graph keeps intermediates that a predict-only graph may fuse away), and
 * different kernels add in different orders. So the same maths in two graphs, or in a graph and
 * in plain Java, can agree bit for bit on one CPU and differ in the last bits on another. What
 * one machine promises bit for bit (the same graph run twice on the same state, an export/import
 * round trip, two models of one spec fed alike) is compared exactly, not with these.
 *
 * <p>The unit is the ulp (unit in the last place) of a float, {@code Math.ulp(float)}: 2^-23
 * times the value's power of two, about 1.2e-7 relative.
 */
final class FloatTolerance {

    /**
     * How far the outputs of the small test networks (inputs in [-1, 1], weights of order 1, a few
     * layers of at most 16 units) may move when another kernel computes them, in ulps of
     * max(|value|, 1): summed in another order, a dot product of k terms moves by at most about k
     * ulps of the sum of its terms' magnitudes, in practice by a few as the roundings partly
     * cancel; the terms are of order 1 even where they cancel to a small result, hence the floor
     * of 1. The largest difference seen was 3 (oneDNN's kernels for a training graph against its
     * predict-only graph, Xeon with AVX-512); 16 leaves a factor of 5 and is still thousands of
     * times smaller than what one update changes.
     */
    static final int OTHER_KERNEL_ULPS = 16;

    private FloatTolerance() {
    }

    /**
     * How far apart {@code a} and {@code b} are, in ulps of the largest of |a|, |b| and
     * {@code scale}; infinite when either is NaN, or one is infinite and they differ.
     */
    static double ulpsApart(float a, float b, float scale) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Double.POSITIVE_INFINITY;
        }
        if (a == b) {
            return 0;
        }
        if (Float.isInfinite(a) || Float.isInfinite(b)) {
            return Double.POSITIVE_INFINITY;
        }
        float magnitude = Math.max(Math.max(Math.abs(a), Math.abs(b)), Math.abs(scale));
        return Math.abs((double) a - b) / Math.ulp(magnitude);
    }

    /** The largest {@link #ulpsApart} of corresponding elements of two arrays of the same length. */
    static double maxUlpsApart(float[] actual, float[] expected, float scale) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, ulpsApart(actual[i], expected[i], scale));
        }
        return worst;
    }

    /**
     * Each element within {@code maxUlps} ulps of the largest of its two values' magnitudes and
     * {@code scale}. A value summed from terms carries rounding errors of the size of the terms,
     * not of the sum: where terms of about {@code scale} cancel to a small result, an ulp count of
     * the result alone would demand more precision than the sum ever had; {@code scale} 0 counts
     * ulps of the values themselves.
     */
    static void assertUlpsClose(float[] actual, float[] expected, int maxUlps, float scale, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        int worst = -1;
        double worstUlps = 0;
        for (int i = 0; i < expected.length; i++) {
            double ulps = ulpsApart(actual[i], expected[i], scale);
            if (ulps > worstUlps) {
                worst = i;
                worstUlps = ulps;
            }
        }
        if (worstUlps > maxUlps) {
            throw new AssertionError(String.format("%s[%d]: expected %s but was %s, %.1f ulps apart (at most %d"
                    + " allowed, in ulps of max(|value|, %s))", what, worst, expected[worst], actual[worst], worstUlps,
                    maxUlps, scale));
        }
    }

    /**
     * An AssertJ offset of {@code tolerance} times max(1, |expected|): absolute for values below 1,
     * relative above. For results of order 1 and above compared with a double-precision reference,
     * whose float rounding grows with the value where a fixed absolute tolerance does not.
     */
    static Offset<Double> scaledWithin(double tolerance, double expected) {
        return Offset.offset(tolerance * Math.max(1, Math.abs(expected)));
    }
}
