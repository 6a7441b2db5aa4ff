package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recover stage of the learning pipeline: after each model call it decides whether the model
 * diverged ({@link Divergence}: a prediction, the loss or the state not finite, or the windowed
 * loss far above its best) and, if so, rolls the model back to a good state at a lowered learning
 * rate and runs the batch again, so that no non-finite number ever reaches an output. Counted in
 * {@code streamfit_rollbacks_total{reason}} and logged once per rollback with the model key.
 */
final class DivergenceRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(DivergenceRecovery.class);

    private final Divergence divergence;
    /** The state of a new model of the spec. */
    private final Supplier<byte[]> newModelState;
    private final StepRunner stepper;
    private final StreamfitMetrics metrics;

    DivergenceRecovery(Divergence divergence, Supplier<byte[]> newModelState, StepRunner stepper,
                       StreamfitMetrics metrics) {
        this.divergence = divergence;
        this.newModelState = newModelState;
        this.stepper = stepper;
        this.metrics = metrics;
    }

    /**
     * The result to emit for {@code batch}: {@code result} itself when the model did not diverge,
     * else the batch's run on the rolled-back model.
     *
     * @param versionBefore the model's version before the call
     * @return null when not even a new model predicts the batch in finite numbers (its features
     *         overflow float32): the batch cannot be emitted, and the model is no longer as any
     *         checkpoint left it
     */
    Recovered check(ModelSlot slot, ObjectBatch batch, StepResult result, boolean train, long versionBefore) {
        String diverged = divergence(slot, result);
        if (diverged == null) {
            return new Recovered(result, versionBefore);
        }
        double scale = slot.model.learningRateScale();
        Recovered recovered = rollBack(slot, batch, train, versionBefore);
        slot.losses.reset(!StreamfitMetrics.ROLLBACK_LOSS_RATIO.equals(diverged));
        if (recovered == null) {
            return null;
        }
        slot.rollbacks++;
        metrics.recordRollback(diverged);
        LOG.warn("Model '{}' diverged ({}): rolled back to its last good state, learning-rate scale {} -> {} "
                + "(rollback {})", slot.key, diverged, scale, slot.model.learningRateScale(), slot.rollbacks);
        return recovered;
    }

    /**
     * Why {@code result} shows a diverged model ({@link Divergence}), or null. Notes a new best
     * windowed loss for the next checkpoint, which then becomes the model's good state.
     */
    private String divergence(ModelSlot slot, StepResult result) {
        if (!finite(result)) {
            return StreamfitMetrics.ROLLBACK_NON_FINITE_PREDICTION;
        }
        if ((StepResult.SKIP_NON_FINITE_LOSS.equals(result.skipped())
                || StepResult.SKIP_NON_FINITE_GRADIENT.equals(result.skipped())) && atOverflowEdge(result)) {
            // The guard kept the state, but a model whose finite predictions overflow the loss
            // would skip every batch from now on: it learns nothing ever again unless it rolls back.
            // With ordinary predictions the batch's own targets overflowed it: the guard's skip
            // is the whole answer, and a rollback would only throw away good learning.
            return StreamfitMetrics.ROLLBACK_NON_FINITE_LOSS;
        }
        if (!result.updated()) {
            return null;
        }
        if (!slot.model.stateFinite()) {
            return StreamfitMetrics.ROLLBACK_NON_FINITE_STATE;
        }
        if (Double.isFinite(result.loss())) {
            switch (slot.losses.add(result.loss(), divergence.lossRatio())) {
                case DIVERGED:
                    return StreamfitMetrics.ROLLBACK_LOSS_RATIO;
                case NEW_BEST:
                    slot.nextSavedIsGood = true;
                    break;
                default:
                    break;
            }
        }
        return null;
    }

    /** The batch's run (on a rolled-back model, if it diverged), and the version that predicted it. */
    record Recovered(StepResult result, long versionBefore) {
    }

    /**
     * Rolls {@code slot}'s diverged model back and runs the batch again on it at a lowered learning
     * rate: from its good state (at its best windowed loss), else its last checkpoint, else a new
     * model, the first whose training run is finite in every number (predictions, loss, state).
     * When none is (the batch's own targets overflow the loss), the first that predicts finite
     * numbers only predicts the batch. The good state comes first because the last checkpoint,
     * though finite, may sit right at the edge of overflow: the step before the blow-up wrote it.
     *
     * @return the run, or null when even a new model predicts non-finite numbers (the model is then
     *         no longer as any checkpoint left it: discard it)
     */
    private Recovered rollBack(ModelSlot slot, ObjectBatch batch, boolean train, long minVersion) {
        double scale = divergence.lowered(slot.model.learningRateScale());
        List<byte[]> candidates = new ArrayList<>(3);
        if (slot.good != null) {
            candidates.add(slot.good);
        }
        if (slot.lastSaved != null && slot.lastSaved != slot.good) {
            candidates.add(slot.lastSaved);
        }
        candidates.add(null);
        byte[] fresh = null;
        if (train) {
            for (byte[] candidate : candidates) {
                if (candidate == null) {
                    fresh = newModelState();
                }
                Recovered r = rerun(slot, batch, candidate != null ? candidate : fresh, scale, true, minVersion);
                if (r != null && r.result().skipped() == null) {
                    return r;
                }
            }
        }
        for (byte[] candidate : candidates) {
            if (candidate == null && fresh == null) {
                fresh = newModelState();
            }
            Recovered r = rerun(slot, batch, candidate != null ? candidate : fresh, scale, false, minVersion);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** The batch run on {@code state} at {@code scale}, or null when a number it gives or leaves is not finite. */
    private Recovered rerun(ModelSlot slot, ObjectBatch batch, byte[] state, double scale, boolean train, long minVersion) {
        slot.model.rollBackTo(state, minVersion);
        slot.model.setLearningRateScale(scale);
        long version = slot.model.version();
        StepResult r = stepper.step(slot.key, slot.model, batch, train);
        if (!finite(r) || (r.updated() && !slot.model.stateFinite())) {
            return null;
        }
        return new Recovered(r, version);
    }

    private byte[] newModelState() {
        return newModelState.get();
    }

    /**
     * Beyond this a prediction's square overflows float32 (about 3.4e38) whatever the target, so
     * the model cannot compute a loss any more; no real target is anywhere near it.
     */
    private static final float OVERFLOW_EDGE = 1e18f;

    private static boolean atOverflowEdge(StepResult r) {
        for (float[] values : new float[][] {r.objectPredictions(), r.sumPredictions()}) {
            if (values != null) {
                for (float v : values) {
                    if (Math.abs(v) > OVERFLOW_EDGE) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether every number the step gives the outputs is finite. */
    private static boolean finite(StepResult r) {
        return finite(r.objectPredictions()) && finite(r.sumPredictions()) && finite(r.probabilities())
                && finite(r.expectedCounts());
    }

    private static boolean finite(float[] values) {
        if (values != null) {
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }
}
