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
 *
 * <p>Unlike River's, it does not let one value ruin it: a single 1e12 among unit-scale values would
 * make the variance so large that every later value scales to about 0, for good (the moments never
 * forget). So after {@link #WARMUP} objects a value enters the moments clipped to
 * {@code mean ± }{@link #CLIP_STDS}{@code  · std} of the feature (where that std is not 0), and a
 * standardized value leaves {@link #transform} clipped to {@code ±}{@link #MAX_SCALED}, far beyond
 * any ordinary one, so that no feature enters the network at a size that overflows it.
 */
public final class StandardScaler {

    /** Objects whose values enter the moments as they are, before the clip applies. */
    public static final int WARMUP = 32;
    /** How many standard deviations from the mean a value may move the moments, after the warm-up. */
    public static final double CLIP_STDS = 10;
    /** The largest standardized value handed to the network, either sign. */
    public static final double MAX_SCALED = 1000;

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
        boolean clip = count >= WARMUP;
        count++;
        double n = count;
        for (int j = 0; j < mean.length; j++) {
            double v = x[offset + j];
            if (clip && m2[j] > 0) {
                double reach = CLIP_STDS * Math.sqrt(m2[j] / (n - 1));
                v = Math.max(mean[j] - reach, Math.min(mean[j] + reach, v));
            }
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
            double z = (x[offset + j] - mean[j]) / scale[j];
            out[outOffset + j] = (float) Math.max(-MAX_SCALED, Math.min(MAX_SCALED, z));
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
