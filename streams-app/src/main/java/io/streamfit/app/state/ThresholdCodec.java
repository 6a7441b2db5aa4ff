package io.streamfit.app.state;

import java.util.List;
import java.util.Map;

import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ThresholdState;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * A {@code seq-autoencoder} model's anomaly threshold in its checkpoint: writes
 * {@code ThresholdState.avsc} into {@link ModelCheckpoint#getThreshold()}; reads that and the
 * legacy form of earlier versions, entries of the checkpoint's {@code metrics} map.
 *
 * <p>Legacy form: {@code anomaly.size} = n, and {@code anomaly.score.<i>} for i in [0, n), the
 * window's scores oldest first. It is read only when the checkpoint's {@code threshold} field is
 * null (a checkpoint of the old schema decodes with null there), so a checkpoint is never read
 * both ways; new checkpoints write no {@code anomaly.*} metrics.
 *
 * <p>Restoring adds the stored scores to a fresh quantile of the configured q, window and warm-up
 * in order, which rebuilds the same window and so the same threshold. That, rather than requiring
 * the stored q, window and warm-up to match, lets a changed {@code anomaly.*} configuration keep
 * what it can: a smaller window keeps the newest scores.
 */
public final class ThresholdCodec {

    /** {@code formatVersion} this build writes and reads. */
    public static final int FORMAT = 1;
    /** Legacy metrics entry: how many scores the window held. */
    public static final String LEGACY_SIZE = "anomaly.size";
    /** Legacy metrics entries: {@code anomaly.score.<i>}, the i-th score, oldest first. */
    public static final String LEGACY_SCORE_PREFIX = "anomaly.score.";

    private static final Schema SCORES_SCHEMA = ThresholdState.getClassSchema().getField("scores").schema();

    private ThresholdCodec() {
    }

    /** The checkpoint field's value for {@code q}. */
    public static ThresholdState toRecord(StreamingQuantile q) {
        double[] scores = q.scores();
        PrimitivesArrays.DoubleArray list = new PrimitivesArrays.DoubleArray(scores.length, SCORES_SCHEMA);
        for (double s : scores) {
            list.add(list.size(), s); // (index, double): no boxing
        }
        return new ThresholdState(FORMAT, q.quantile(), q.capacity(), q.minCount(), q.seen(), list);
    }

    /**
     * The threshold window's scores in {@code cp}, oldest first: from its {@code threshold} field,
     * else from the legacy {@code anomaly.*} metrics; null when it has neither.
     *
     * @throws IllegalStateException when the stored state is of an unknown format version or incomplete
     */
    public static double[] scores(ModelCheckpoint cp) {
        ThresholdState t = cp.getThreshold();
        if (t != null) {
            FormatVersion.require("checkpoint's anomaly threshold", t.getFormatVersion(), FORMAT);
            return toArray(t.getScores());
        }
        return legacyScores(cp.getMetrics());
    }

    /**
     * Restores the threshold state of {@code cp} into {@code q} (a fresh quantile of the configured
     * q, window and warm-up); leaves {@code q} empty when {@code cp} has none.
     */
    public static void restore(ModelCheckpoint cp, StreamingQuantile q) {
        double[] scores = scores(cp);
        if (scores == null) {
            return;
        }
        for (int i = Math.max(0, scores.length - q.capacity()); i < scores.length; i++) {
            q.add(scores[i]);
        }
    }

    /** The scores of the legacy {@code anomaly.*} entries, oldest first; null when there are none. */
    static double[] legacyScores(Map<String, Double> metrics) {
        Double size = metrics.get(LEGACY_SIZE);
        if (size == null) {
            return null;
        }
        int n = size.intValue();
        // The map holds every score, so a larger size is corrupt: refused before it is allocated.
        if (n < 0 || n != size || n > metrics.size()) {
            throw new IllegalStateException("checkpoint's legacy anomaly threshold has size " + size + " in a map of "
                    + metrics.size() + " entries");
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            Double score = metrics.get(LEGACY_SCORE_PREFIX + i);
            if (score == null) {
                throw new IllegalStateException("checkpoint's anomaly threshold state lacks " + LEGACY_SCORE_PREFIX + i
                        + " of " + n);
            }
            out[i] = score;
        }
        return out;
    }

    private static double[] toArray(List<Double> scores) {
        double[] out = new double[scores.size()];
        if (scores instanceof PrimitivesArrays.DoubleArray doubles) {
            for (int i = 0; i < out.length; i++) {
                out[i] = doubles.getDouble(i);
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = scores.get(i);
            }
        }
        return out;
    }
}
