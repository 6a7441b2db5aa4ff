package io.streamfit.model.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The running moments against a two-pass computation, the zero-variance rule, and the exact restore. */
class StandardScalerTest {

    private static final int M = 5;

    /**
     * Rows of m features: a standard normal one, one far from 0 with a small spread (where sums of
     * x and x^2 would lose their digits), a constant one, pixel-like integers 0..16, and a feature
     * that stays 0 for its first rows (within the warm-up) and then moves.
     */
    private static float[][] data(int n, long seed) {
        Random rnd = new Random(seed);
        float[][] x = new float[n][M];
        for (int i = 0; i < n; i++) {
            x[i][0] = (float) rnd.nextGaussian();
            x[i][1] = (float) (1e4 + 0.01 * rnd.nextGaussian());
            x[i][2] = 3.25f;
            x[i][3] = rnd.nextInt(17);
            x[i][4] = i < StandardScaler.WARMUP / 2 ? 0f : (float) (5 * rnd.nextGaussian());
        }
        return x;
    }

    /** Mean and population variance of column j over the first n rows, in two passes. */
    private static double[] twoPass(float[][] x, int n, int j) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += x[i][j];
        }
        mean /= n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x[i][j] - mean;
            sq += d * d;
        }
        return new double[] {mean, sq / n};
    }

    @Test
    void meanAndStandardDeviationMatchATwoPassComputationAtEveryCount() {
        float[][] x = data(2_000, 5);
        StandardScaler s = new StandardScaler(M);
        for (int n = 1; n <= x.length; n++) {
            s.learn(x[n - 1], 0);
            if (n <= 20 || n % 97 == 0 || n == x.length) {
                assertThat(s.count()).isEqualTo(n);
                for (int j = 0; j < M; j++) {
                    double[] ref = twoPass(x, n, j);
                    assertThat(s.mean(j)).as("mean of feature %d after %d", j, n).isCloseTo(ref[0], within(1e-9));
                    assertThat(Math.sqrt(s.variance(j))).as("std of feature %d after %d", j, n)
                            .isCloseTo(Math.sqrt(ref[1]), within(1e-9));
                }
            }
        }
        // The constant feature has exactly no spread, so it is scaled by 1.
        assertThat(s.variance(2)).isZero();
        assertThat(s.scale(2)).isEqualTo(1.0);
        assertThat(s.scale(0)).isCloseTo(1.0, within(0.1));
    }

    @Test
    void oneHugeValueAfterTheWarmUpCannotRuinTheScaleAndLeavesTheTransformBounded() {
        float[][] x = data(500, 9);
        StandardScaler clean = new StandardScaler(M);
        StandardScaler poisoned = new StandardScaler(M);
        for (int i = 0; i < x.length; i++) {
            clean.learn(x[i], 0);
            poisoned.learn(x[i], 0);
            if (i == 250) {
                float[] huge = x[i].clone();
                huge[0] = 1e12f;
                poisoned.learn(huge, 0);
            }
        }
        // Entered at most 10 std from the mean: one value of 501 moves the std a little, not 1e12-fold.
        assertThat(poisoned.scale(0)).isBetween(clean.scale(0), clean.scale(0) * 1.2);
        assertThat(poisoned.mean(0)).isCloseTo(clean.mean(0), within(10 * clean.scale(0) / 250));
        float[] out = new float[M];
        float[] huge = x[0].clone();
        huge[0] = 1e12f;
        poisoned.transform(huge, 0, out, 0);
        assertThat(out[0]).isEqualTo((float) StandardScaler.MAX_SCALED);
        huge[0] = -1e12f;
        poisoned.transform(huge, 0, out, 0);
        assertThat(out[0]).isEqualTo((float) -StandardScaler.MAX_SCALED);
    }

    @Test
    void aFeatureThatStartsMovingLongAfterTheWarmUpIsHeldBackAtFirstAndThenReachesItsSpread() {
        Random rnd = new Random(3);
        int zeros = 1000;
        float[][] x = new float[zeros + 2000][1];
        for (int i = zeros; i < x.length; i++) {
            x[i][0] = (float) (5 * rnd.nextGaussian());
        }
        StandardScaler s = new StandardScaler(1);
        for (int n = 1; n <= x.length; n++) {
            s.learn(x[n - 1], 0);
            double ref = Math.sqrt(twoPass(x, n, 0)[1]);
            if (n == zeros + 300) {
                // The price of the clip: a spread that appears after a long constant run is
                // admitted 10 std at a time, so it lags at first.
                assertThat(s.scale(0)).isBetween(0.75 * ref, ref);
            } else if (n == x.length) {
                assertThat(s.scale(0)).isCloseTo(ref, within(0.05 * ref));
            }
        }
    }

    @Test
    void transformStandardizesByTheMomentsIncludingTheObjectItself() {
        float[][] x = data(300, 9);
        StandardScaler s = new StandardScaler(M);
        float[] out = new float[M + 2];
        for (int n = 1; n <= x.length; n++) {
            s.learn(x[n - 1], 0);
            s.transform(x[n - 1], 0, out, 2);
            for (int j = 0; j < M; j++) {
                double[] ref = twoPass(x, n, j);
                double sd = Math.sqrt(ref[1]);
                double expected = (x[n - 1][j] - ref[0]) / (sd > 0 ? sd : 1);
                assertThat((double) out[2 + j]).as("feature %d of object %d", j, n)
                        .isCloseTo(expected, within(1e-5 * Math.max(1, Math.abs(expected))));
            }
        }
        // The first object is its own mean: zeros, not a division by a spread of nothing.
        StandardScaler first = new StandardScaler(M);
        first.learn(x[0], 0);
        first.transform(x[0], 0, out, 0);
        for (int j = 0; j < M; j++) {
            assertThat(out[j]).isZero();
        }
        // A feature that was constant (0) for the first half moves: x - mean, finite.
        assertThat(out).doesNotContain(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }

    @Test
    void aRestoredScalerTransformsBitForBitAsTheOriginal() {
        float[][] x = data(500, 13);
        StandardScaler a = new StandardScaler(M);
        for (int i = 0; i < 400; i++) {
            a.learn(x[i], 0);
        }
        StandardScaler b = new StandardScaler(M);
        b.restore(a.count(), a.means(), a.m2());
        float[] outA = new float[M];
        float[] outB = new float[M];
        for (int i = 400; i < x.length; i++) {
            a.learn(x[i], 0);
            b.learn(x[i], 0);
            a.transform(x[i], 0, outA, 0);
            b.transform(x[i], 0, outB, 0);
            assertThat(outB).isEqualTo(outA);
        }
        assertThat(b.means()).isEqualTo(a.means());
        assertThat(b.m2()).isEqualTo(a.m2());
        assertThat(b.count()).isEqualTo(500);
    }

    @Test
    void restoreRefusesStateThatDoesNotFit() {
        StandardScaler s = new StandardScaler(2);
        assertThatThrownBy(() -> s.restore(1, new double[3], new double[3])).hasMessageContaining("2 features");
        assertThatThrownBy(() -> s.restore(1, new double[] {0, Double.NaN}, new double[2]))
                .hasMessageContaining("feature 1");
        assertThatThrownBy(() -> s.restore(1, new double[2], new double[] {0, -1})).hasMessageContaining("M2");
        assertThatThrownBy(() -> s.restore(-1, new double[2], new double[2])).hasMessageContaining("negative");
        assertThatThrownBy(() -> new StandardScaler(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
