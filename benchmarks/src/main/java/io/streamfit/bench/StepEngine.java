package io.streamfit.bench;

/**
 * One engine's update step of the shared-weight regressor (Linear m-&gt;hidden, relu,
 * Linear hidden-&gt;1 on every object), loss {@code w * mean object MSE + (1 - w) * mean over
 * timesteps of the squared sum error} with w = 0.5, Adam with learning rate 1e-3. Every step
 * feeds the same {@link StepData}, predicts every object and every timestep's sum (copied back
 * to Java, as the stream processor needs them), computes the loss and its gradients and applies
 * one update.
 */
public interface StepEngine extends AutoCloseable {

    /** w of the loss. */
    float LOSS_WEIGHT = 0.5f;

    /** Adam's learning rate. */
    float LEARNING_RATE = 1e-3f;

    /** Engine names as the benchmark parameter takes them. */
    String TENSORFLOW = "tensorflow";
    String PYTORCH = "pytorch";

    /**
     * Runs one update step.
     *
     * @return the loss before the update (finite for sane data)
     */
    double step();

    /** The predictions of the last step, one per object (length N). */
    float[] lastPredictions();

    @Override
    void close();

    /**
     * Builds an engine by name. The PyTorch classes (and its native library) are only loaded for
     * {@link #PYTORCH}, so a TensorFlow-only run never maps both native runtimes.
     *
     * @param threads intra-op threads of the engine (at least 1); inter-op threads are 1
     */
    static StepEngine create(String engine, StepData data, int threads, long seed) {
        return switch (engine) {
            case TENSORFLOW -> new TensorFlowStep(data, threads, seed);
            case PYTORCH -> new PyTorchStep(data, threads, seed);
            default -> throw new IllegalArgumentException("unknown engine '" + engine + "'; expected "
                    + TENSORFLOW + " or " + PYTORCH);
        };
    }
}
