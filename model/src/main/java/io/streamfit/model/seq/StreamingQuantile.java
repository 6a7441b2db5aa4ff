package io.streamfit.model.seq;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A running anomaly threshold: the q-quantile of the most recent scores.
 *
 * <p>Algorithm: a bounded window (a ring buffer) of the last {@code capacity} scores, kept also
 * as a sorted array, and the exact empirical quantile of that window by linear interpolation
 * between order statistics (Hyndman and Fan's definition 7, numpy's and R's default): with the n
 * window values sorted, v_0 &lt;= ... &lt;= v_{n-1}, and h = q (n - 1), the quantile is
 * {@code v_floor(h) + (h - floor(h)) (v_floor(h)+1 - v_floor(h))}. Each {@link #add} costs one
 * binary search and array shift to drop the oldest score and one to insert the new one: O(capacity)
 * moves, no allocation. A window rather than a whole-history estimator such as P² (Jain and
 * Chlamtac 1985) because an online model's scores drift (down while it learns, up after a change
 * it then learns): the threshold must follow the recent scores, not all of them.
 *
 * <p>Use per scored window: {@link #observe(double)} compares the score with the threshold of
 * the scores before it, then adds it. Until {@code minCount} scores were seen the threshold is
 * {@code +Infinity}, so nothing is flagged while the model has scored too little to know what is
 * usual. {@link #exportState()} and {@link #importState(byte[])} move the whole state, exactly,
 * so a threshold can live in a changelog-backed store next to its model.
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

    private static final int MAGIC = 0x53465131; // "SFQ1"

    /**
     * The threshold a score was compared with and the verdict.
     *
     * @param threshold the q-quantile of the window before the score ({@code +Infinity} in warm-up)
     * @param anomaly   whether the score was strictly above the threshold
     */
    public record Verdict(double threshold, boolean anomaly) {
    }

    private final double quantile;
    private final int capacity;
    private final int minCount;

    private final double[] ring;
    private final double[] sorted;
    private int size;
    private int head;
    private long seen;

    /**
     * @param quantile q in (0, 1), e.g. 0.99
     * @param capacity how many of the most recent scores make the window (at least 1)
     * @param minCount scores needed before the threshold is finite, in [1, capacity]
     * @throws IllegalArgumentException for values out of those ranges
     */
    public StreamingQuantile(double quantile, int capacity, int minCount) {
        if (!(quantile > 0.0 && quantile < 1.0)) {
            throw new IllegalArgumentException("quantile must be in (0, 1), got " + quantile);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        if (minCount < 1 || minCount > capacity) {
            throw new IllegalArgumentException("minCount must be in [1, capacity = " + capacity + "], got " + minCount);
        }
        this.quantile = quantile;
        this.capacity = capacity;
        this.minCount = minCount;
        this.ring = new double[capacity];
        this.sorted = new double[capacity];
    }

    /** q of {@link #QUANTILE_DEFAULT}, {@link #CAPACITY_DEFAULT} and {@link #MIN_COUNT_DEFAULT}. */
    public StreamingQuantile(double quantile) {
        this(quantile, CAPACITY_DEFAULT, MIN_COUNT_DEFAULT);
    }

    /**
     * Adds a score to the window, dropping the oldest one when the window is full.
     *
     * @throws IllegalArgumentException for NaN (infinite scores are kept: they sort last)
     */
    public void add(double score) {
        if (Double.isNaN(score)) {
            throw new IllegalArgumentException("score must not be NaN");
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

    /** Compares {@code score} with the current threshold, then adds it to the window. */
    public Verdict observe(double score) {
        double t = threshold();
        Verdict v = new Verdict(t, score > t);
        add(score);
        return v;
    }

    /** Scores in the window now, at most the capacity. */
    public int size() {
        return size;
    }

    /** Scores added since creation (or since the exported state was created). */
    public long seen() {
        return seen;
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
     * and minCount.
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
        return "StreamingQuantile{q=" + quantile + ", capacity=" + capacity + ", minCount=" + minCount + ", size="
                + size + ", threshold=" + threshold() + "}";
    }
}
