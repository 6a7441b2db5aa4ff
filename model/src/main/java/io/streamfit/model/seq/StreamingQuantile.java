package io.streamfit.model.seq;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A running anomaly threshold: the q-quantile of the most recent scores, guarded so that the
 * scores it judges cannot blind it.
 *
 * <p>Algorithm: a bounded window (a ring buffer) of the last {@code capacity} scores let in, kept
 * also as a sorted array, and the exact empirical quantile of that window by linear interpolation
 * between order statistics (Hyndman and Fan's definition 7, numpy's and R's default): with the n
 * window values sorted, v_0 &lt;= ... &lt;= v_{n-1}, and h = q (n - 1), the quantile is
 * {@code v_floor(h) + (h - floor(h)) (v_floor(h)+1 - v_floor(h))}. Each {@link #add} costs one
 * binary search and array shift to drop the oldest score and one to insert the new one: O(capacity)
 * moves, no allocation. A window rather than a whole-history estimator such as P² (Jain and
 * Chlamtac 1985) because an online model's scores drift (down while it learns, up after a change
 * it then learns): the threshold must follow the recent scores, not all of them.
 *
 * <p>Use per scored window: {@link #observe(double)} compares the score with the threshold of
 * the scores before it, then lets the score into the window by these rules (t is that threshold,
 * c the {@code clip} factor, 2 by default):
 * <ol>
 *   <li><b>Non-finite scores never enter</b> (they are counted, {@link #nonFinite()}), and get no
 *       verdict: one infinity among the window's top values would make the interpolation
 *       {@code inf - inf = NaN} or hold the threshold at infinity, and then nothing is flagged
 *       until it leaves the window.</li>
 *   <li><b>Warm-up</b>: until {@code minCount} scores were seen the threshold is
 *       {@code +Infinity}, nothing is flagged, and every finite score enters as it is: there is
 *       nothing yet to judge it against. The quantile itself bounds the damage of a wild value
 *       then: fewer than (1 - q) n of them cannot move it past the largest usual score.</li>
 *   <li><b>A score up to c t enters as it is</b>, flagged or not.</li>
 *   <li><b>A gross score, above c t, enters clipped to c t</b> (winsorised), and only while the
 *       window's newest {@code ceil(capacity / 10)} entries hold fewer than
 *       {@code ceil((1 - q) ceil(capacity / 10)) + 2} scores above t (3 by default; usual data
 *       puts (1 - q) of them there). Otherwise it is held out ({@link #heldOut()}) and the
 *       window's oldest score moves to its newest end in its place: the window keeps its values,
 *       so the threshold does not move, while its clock goes on.</li>
 * </ol>
 *
 * <p>Why these rules. The threshold is a rank statistic: only how many scores lie above it
 * matters, not how far. Clipping a flagged score to a value still above the threshold therefore
 * leaves the threshold of usual data as it was, while a score of 1e30 can no longer hold it up.
 * Leaving flagged scores out instead, the obvious guard, starves the window of its top (1 - q):
 * the q-quantile of what is left is lower, which flags more, which leaves out more (on a clean
 * stream at p99 over 1000 scores, over 20% flagged after 20 windows; see the test). c = 2 rather
 * than just above 1 for the same reason: the p99 of 1000 scores wanders by some 10%, and a score
 * clipped close to t would fall below a later, higher threshold. Clipping alone still lets a burst
 * move the threshold: every run of more than (1 - q) capacity gross scores (10 by default) fills
 * the top ranks with c t and doubles it, so a fault would hide itself within a few dozen scores.
 * The hold-out rule caps gross scores at about 2 in 100 above the usual share, however long the
 * burst; in the test, 16 scores of 1e30 let a few in (the threshold moves by a few of the
 * window's top ranks), an object of 8 at 10 t stays flagged for 60 timesteps and more, and a run
 * of 300 such scores in a row is flagged throughout. A real level shift still becomes normal:
 * the gross scores that do enter, at c t, double the threshold every few hundred scores until the
 * new level is within c t and enters as it is (in the test a 20-fold shift is flagged for about
 * 860 of its first 1000 scores, then as rarely as usual). Shifts by less than c are learned as
 * an unguarded quantile learns them, within about (1 - q) capacity flagged scores. The rules
 * assume non-negative scores such as reconstruction errors: while the threshold is &lt;= 0 there
 * is no scale to clip to, and every score enters as it is.
 *
 * <p>{@link #exportState()} and {@link #importState(byte[])} move the whole state, exactly (the
 * window in ring order, which is all the rules read), so a threshold can live in a
 * changelog-backed store next to its model; the counters {@link #heldOut()} and
 * {@link #nonFinite()} are not part of it.
 *
 * <p>Not thread-safe.
 */
public final class StreamingQuantile {

    /** {@code anomaly.quantile} default: p99. */
    public static final double QUANTILE_DEFAULT = 0.99;
    /** Default window: the last 1000 scores. */
    public static final int CAPACITY_DEFAULT = 1000;
    /** Default warm-up: 100 scores. */
    public static final int MIN_COUNT_DEFAULT = 100;
    /** Default clip factor: a flagged score above twice the threshold is gross, and enters as twice the threshold. */
    public static final double CLIP_DEFAULT = 2.0;

    private static final int MAGIC = 0x53465131; // "SFQ1"
    /** The hold-out rule reads the window's newest capacity / 10 entries: few enough for a burst to fill. */
    private static final int RECENT_DIVISOR = 10;
    /** Gross scores above the usual (1 - q) share of the recent entries that may still enter. */
    private static final int RECENT_SLACK = 2;

    /**
     * The threshold a score was compared with and the verdict.
     *
     * @param threshold the q-quantile of the window before the score ({@code +Infinity} in warm-up)
     * @param anomaly   whether the score was strictly above the threshold (false for a non-finite score)
     */
    public record Verdict(double threshold, boolean anomaly) {
    }

    private final double quantile;
    private final int capacity;
    private final int minCount;
    private final double clip;
    private final int recentSpan;
    private final int recentLimit;

    private final double[] ring;
    private final double[] sorted;
    private int size;
    private int head;
    private long seen;
    private long heldOut;
    private long nonFinite;

    /**
     * @param quantile q in (0, 1), e.g. 0.99
     * @param capacity how many of the most recent scores make the window (at least 1)
     * @param minCount scores needed before the threshold is finite, in [1, capacity]
     * @param clip     c &gt; 1: a flagged score above c times the threshold is gross and enters as
     *                 c times the threshold, if at all (see the class comment)
     * @throws IllegalArgumentException for values out of those ranges
     */
    public StreamingQuantile(double quantile, int capacity, int minCount, double clip) {
        if (!(quantile > 0.0 && quantile < 1.0)) {
            throw new IllegalArgumentException("quantile must be in (0, 1), got " + quantile);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        if (minCount < 1 || minCount > capacity) {
            throw new IllegalArgumentException("minCount must be in [1, capacity = " + capacity + "], got " + minCount);
        }
        if (!(clip > 1.0 && clip < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("clip must be finite and > 1, got " + clip);
        }
        this.quantile = quantile;
        this.capacity = capacity;
        this.minCount = minCount;
        this.clip = clip;
        this.recentSpan = (capacity + RECENT_DIVISOR - 1) / RECENT_DIVISOR;
        this.recentLimit = (int) Math.ceil((1 - quantile) * recentSpan) + RECENT_SLACK;
        this.ring = new double[capacity];
        this.sorted = new double[capacity];
    }

    /** A quantile with the {@link #CLIP_DEFAULT} clip factor. */
    public StreamingQuantile(double quantile, int capacity, int minCount) {
        this(quantile, capacity, minCount, CLIP_DEFAULT);
    }

    /** q of {@link #QUANTILE_DEFAULT}, {@link #CAPACITY_DEFAULT} and {@link #MIN_COUNT_DEFAULT}. */
    public StreamingQuantile(double quantile) {
        this(quantile, CAPACITY_DEFAULT, MIN_COUNT_DEFAULT);
    }

    /**
     * Adds a score to the window as it is, dropping the oldest one when the window is full: no
     * verdict and none of {@link #observe}'s rules but the first, a non-finite score is left out
     * and counted. For rebuilding a window from stored scores; judge new ones with {@link #observe}.
     */
    public void add(double score) {
        if (!Double.isFinite(score)) {
            nonFinite++;
            return;
        }
        if (size == capacity) {
            double oldest = ring[head];
            int at = Arrays.binarySearch(sorted, 0, size, oldest);
            System.arraycopy(sorted, at + 1, sorted, at, size - at - 1);
            size--;
            ring[head] = score;
            head = (head + 1) % capacity;
        } else {
            ring[(head + size) % capacity] = score;
        }
        int at = Arrays.binarySearch(sorted, 0, size, score);
        if (at < 0) {
            at = -at - 1;
        }
        System.arraycopy(sorted, at, sorted, at + 1, size - at);
        sorted[at] = score;
        size++;
        seen++;
    }

    /** The q-quantile of the window, or {@code +Infinity} while it holds fewer than minCount scores. */
    public double threshold() {
        if (size < minCount) {
            return Double.POSITIVE_INFINITY;
        }
        double h = quantile * (size - 1);
        int lo = (int) Math.floor(h);
        if (lo + 1 >= size) {
            return sorted[size - 1];
        }
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /**
     * Compares {@code score} with the current threshold, then lets it into the window by the
     * class comment's rules: as it is, clipped, or not at all.
     */
    public Verdict observe(double score) {
        double t = threshold();
        if (!Double.isFinite(score)) {
            nonFinite++;
            return new Verdict(t, false);
        }
        boolean anomaly = score > t;
        double bound = clip * t;
        if (!anomaly || t <= 0 || !(score > bound)) {
            add(score);
        } else if (recentAbove(t) < recentLimit) {
            add(bound);
        } else {
            heldOut++;
            renewOldest();
        }
        return new Verdict(t, anomaly);
    }

    /** How many of the window's newest {@code recentSpan} entries are above {@code t}. */
    private int recentAbove(double t) {
        int n = Math.min(recentSpan, size);
        int count = 0;
        for (int i = size - n; i < size; i++) {
            if (ring[(head + i) % capacity] > t) {
                count++;
            }
        }
        return count;
    }

    /** Moves the oldest entry to the newest end: the same values, so the same threshold, one step later. */
    private void renewOldest() {
        ring[(head + size) % capacity] = ring[head];
        head = (head + 1) % capacity;
    }

    /** Scores in the window now, at most the capacity. */
    public int size() {
        return size;
    }

    /** Scores added since creation (or since the exported state was created). */
    public long seen() {
        return seen;
    }

    /** Gross scores held out of the window by {@link #observe} since this object was created. */
    public long heldOut() {
        return heldOut;
    }

    /** Non-finite scores left out by {@link #observe} or {@link #add} since this object was created. */
    public long nonFinite() {
        return nonFinite;
    }

    public double quantile() {
        return quantile;
    }

    public int capacity() {
        return capacity;
    }

    /** Scores needed before the threshold is finite (the warm-up). */
    public int minCount() {
        return minCount;
    }

    /** The clip factor c: gross scores are those above c times the threshold. */
    public double clip() {
        return clip;
    }

    /**
     * The window's scores, oldest first (a copy). Adding them in this order to a fresh quantile of
     * the same q, capacity and minCount rebuilds the same window, so the same threshold: that is
     * how a checkpoint stores it without depending on {@link #exportState()}'s byte layout.
     */
    public double[] scores() {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = ring[(head + i) % capacity];
        }
        return out;
    }

    /**
     * The whole state: little-endian int32 magic "SFQ1", float64 q, int32 capacity, int32 minCount,
     * int64 seen, int32 n, then the n window scores as float64, oldest first.
     */
    public byte[] exportState() {
        ByteBuffer out = ByteBuffer.allocate(4 + 8 + 4 + 4 + 8 + 4 + 8 * size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(MAGIC).putDouble(quantile).putInt(capacity).putInt(minCount).putLong(seen).putInt(size);
        for (int i = 0; i < size; i++) {
            out.putDouble(ring[(head + i) % capacity]);
        }
        return out.array();
    }

    /**
     * Replaces the state with one of {@link #exportState()} of a quantile of the same q, capacity
     * and minCount. Non-finite scores in it, which a window could hold before they were kept out,
     * are left out (and counted), so such a state restores to a threshold that works.
     *
     * @throws IllegalArgumentException if the bytes are not such a state
     */
    public void importState(byte[] state) {
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        if (state.length < 32 || in.getInt() != MAGIC) {
            throw new IllegalArgumentException("not a streaming quantile state (" + state.length + " bytes)");
        }
        double q = in.getDouble();
        int cap = in.getInt();
        int min = in.getInt();
        if (q != quantile || cap != capacity || min != minCount) {
            throw new IllegalArgumentException("state is of quantile " + q + ", capacity " + cap + ", minCount " + min
                    + "; this one has " + quantile + ", " + capacity + ", " + minCount);
        }
        long s = in.getLong();
        int n = in.getInt();
        if (n < 0 || n > capacity || in.remaining() != 8L * n) {
            throw new IllegalArgumentException("corrupt streaming quantile state: " + n + " scores in "
                    + in.remaining() + " bytes");
        }
        size = 0;
        head = 0;
        for (int i = 0; i < n; i++) {
            add(in.getDouble());
        }
        seen = s;
    }

    @Override
    public String toString() {
        return "StreamingQuantile{q=" + quantile + ", capacity=" + capacity + ", minCount=" + minCount + ", clip="
                + clip + ", size=" + size + ", threshold=" + threshold() + ", heldOut=" + heldOut + ", nonFinite="
                + nonFinite + "}";
    }
}
