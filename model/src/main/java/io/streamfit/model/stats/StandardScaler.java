package io.streamfit.model.stats;

/**
 * The running mean and variance of each of m features, and the standardization
 * {@code (x - mean) / std} they define: River's {@code preprocessing.StandardScaler}, kept per
 * model. The moments are Welford's (1962) updates in double precision, one per object:
 *
 * <pre>
 *   n += 1;  d = x - mean;  mean += d / n;  M2 += d * (x - mean);  variance = M2 / n
 * </pre>
 *
 * which, unlike sums of x and x^2, loses no precision when the mean is far larger than the spread.
 * The variance is the population one (divided by n, as River's and scikit-learn's scalers). A
 * feature whose variance is 0 (every value so far equal, or only one object seen) is scaled by 1,
 * as scikit-learn does, so it enters as {@code x - mean}: 0 while it stays constant, and a
 * finite step, not an infinity, when it first moves.
 *
 * <p>Lifecycle: {@link #learn} adds an object; {@link #transform} standardizes one by the moments
 * as they are then (the scales are recomputed once after a run of {@code learn} calls, not per
 * value); {@link #count()}, {@link #means()}, {@link #m2()} and {@link #restore} carry the state
 * through a checkpoint exactly, so a restored scaler transforms bit for bit as the original.
 * Nothing is allocated per object. Not thread-safe.
 */
public final class StandardScaler {

    private final double[] mean;
    private final double[] m2;
    /** The standard deviation per feature, 1 where it is 0; valid while {@link #stale} is false. */
    private final double[] scale;
    private long count;
    private boolean stale = true;

    /**
     * @param features m, the number of features (at least 1)
     */
    public StandardScaler(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        this.mean = new double[features];
        this.m2 = new double[features];
        this.scale = new double[features];
    }

    /** m, the number of features. */
    public int features() {
        return mean.length;
    }

    /** Objects learned so far (each adds one value to every feature). */
    public long count() {
        return count;
    }

    /**
     * Adds one object's m features, {@code x[offset]} to {@code x[offset + m - 1]}, to the moments.
     * The values must be finite (the record screen lets no other through).
     */
    public void learn(float[] x, int offset) {
        count++;
        double n = count;
        for (int j = 0; j < mean.length; j++) {
            double v = x[offset + j];
            double d = v - mean[j];
            mean[j] += d / n;
            m2[j] += d * (v - mean[j]);
        }
        stale = true;
    }

    /** The running mean of feature {@code j} (0 before any object). */
    public double mean(int j) {
        return mean[j];
    }

    /** The population variance of feature {@code j}, M2 / n (0 before any object). */
    public double variance(int j) {
        return count == 0 ? 0 : m2[j] / count;
    }

    /** What feature {@code j} is divided by: its standard deviation, or 1 where that is 0. */
    public double scale(int j) {
        double sd = Math.sqrt(variance(j));
        return sd > 0 ? sd : 1;
    }

    /**
     * Writes the standardized features of one object, {@code (x - mean) / scale} per feature in
     * double precision rounded to float, from {@code x[offset]} to {@code out[outOffset]}.
     */
    public void transform(float[] x, int offset, float[] out, int outOffset) {
        if (stale) {
            for (int j = 0; j < scale.length; j++) {
                scale[j] = scale(j);
            }
            stale = false;
        }
        for (int j = 0; j < mean.length; j++) {
            out[outOffset + j] = (float) ((x[offset + j] - mean[j]) / scale[j]);
        }
    }

    /** A copy of the running means, m values. */
    public double[] means() {
        return mean.clone();
    }

    /** A copy of the sums of squared deviations (Welford's M2), m values. */
    public double[] m2() {
        return m2.clone();
    }

    /** The scales {@link #transform} divides by, m values (standard deviations, 1 where 0). */
    public double[] scales() {
        double[] out = new double[mean.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = scale(j);
        }
        return out;
    }

    /**
     * Replaces the state with one saved from {@link #count()}, {@link #means()} and {@link #m2()}.
     *
     * @throws IllegalArgumentException when the arrays do not hold m values, the count is negative,
     *                                  or a value is not finite or an M2 is negative
     */
    public void restore(long count, double[] means, double[] m2s) {
        if (means.length != mean.length || m2s.length != m2.length) {
            throw new IllegalArgumentException("feature moments of " + means.length + " means and " + m2s.length
                    + " M2 values; the model has " + mean.length + " features");
        }
        if (count < 0) {
            throw new IllegalArgumentException("feature moments of a negative count " + count);
        }
        for (int j = 0; j < means.length; j++) {
            if (!Double.isFinite(means[j]) || !Double.isFinite(m2s[j]) || m2s[j] < 0) {
                throw new IllegalArgumentException("feature " + j + " has mean " + means[j] + " and M2 " + m2s[j]
                        + "; both must be finite and M2 >= 0");
            }
        }
        this.count = count;
        System.arraycopy(means, 0, mean, 0, mean.length);
        System.arraycopy(m2s, 0, m2, 0, m2.length);
        stale = true;
    }

    @Override
    public String toString() {
        return "StandardScaler[features=" + mean.length + ", n=" + count + "]";
    }
}
