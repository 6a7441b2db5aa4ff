package io.streamfit.app.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@link #CAPACITY} sum predictions this instance emitted, with their targets, for the
 * live page's "predictions against targets" ({@code GET /recent}). A ring of primitive arrays: a
 * record costs a lock and a few stores, no allocation, and memory stays bounded whatever the rate.
 *
 * <p>The entries are as the processor emitted them: under exactly-once a transaction that aborts
 * afterwards leaves its outputs here although consumers of the output topics never see them. It is
 * a view for people, not a source of truth.
 */
public final class RecentPredictions {

    /** Entries kept; the oldest is overwritten. */
    public static final int CAPACITY = 512;

    /** One emitted sum prediction. {@code target} is NaN when the record had none. */
    public record Entry(String series, long timestep, double prediction, double target, long modelVersion,
                        String variant, long atMs) {
    }

    private final String[] series = new String[CAPACITY];
    private final long[] timestep = new long[CAPACITY];
    private final double[] prediction = new double[CAPACITY];
    private final double[] target = new double[CAPACITY];
    private final long[] version = new long[CAPACITY];
    private final String[] variant = new String[CAPACITY];
    private final long[] atMs = new long[CAPACITY];
    private long written;

    /**
     * Keeps one emitted sum prediction.
     *
     * @param target the sum target, or NaN when unknown
     */
    public synchronized void record(String seriesId, long step, double predicted, double sumTarget, long modelVersion,
                                    String variantName, long wallMs) {
        int i = (int) (written % CAPACITY);
        series[i] = seriesId;
        timestep[i] = step;
        prediction[i] = predicted;
        target[i] = sumTarget;
        version[i] = modelVersion;
        variant[i] = variantName;
        atMs[i] = wallMs;
        written++;
    }

    /** Up to {@code limit} of the newest entries, oldest first. */
    public synchronized List<Entry> latest(int limit) {
        int n = (int) Math.min(Math.min(written, CAPACITY), Math.max(0, limit));
        List<Entry> out = new ArrayList<>(n);
        for (long k = written - n; k < written; k++) {
            int i = (int) (k % CAPACITY);
            out.add(new Entry(series[i], timestep[i], prediction[i], target[i], version[i], variant[i], atMs[i]));
        }
        return out;
    }

    /** Sum predictions recorded since start (also those no longer kept). */
    public synchronized long total() {
        return written;
    }
}
