package io.streamfit.model;

/**
 * A model that learns online: it predicts a micro-batch of timesteps and, when asked, trains on
 * the same batch in the same call (test-then-train). Every model kind (regressor, classifier,
 * sequence models) sits behind this interface so that the stream processor does not care which
 * one it drives.
 *
 * <p>Implementations own native TensorFlow resources and are not thread-safe: one model is used
 * by one stream thread at a time. Close it when done.
 */
public interface OnlineModel extends AutoCloseable {

    /** The immutable specification this model was built from. */
    ModelSpec spec();

    /**
     * A new, empty batch in the layout this model takes best: dense [N, m] here; the shared-weight
     * models give a sparse (COO) batch when {@link ModelSpec#sparseInput()}, the sequence models a
     * dense batch of {@code W * m} features per object (one window per object). Every model also
     * takes batches of the other layout with the same feature count.
     */
    default ObjectBatch newBatch() {
        return new ObjectBatch(spec().features());
    }

    /** Number of updates applied so far (survives export/import); never decreases. */
    long version();

    /**
     * Predicts every object of {@code batch} with the current weights and, if {@code train} is
     * true and the batch holds any supervised timestep, applies exactly one update on it. The
     * predictions in the result are those of the model before the update.
     *
     * @param batch the micro-batch; not modified
     * @param train whether to update the weights after predicting
     * @return predictions per object and per timestep, and the loss when trained
     */
    StepResult step(ObjectBatch batch, boolean train);

    /**
     * Serialises the whole state (weights, optimizer slots and step counters, update count) so
     * that {@code importState(exportState())} on a model of the same spec predicts and trains
     * bit-for-bit like this one.
     *
     * <p>The stream processor checkpoints after every micro-batch, so right after a {@link #step}
     * this costs no TensorFlow run: the step's own run fetched the state it left, and this copies
     * it. The bytes are the same either way.
     */
    byte[] exportState();

    /**
     * Replaces the whole state with one produced by {@link #exportState()} of a model with the
     * same spec.
     *
     * @throws IllegalArgumentException if the bytes are not a state of a model of this spec
     */
    void importState(byte[] state);

    /**
     * Replaces the weights and optimizer state with those of {@code state}, an earlier
     * {@link #exportState} of a model of this spec, but keeps {@link #version} where it is when the
     * state's is lower than {@code minVersion}: outputs promise that the version never decreases,
     * and a learning-rate schedule by update count goes on from where it was.
     *
     * @param minVersion the version to keep at least (the version before the diverged update)
     * @throws IllegalArgumentException if the bytes are not a state of a model of this spec
     */
    void rollBackTo(byte[] state, long minVersion);

    /**
     * Whether every floating-point number of the current state (weights and optimizer state) is
     * finite. A state that is not must never become a checkpoint: rolling back to the last
     * checkpoint is how a diverging model recovers. Costs about what {@link #exportState} does.
     */
    boolean stateFinite();

    /**
     * The runtime factor on the configured (and scheduled) learning rate, in (0, 1]: 1 unless
     * divergence recovery lowered it. It is model state, kept in {@link #exportState}, and not
     * part of the spec: a lowered model is the same model, learning more carefully.
     */
    double learningRateScale();

    /**
     * Sets {@link #learningRateScale}; the next training step uses it.
     *
     * @throws IllegalArgumentException unless {@code scale} is in (0, 1]
     */
    void setLearningRateScale(double scale);

    /**
     * Writes the current model as a TensorFlow SavedModel into {@code directory} (created if
     * missing), for serving without streamfit.
     *
     * @throws java.io.IOException if the directory is not empty or cannot be written
     */
    void exportSavedModel(java.nio.file.Path directory) throws java.io.IOException;

    /**
     * Writes the current model as a TensorFlow SavedModel, as {@link #exportSavedModel(java.nio.file.Path)},
     * whose graph first standardizes its raw input by {@code scaling}: for a model that was trained
     * on features standardized before they reached it.
     *
     * @param scaling null for none (the same export as {@link #exportSavedModel(java.nio.file.Path)})
     * @throws UnsupportedOperationException when {@code scaling} is given to a model whose export
     *                                       takes no scaling (the sequence models)
     */
    default void exportSavedModel(java.nio.file.Path directory, InputScaling scaling) throws java.io.IOException {
        if (scaling != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " exports no input scaling");
        }
        exportSavedModel(directory);
    }

    @Override
    void close();
}
