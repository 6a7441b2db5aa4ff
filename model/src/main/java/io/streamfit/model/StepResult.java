package io.streamfit.model;

/**
 * What one {@link OnlineModel#step} produced.
 *
 * @param objectPredictions one prediction per object, in batch order (length = batch objects)
 * @param sumPredictions    the sum of the object predictions per timestep (length = batch timesteps)
 * @param loss              the combined loss of the supervised timesteps before the update, or
 *                          {@code NaN} when no update was attempted (it may be infinite or NaN
 *                          when the update was skipped for it)
 * @param updated           whether an update was applied (the model version rose by one)
 * @param skipped           why an attempted update was not applied ({@link #SKIP_NON_FINITE_LOSS}
 *                          or {@link #SKIP_NON_FINITE_GRADIENT}: the whole state is unchanged), or
 *                          {@code null} when it was applied or not attempted
 * @param clipped           whether the applied gradients were scaled down by global-norm
 *                          clipping ({@code optimizer.clip.norm})
 */
public record StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated,
                         String skipped, boolean clipped) {

    /** The loss of the batch was NaN or infinite. */
    public static final String SKIP_NON_FINITE_LOSS = "non_finite_loss";
    /** The loss was finite but a gradient element was NaN or infinite. */
    public static final String SKIP_NON_FINITE_GRADIENT = "non_finite_gradient";

    /** A result without a skip and without clipping. */
    public StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated) {
        this(objectPredictions, sumPredictions, loss, updated, null, false);
    }
}
