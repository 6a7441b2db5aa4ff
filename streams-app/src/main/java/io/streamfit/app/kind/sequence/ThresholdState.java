package io.streamfit.app.kind.sequence;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import io.streamfit.model.seq.StreamingQuantile;

/**
 * Keeps a model's anomaly threshold ({@link StreamingQuantile}) in the checkpoint's {@code metrics}
 * map, so that it is written with the model in the same store put (exactly-once) and checkpoints
 * without it (every kind but {@code seq-autoencoder}, and earlier versions) stay readable.
 *
 * <p>Entries: {@code anomaly.size} (n, scores in the window) and {@code anomaly.score.<i>} for i in
 * [0, n), the window's scores oldest first. Restoring adds them to a fresh quantile in that order,
 * which rebuilds the same window and so the same threshold (not {@link StreamingQuantile#importState},
 * so that a changed {@code anomaly.*} configuration keeps what it can instead of failing).
 */
final class ThresholdState {

    static final String SIZE = "anomaly.size";
    static final String SCORE_PREFIX = "anomaly.score.";

    private ThresholdState() {
    }

    /** Adds the quantile's state to {@code metrics}. */
    static void write(StreamingQuantile q, Map<String, Double> metrics) {
        ByteBuffer state = ByteBuffer.wrap(q.exportState()).order(ByteOrder.LITTLE_ENDIAN);
        // exportState's layout: magic, q, capacity, minCount, seen, n, n scores oldest first.
        state.position(4 + 8 + 4 + 4);
        state.getLong(); // seen: only informative
        int n = state.getInt();
        metrics.put(SIZE, (double) n);
        for (int i = 0; i < n; i++) {
            metrics.put(SCORE_PREFIX + i, state.getDouble());
        }
    }

    /**
     * Restores the state {@link #write} left in {@code metrics} into {@code q} (a quantile of the
     * configured q, window and warm-up); leaves {@code q} empty when {@code metrics} has none.
     * A smaller configured window keeps the newest scores.
     */
    static void read(Map<String, Double> metrics, StreamingQuantile q) {
        Double size = metrics.get(SIZE);
        if (size == null) {
            return;
        }
        int n = size.intValue();
        int from = Math.max(0, n - q.capacity());
        for (int i = from; i < n; i++) {
            Double score = metrics.get(SCORE_PREFIX + i);
            if (score == null) {
                throw new IllegalStateException("checkpoint's anomaly threshold state lacks " + SCORE_PREFIX + i
                        + " of " + n);
            }
            q.add(score);
        }
    }
}
