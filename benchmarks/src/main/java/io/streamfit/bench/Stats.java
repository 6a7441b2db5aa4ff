package io.streamfit.bench;

import java.util.Arrays;

/** The few statistics the end-to-end benchmark reports. */
final class Stats {

    private Stats() {
    }

    /**
     * The steady rate in records per second: records between the 10th and the 90th percentile of
     * the output timestamps divided by the time between them, so that start-up and the tail of
     * the last commit do not count.
     *
     * @param timestampsMs one timestamp per output record, epoch ms, any order
     * @return records/s, or NaN with fewer than 10 records
     */
    static double middleRate(long[] timestampsMs) {
        int n = timestampsMs.length;
        if (n < 10) {
            return Double.NaN;
        }
        long[] t = timestampsMs.clone();
        Arrays.sort(t);
        int from = (int) Math.floor(0.1 * (n - 1));
        int to = (int) Math.ceil(0.9 * (n - 1));
        // Timestamps have ms resolution; a sub-ms span would divide by zero.
        double seconds = Math.max(1, t[to] - t[from]) / 1000.0;
        return (to - from) / seconds;
    }

    /**
     * The nearest-rank percentile.
     *
     * @param values   samples, any order (not modified)
     * @param quantile in (0, 1], e.g. 0.99
     * @throws IllegalArgumentException for no samples
     */
    static long percentile(long[] values, double quantile) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        long[] v = values.clone();
        Arrays.sort(v);
        int rank = (int) Math.ceil(quantile * v.length);
        return v[Math.min(v.length, Math.max(rank, 1)) - 1];
    }
}
