package io.streamfit.app.kind;

import java.util.List;

import io.streamfit.model.stats.RobustScale;
import io.streamfit.schemas.avro.LearningState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ScaleWindow;

/**
 * The per-model state of the plain kinds that decides what a model learns from: the robust
 * scales of the object targets and of the sum targets per object ({@code outlier.targets.*}).
 * A target further out than the threshold from what the model accepted before is predicted but
 * masked out of the supervision ({@link BatchAssembler}). It is written in the checkpoint's
 * {@code learning} field, so it commits with the model; a checkpoint without one (earlier
 * versions, or the outlier rule off) restores to an empty state that warms up again.
 */
public final class LearningExtras implements ModelExtras {

    /** Version of {@link LearningState}'s meaning that this writes and reads. */
    static final int FORMAT = 1;

    /** The outlier rule: {@code threshold} 0 turns it off. */
    public record OutlierRule(double threshold, int window, int warmup) {
        public static final OutlierRule OFF = new OutlierRule(0, 1, 1);

        public boolean enabled() {
            return threshold > 0;
        }
    }

    private final RobustScale objectTargets;
    private final RobustScale sumTargets;

    public LearningExtras(OutlierRule rule) {
        this.objectTargets = rule.enabled() ? new RobustScale(rule.threshold(), rule.window(), rule.warmup()) : null;
        this.sumTargets = rule.enabled() ? new RobustScale(rule.threshold(), rule.window(), rule.warmup()) : null;
    }

    /** Freezes the scales for the next micro-batch (computed once per batch, not per target). */
    void beginBatch() {
        if (objectTargets != null) {
            objectTargets.refresh();
            sumTargets.refresh();
        }
    }

    /** Whether object target {@code y} trains the model (accepted values widen nothing beyond themselves). */
    boolean acceptObjectTarget(double y) {
        return objectTargets == null || objectTargets.accept(y);
    }

    /** Whether a sum target {@code s} over {@code k} objects trains the model, judged per object ({@code s / k}). */
    boolean acceptSumTarget(double s, int k) {
        return sumTargets == null || sumTargets.accept(s / Math.max(k, 1));
    }

    @Override
    public void save(ModelCheckpoint.Builder checkpoint) {
        if (objectTargets == null) {
            return;
        }
        checkpoint.setLearning(LearningState.newBuilder()
                .setFormatVersion(FORMAT)
                .setObjectTargets(window(objectTargets))
                .setSumTargets(window(sumTargets))
                .build());
    }

    @Override
    public void restore(ModelCheckpoint checkpoint) {
        LearningState state = checkpoint.getLearning();
        if (state == null || objectTargets == null) {
            return;
        }
        if (state.getFormatVersion() != FORMAT) {
            throw new IllegalStateException("checkpoint of model '" + checkpoint.getModelKey()
                    + "' has learning state version " + state.getFormatVersion() + "; this version reads " + FORMAT);
        }
        restore(state.getObjectTargets(), objectTargets);
        restore(state.getSumTargets(), sumTargets);
    }

    private static ScaleWindow window(RobustScale scale) {
        return ScaleWindow.newBuilder().setSeen(scale.seen()).setValues(boxed(scale.values()))
                .setRejectedInRow(boxed(scale.rejectedInRow())).build();
    }

    private static List<Double> boxed(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return List.of(out);
    }

    private static double[] unboxed(List<Double> values) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i);
        }
        return v;
    }

    private static void restore(ScaleWindow w, RobustScale scale) {
        if (w == null) {
            return;
        }
        scale.restore(unboxed(w.getValues()), w.getSeen(), unboxed(w.getRejectedInRow()));
    }
}
