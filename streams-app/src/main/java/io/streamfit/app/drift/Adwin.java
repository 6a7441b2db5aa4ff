package io.streamfit.app.drift;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ADWIN, adaptive windowing (A. Bifet and R. Gavaldà, "Learning from time-changing data with
 * adaptive windowing", SIAM SDM 2007; the ADWIN2 variant with an exponential histogram), on a
 * model's prequential loss.
 *
 * <p>Keeps a window of recent losses that grows while they look alike and, every {@code clock}
 * timesteps, tests every split of it into an older and a newer part: when their means differ by
 * more than the bound {@code eps = sqrt(2 m var ln(2 ln(W) / delta)) + 2/3 m ln(2 ln(W) / delta)}
 * ({@code m} the harmonic term of the two parts' lengths, {@code var} the window's variance), the
 * older part is dropped. Memory and time per timestep are logarithmic in the window: buckets of
 * 1, 2, 4, ... losses, at most {@value #MAX_BUCKETS} (+1 while merging) of each size.
 *
 * <p>What is reported: a split where the newer part's mean is the higher one, i.e. a rise of the
 * loss (a fall only shrinks the window). The losses are divided by their mean over the first
 * {@code minInstances} timesteps and clipped at {@value #CLIP}, which makes the bound's second
 * term (written for values in [0, 1]) fit any loss scale. After a drift the detector starts over.
 *
 * <p>ADWIN's bound assumes independent values: a loss that wanders for stretches of tens of
 * timesteps (by a fifth or so) has local means that do differ, and ADWIN reports them over long
 * streams. {@link PageHinkley}, the default, tolerates such wandering.
 */
public final class Adwin implements DriftDetector {

    /** Confidence of the split test. */
    public static final double DELTA_DEFAULT = 0.002;
    /** Timesteps between two tests of the window's splits. */
    public static final int CLOCK_DEFAULT = 32;
    /** Timesteps whose mean becomes the scale of the losses. */
    public static final int MIN_INSTANCES_DEFAULT = 100;
    /** Buckets of one size before two of them merge. */
    static final int MAX_BUCKETS = 5;
    /** The least length of either part of a split. */
    static final int MIN_PART = 5;
    /** The largest scaled loss. */
    public static final double CLIP = 10;

    private static final String P = "drift.adwin.";

    private final double delta;
    private final int clock;
    private final int minInstances;

    private long seen;
    private double graceSum;
    private double scale;
    private long tick;
    private double width;
    private double total;
    private double variance;
    /** The newer part's length at the last reported split. */
    private long lastChangeBegan;
    /** Row i holds buckets of 2^i losses, oldest first. */
    private final List<Row> rows = new ArrayList<>();

    /** A detector with the defaults. */
    public Adwin() {
        this(DELTA_DEFAULT, CLOCK_DEFAULT, MIN_INSTANCES_DEFAULT);
    }

    /**
     * @param delta        confidence of the split test, in (0, 1)
     * @param clock        timesteps between tests (>= 1)
     * @param minInstances timesteps that set the scale of the losses (>= 1)
     */
    public Adwin(double delta, int clock, int minInstances) {
        if (!(delta > 0 && delta < 1) || clock < 1 || minInstances < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "adwin needs delta in (0, 1), clock >= 1 and min.instances >= 1; got %s, %d, %d",
                    delta, clock, minInstances));
        }
        this.delta = delta;
        this.clock = clock;
        this.minInstances = minInstances;
    }

    @Override
    public boolean update(double loss) {
        if (!(loss >= 0) || Double.isInfinite(loss)) {
            return false;
        }
        seen++;
        if (seen <= minInstances) {
            graceSum += loss;
            if (seen == minInstances) {
                scale = graceSum / minInstances;
                if (!(scale > 0)) {
                    // All zero so far: nothing to scale by yet; wait for another stretch.
                    reset();
                }
            }
            return false;
        }
        insert(Math.min(loss / scale, CLIP));
        long began = detectRise();
        if (began >= 0) {
            reset();
            lastChangeBegan = began;
            return true;
        }
        return false;
    }

    @Override
    public void reset() {
        seen = 0;
        graceSum = 0;
        scale = 0;
        tick = 0;
        width = 0;
        total = 0;
        variance = 0;
        rows.clear();
    }

    @Override
    public long seen() {
        return seen;
    }

    @Override
    public long changeBegan() {
        return lastChangeBegan;
    }

    /** Losses in the window now. */
    public long width() {
        return (long) width;
    }

    /** Mean of the scaled losses in the window. */
    double windowMean() {
        return width == 0 ? 0 : total / width;
    }

    private void insert(double value) {
        if (rows.isEmpty()) {
            rows.add(new Row());
        }
        rows.get(0).add(value, 0);
        width++;
        if (width > 1) {
            double d = value - total / (width - 1);
            variance += (width - 1) * d * d / width;
        }
        total += value;
        compress();
    }

    private void compress() {
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            if (row.count <= MAX_BUCKETS) {
                return;
            }
            if (i + 1 == rows.size()) {
                rows.add(new Row());
            }
            Row next = rows.get(i + 1);
            double n = Math.pow(2, i);
            double mu1 = row.total[0] / n;
            double mu2 = row.total[1] / n;
            next.add(row.total[0] + row.total[1], row.var[0] + row.var[1] + n * n * (mu1 - mu2) * (mu1 - mu2) / (2 * n));
            row.removeOldest(2);
        }
    }

    private void deleteOldest() {
        int last = rows.size() - 1;
        Row row = rows.get(last);
        double n = Math.pow(2, last);
        double u = row.total[0];
        double mu = u / n;
        width -= n;
        total -= u;
        if (width > 0) {
            double muWindow = total / width;
            variance -= row.var[0] + n * width * (mu - muWindow) * (mu - muWindow) / (n + width);
        } else {
            variance = 0;
            total = 0;
        }
        row.removeOldest(1);
        if (row.count == 0) {
            rows.remove(last);
        }
    }

    /**
     * Tests the splits (every {@code clock} timesteps); drops the older part of each split that
     * differs.
     *
     * @return when the loss rose, the window's length after the drops, less one (the older part
     *         is gone, so about where the rise began); -1 when it did not rise
     */
    private long detectRise() {
        tick++;
        if (tick % clock != 0 || width < 2 * MIN_PART) {
            return -1;
        }
        boolean rise = false;
        boolean again = true;
        while (again) {
            again = false;
            double n0 = 0;
            double n1 = width;
            double u0 = 0;
            double u1 = total;
            search:
            for (int i = rows.size() - 1; i >= 0; i--) {
                Row row = rows.get(i);
                double size = Math.pow(2, i);
                for (int k = 0; k < row.count; k++) {
                    if (i == 0 && k == row.count - 1) {
                        break search;
                    }
                    n0 += size;
                    n1 -= size;
                    u0 += row.total[k];
                    u1 -= row.total[k];
                    if (n0 >= MIN_PART && n1 >= MIN_PART && differ(n0, n1, u0 / n0 - u1 / n1)) {
                        rise |= u1 / n1 > u0 / n0;
                        deleteOldest();
                        again = width >= 2 * MIN_PART;
                        break search;
                    }
                }
            }
        }
        return rise ? Math.max(0, (long) width - 1) : -1;
    }

    private boolean differ(double n0, double n1, double meanDifference) {
        double deltaPrime = Math.log(2 * Math.log(width) / delta);
        double m = 1.0 / (n0 - MIN_PART + 1) + 1.0 / (n1 - MIN_PART + 1);
        double varianceInWindow = Math.max(0, variance / width);
        double eps = Math.sqrt(2 * m * varianceInWindow * deltaPrime) + 2.0 / 3.0 * deltaPrime * m;
        return Math.abs(meanDifference) > eps;
    }

    @Override
    public Map<String, Double> state() {
        Map<String, Double> m = new HashMap<>();
        m.put(P + "seen", (double) seen);
        m.put(P + "grace", graceSum);
        m.put(P + "scale", scale);
        m.put(P + "tick", (double) tick);
        m.put(P + "width", width);
        m.put(P + "total", total);
        m.put(P + "variance", variance);
        m.put(P + "rows", (double) rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            m.put(P + i + ".n", (double) row.count);
            for (int k = 0; k < row.count; k++) {
                m.put(P + i + ".t" + k, row.total[k]);
                m.put(P + i + ".v" + k, row.var[k]);
            }
        }
        return m;
    }

    @Override
    public void restore(Map<String, Double> state) {
        reset();
        Double r = state.get(P + "rows");
        if (r == null) {
            return;
        }
        try {
            seen = state.get(P + "seen").longValue();
            graceSum = state.get(P + "grace");
            scale = state.get(P + "scale");
            tick = state.get(P + "tick").longValue();
            width = state.get(P + "width");
            total = state.get(P + "total");
            variance = state.get(P + "variance");
            for (int i = 0; i < r.intValue(); i++) {
                Row row = new Row();
                int count = state.get(P + i + ".n").intValue();
                for (int k = 0; k < count; k++) {
                    row.add(state.get(P + i + ".t" + k), state.get(P + i + ".v" + k));
                }
                rows.add(row);
            }
        } catch (NullPointerException | ArrayIndexOutOfBoundsException e) {
            // A damaged entry: start over rather than test on a half window.
            reset();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "adwin(delta=%s, clock=%d, min.instances=%d)", delta, clock, minInstances);
    }

    /** Buckets of one size, oldest first. */
    private static final class Row {
        final double[] total = new double[MAX_BUCKETS + 1];
        final double[] var = new double[MAX_BUCKETS + 1];
        int count;

        void add(double t, double v) {
            total[count] = t;
            var[count] = v;
            count++;
        }

        void removeOldest(int n) {
            System.arraycopy(total, n, total, 0, count - n);
            System.arraycopy(var, n, var, 0, count - n);
            count -= n;
        }
    }
}
