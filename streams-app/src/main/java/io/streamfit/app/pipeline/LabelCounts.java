package io.streamfit.app.pipeline;

import java.util.Map;

/**
 * A model's counts of the delayed-labels join, kept in its checkpoint's {@code metrics} map (so
 * exactly-once covers them and {@code /models/{key}} reads them from the model store): features
 * waiting for labels now, label records matched, features expired without a label, label records
 * unmatched and duplicate, and the summed record-time delay of the matched ones (ms).
 */
final class LabelCounts {

    static final String WAITING = "labels.waiting";
    static final String MATCHED = "labels.matched";
    static final String EXPIRED = "labels.expired";
    static final String UNMATCHED = "labels.unmatched";
    static final String DUPLICATE = "labels.duplicate";
    static final String DELAY_MS_SUM = "labels.delay.ms.sum";

    long waiting;
    long matched;
    long expired;
    long unmatched;
    long duplicate;
    long delayMsSum;

    /** Adds the counts to a checkpoint's metrics; nothing for a model that never saw a label, so its layout stays. */
    void save(Map<String, Double> metrics) {
        if (waiting == 0 && matched == 0 && expired == 0 && unmatched == 0 && duplicate == 0) {
            return;
        }
        metrics.put(WAITING, (double) waiting);
        metrics.put(MATCHED, (double) matched);
        metrics.put(EXPIRED, (double) expired);
        metrics.put(UNMATCHED, (double) unmatched);
        metrics.put(DUPLICATE, (double) duplicate);
        metrics.put(DELAY_MS_SUM, (double) delayMsSum);
    }

    /** The counts a checkpoint's metrics hold (zeros when none). */
    void restore(Map<String, Double> metrics) {
        waiting = get(metrics, WAITING);
        matched = get(metrics, MATCHED);
        expired = get(metrics, EXPIRED);
        unmatched = get(metrics, UNMATCHED);
        duplicate = get(metrics, DUPLICATE);
        delayMsSum = get(metrics, DELAY_MS_SUM);
    }

    /**
     * The counts as {@code /models/{key}} shows them, or null for a model that never saw a label:
     * waiting, matched, expired, unmatched, duplicate, and the mean delay in seconds.
     */
    static Map<String, Object> describe(Map<String, Double> metrics) {
        if (!metrics.containsKey(MATCHED)) {
            return null;
        }
        LabelCounts c = new LabelCounts();
        c.restore(metrics);
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("waiting", c.waiting);
        out.put("matched", c.matched);
        out.put("expired", c.expired);
        out.put("unmatched", c.unmatched);
        out.put("duplicate", c.duplicate);
        out.put("meanDelaySeconds", c.matched == 0 ? null : c.delayMsSum / 1000.0 / c.matched);
        return out;
    }

    /** These counts as {@link #describe(Map)} shows them. */
    Map<String, Object> describe() {
        Map<String, Double> m = new java.util.HashMap<>();
        save(m);
        return describe(m);
    }

    private static long get(Map<String, Double> metrics, String key) {
        Double v = metrics.get(key);
        return v == null || !Double.isFinite(v) ? 0 : v.longValue();
    }
}
