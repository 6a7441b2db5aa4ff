package io.streamfit.app.kind;

import java.util.List;

import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;

/**
 * How a kind turns a micro-batch of timesteps into one model call and the call's result into
 * outputs. One instance per stream task (it may hold the task's stores, e.g. the windows of the
 * sequence kinds); not thread-safe.
 *
 * <p>Lifecycle of one micro-batch: {@link #assemble} fills the batch; the caller runs the model on
 * it (when {@link Assembled#hasObjects()}); {@link Assembled#emit} maps the result to outputs and
 * scores it; {@link Assembled#commit} then writes the kind's data state. A failed model call skips
 * emit and commit, so the batch leaves no trace. The assembled batch does not depend on the model,
 * so several models of one key (a champion and its challengers) can run on it, each emitting into
 * its own statistics.
 */
public interface BatchLogic {

    /**
     * Fills {@code batch} (cleared by the caller, in the layout of the kind's models) from
     * {@code items}, in their order.
     */
    Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items);

    /**
     * Fills {@code batch} for the model whose kind state is {@code extras}: kinds whose batch
     * depends on what the model has seen (feature scaling, outlier targets) read and update it
     * here. A failed model call discards the model with its extras, so an update here leaves no
     * trace then either.
     */
    default Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items, ModelExtras extras) {
        return assemble(batch, items);
    }

    /**
     * Deletes what the kind keeps for {@code series} in its data state (the sequence kinds'
     * windows): the series expired ({@code model.idle.ttl}) and starts again from nothing when it
     * comes back. Nothing for most kinds.
     */
    default void forget(String series) {
    }

    /** A micro-batch ready for the model call. */
    interface Assembled {

        /** Whether the batch holds any object (a sequence batch may have no full window yet). */
        boolean hasObjects();

        /** Whether the model call should train (it holds supervision, or the kind supervises itself). */
        boolean train();

        /**
         * Maps the model call's result to outputs, scores the predictions into {@code stats}, and
         * reports one outcome per item.
         *
         * @param result        the call's result, or {@code null} when the batch held no object
         * @param modelVersion  the model's version before the call (the outputs' {@code modelVersion})
         * @param extras        the model's kind state ({@link ConfiguredKind#newExtras})
         */
        void emit(StepResult result, long modelVersion, PrequentialStats stats, ModelExtras extras, Outputs out);

        /** Writes what the batch changed in the kind's data state (nothing for most kinds). */
        default void commit() {
        }
    }
}
