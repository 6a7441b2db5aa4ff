package io.streamfit.model.stats;

import java.util.Arrays;

/**
 * Decides whether a value is far outside those accepted before it: further than
 * {@code threshold} robust standard deviations from their median, the deviation estimated as
 * {@code 1.4826 * MAD} (the median absolute deviation, consistent with the standard deviation
 * of a normal distribution; Hampel 1974) over a window of the most recently accepted values.
 *
 * <p>Only accepted values enter the window, so a run of outliers cannot widen the band that
 * rejects them; the first {@code warmup} values are accepted unconditionally, because there is no
 * scale yet. A regime change is not an outlier, though: when {@code max(warmup, 16)} values in a
 * row are rejected, the scale starts again from those values (the data moved for good, and a model that
 * refused every target from now on would never learn the new level). A few scattered outliers, or
 * a burst shorter than the warm-up, never get there. Where half the window or more is one value the MAD is 0; the spread then falls back
 * to {@code 1.2533} times the mean absolute deviation from the median (the normal-consistent
 * factor), and to a relative {@code 1e-6} of the median only where every value is equal.
 *
 * <p>Lifecycle: {@link #refresh()} computes the median and the spread once per micro-batch (a
 * sort of the window into preallocated scratch: no allocation per value); {@link #accept} tests a
 * value against them and, if it passes, adds it. {@link #values()} and {@link #restore} carry the
 * window through a checkpoint: restoring the same values rebuilds the same decisions. Not
 * thread-safe.
 */
public final class RobustScale {

    /** 1 / Phi^-1(3/4): MAD times this estimates sigma for normal data. */
    static final double MAD_TO_SIGMA = 1.4826;
    /**
     * The fewest rejected values in a row that make a regime change, whatever the warm-up: a
     * shorter run is a burst of outliers, not a new level.
     */
    static final int MIN_REGIME_RUN = 16;
    /** sqrt(pi / 2): the mean absolute deviation times this estimates sigma for normal data. */
    static final double MEAN_ABS_TO_SIGMA = 1.2533;

    private final double threshold;
    private final int warmup;
    private final double[] window;
    private final double[] scratch;
    /** The values rejected in a row since the last accepted one, oldest first. */
    private final double[] rejectedRun;
    private int rejectedInRow;
    private int size;
    private int next;
    private long seen;
    private double median;
    private double spread;
    /** How many values the median and spread were computed from. */
    private int basis;
    private boolean stale = true;

    /**
     * @param threshold robust standard deviations beyond which a value is an outlier (&gt; 0)
     * @param capacity  accepted values the window keeps (&gt;= 1)
     * @param warmup    values accepted before any is tested, in [1, capacity]
     */
    public RobustScale(double threshold, int capacity, int warmup) {
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("threshold must be finite and > 0, got " + threshold);
        }
        if (capacity < 1 || warmup < 1 || warmup > capacity) {
            throw new IllegalArgumentException("need 1 <= warmup <= capacity, got warmup " + warmup + ", capacity "
                    + capacity);
        }
        this.threshold = threshold;
        this.warmup = warmup;
        this.window = new double[capacity];
        this.scratch = new double[capacity];
        this.rejectedRun = new double[Math.max(warmup, MIN_REGIME_RUN)];
    }

    /** Accepted values the window keeps. */
    public int capacity() {
        return window.length;
    }

    /** Values accepted before any is tested. */
    public int warmup() {
        return warmup;
    }

    /** The heap a scale of {@code capacity} and {@code warmup} holds in its arrays, bytes. */
    public static long memoryBytes(int capacity, int warmup) {
        return 8L * (2L * capacity + Math.max(warmup, MIN_REGIME_RUN)) + 64;
    }

    /** Recomputes the median and spread from the window (call once before a batch's {@link #accept}s). */
    public void refresh() {
        if (!stale) {
            return;
        }
        stale = false;
        basis = size;
        if (size == 0) {
            median = 0;
            spread = 0;
            return;
        }
        System.arraycopy(window, 0, scratch, 0, size);
        Arrays.sort(scratch, 0, size);
        median = median(scratch, size);
        double absSum = 0;
        for (int i = 0; i < size; i++) {
            scratch[i] = Math.abs(scratch[i] - median);
            absSum += scratch[i];
        }
        Arrays.sort(scratch, 0, size);
        double s = MAD_TO_SIGMA * median(scratch, size);
        if (s == 0) {
            s = MEAN_ABS_TO_SIGMA * absSum / size;
        }
        if (s == 0) {
            s = 1e-6 * Math.abs(median);
        }
        spread = s;
    }

    /**
     * Whether {@code value} is within the band of the last {@link #refresh()} (always while that
     * rested on fewer than {@code warmup} values); an accepted value enters the window, a rejected
     * one only counts towards a regime change ({@code max(warmup, 16)} rejected in a row: then the
     * window restarts from them and this value is accepted).
     */
    public boolean accept(double value) {
        // The warm-up is over once the frozen statistics rest on enough values, not merely the window.
        if (basis >= warmup && !(Math.abs(value - median) <= threshold * spread)) {
            if (!Double.isFinite(value)) {
                return false;
            }
            rejectedRun[rejectedInRow++] = value;
            if (rejectedInRow < rejectedRun.length) {
                return false;
            }
            restartFromRejected();
            return true;
        }
        rejectedInRow = 0;
        add(value);
        return true;
    }

    /** The data moved for good: the window becomes the run of rejected values, and warms up again. */
    private void restartFromRejected() {
        size = 0;
        next = 0;
        for (int i = 0; i < rejectedInRow; i++) {
            add(rejectedRun[i]);
        }
        rejectedInRow = 0;
        // Frozen statistics of the old regime must not judge the rest of this batch.
        basis = 0;
    }

    private void add(double value) {
        window[next] = value;
        // Not (next + 1) % length: an integer division per target, on the per-record path.
        if (++next == window.length) {
            next = 0;
        }
        size = Math.min(size + 1, window.length);
        seen++;
        stale = true;
    }

    /** The median of the last {@link #refresh()}. */
    public double median() {
        return median;
    }

    /** The robust standard deviation of the last {@link #refresh()}. */
    public double spread() {
        return spread;
    }

    /** Values accepted in this scale's life. */
    public long seen() {
        return seen;
    }

    /** The window, oldest first (a copy). */
    public double[] values() {
        double[] out = new double[size];
        int start = size < window.length ? 0 : next;
        for (int i = 0; i < size; i++) {
            out[i] = window[(start + i) % window.length];
        }
        return out;
    }

    /** The values rejected in a row since the last accepted one, oldest first (a copy). */
    public double[] rejectedInRow() {
        return Arrays.copyOf(rejectedRun, rejectedInRow);
    }

    /**
     * Replaces the state with a window of {@code values} (oldest first), {@code seen}, and the
     * run of {@code rejected} values (oldest first; at most the warm-up's worth is kept).
     */
    public void restore(double[] values, long seen, double[] rejected) {
        rejectedInRow = 0;
        for (int i = Math.max(0, rejected.length - (rejectedRun.length - 1)); i < rejected.length; i++) {
            rejectedRun[rejectedInRow++] = rejected[i];
        }
        size = 0;
        next = 0;
        int from = Math.max(0, values.length - window.length);
        for (int i = from; i < values.length; i++) {
            window[next] = values[i];
            next = (next + 1) % window.length;
            size++;
        }
        this.seen = Math.max(seen, size);
        stale = true;
    }

    private static double median(double[] sorted, int n) {
        return (n & 1) == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
