package io.streamfit.app.drift;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Page-Hinkley test (E. S. Page, "Continuous inspection schemes", Biometrika 41, 1954; in the
 * form of Gama et al., "A survey on concept drift adaptation", ACM Computing Surveys 46, 2014) for
 * a rise in the level of a model's prequential loss.
 *
 * <p>A cumulative sum of how far each loss lies above the recent mean, less a tolerance:
 * <pre>
 *   mean_t = mean_{t-1} + (x_t - mean_{t-1}) * max(1/t, 1 - alpha)
 *   r_t    = min(x_t / mean_t - 1, clip)
 *   S_t    = max(0, alpha * S_{t-1} + r_t - delta)
 *   drift when t >= minInstances and S_t >= threshold
 * </pre>
 * Two changes from the textbook make one setting fit every model:
 * <ul>
 *   <li>the excess is relative ({@code x / mean - 1}), so delta and the threshold do not depend on
 *       the loss's units (a loss of 0.001 and one of 1000 rising by half look the same), and one
 *       outlier adds at most {@code clip};</li>
 *   <li>the mean fades with {@code alpha} like the sum (a window of about {@code 1 / (1 - alpha)}
 *       timesteps) instead of covering the whole history, so the slow fall of the loss while a
 *       model learns does not leave a stale, high mean that hides a later rise.</li>
 * </ul>
 * Defaults: a 10% rise is tolerated ({@code delta}); a sustained doubling of the loss is reported
 * after about 200 timesteps, a tenfold rise after about 25; 50,000 timesteps of a stationary loss
 * as noisy as one squared Gaussian error per timestep (coefficient of variation 1.4) pass without
 * a false report ({@code PageHinkleyTest}). After a drift the detector starts over.
 */
public final class PageHinkley implements DriftDetector {

    /** Timesteps before the first report (the mean needs them). */
    public static final int MIN_INSTANCES_DEFAULT = 100;
    /** The relative rise tolerated per timestep. */
    public static final double DELTA_DEFAULT = 0.1;
    /** The cumulative relative excess that reports a drift. */
    public static final double THRESHOLD_DEFAULT = 200;
    /** Fading of the mean and the sum: a window of about 10,000 timesteps. */
    public static final double ALPHA_DEFAULT = 1 - 1e-4;
    /** The most one timestep adds to the sum. */
    public static final double CLIP = 10;

    private static final String N = "drift.ph.n";
    private static final String MEAN = "drift.ph.mean";
    private static final String SUM = "drift.ph.sum";
    private static final String RISING = "drift.ph.rising";

    private final int minInstances;
    private final double delta;
    private final double threshold;
    private final double alpha;

    private long n;
    private double mean;
    private double sum;
    /** Timesteps since the sum last stood at 0: where the rise it measures began. */
    private long rising;
    private long lastChangeBegan;

    /** A detector with the defaults. */
    public PageHinkley() {
        this(MIN_INSTANCES_DEFAULT, DELTA_DEFAULT, THRESHOLD_DEFAULT, ALPHA_DEFAULT);
    }

    /**
     * @param minInstances timesteps before the first report (>= 1)
     * @param delta        the relative rise tolerated per timestep (>= 0)
     * @param threshold    the cumulative relative excess that reports a drift (> 0)
     * @param alpha        fading factor of the mean and the sum, in (0, 1]
     */
    public PageHinkley(int minInstances, double delta, double threshold, double alpha) {
        if (minInstances < 1 || !(delta >= 0) || !(threshold > 0) || !(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "page-hinkley needs min.instances >= 1, delta >= 0, threshold > 0 and alpha in (0, 1]; got "
                            + "%d, %s, %s, %s", minInstances, delta, threshold, alpha));
        }
        this.minInstances = minInstances;
        this.delta = delta;
        this.threshold = threshold;
        this.alpha = alpha;
    }

    @Override
    public boolean update(double loss) {
        if (!(loss >= 0) || Double.isInfinite(loss)) {
            return false;
        }
        n++;
        mean += (loss - mean) * Math.max(1.0 / n, 1 - alpha);
        if (n < minInstances || !(mean > 0)) {
            return false;
        }
        double excess = Math.min(loss / mean - 1, CLIP);
        sum = Math.max(0, alpha * sum + excess - delta);
        rising = sum == 0 ? 0 : rising + 1;
        if (sum >= threshold) {
            long began = rising - 1;
            reset();
            lastChangeBegan = began;
            return true;
        }
        return false;
    }

    @Override
    public void reset() {
        n = 0;
        mean = 0;
        sum = 0;
        rising = 0;
    }

    @Override
    public long changeBegan() {
        return lastChangeBegan;
    }

    @Override
    public long seen() {
        return n;
    }

    /** The cumulative relative excess now (0 right after a start). */
    public double statistic() {
        return sum;
    }

    @Override
    public Map<String, Double> state() {
        Map<String, Double> m = new HashMap<>();
        m.put(N, (double) n);
        m.put(MEAN, mean);
        m.put(SUM, sum);
        m.put(RISING, (double) rising);
        return m;
    }

    @Override
    public void restore(Map<String, Double> state) {
        reset();
        Double seen = state.get(N);
        Double m = state.get(MEAN);
        Double s = state.get(SUM);
        if (seen == null || m == null || s == null || !Double.isFinite(m) || !Double.isFinite(s) || seen < 0) {
            return;
        }
        n = seen.longValue();
        mean = m;
        sum = s;
        rising = state.getOrDefault(RISING, 0.0).longValue();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "page-hinkley(min.instances=%d, delta=%s, threshold=%s, alpha=%s)",
                minInstances, delta, threshold, alpha);
    }
}
