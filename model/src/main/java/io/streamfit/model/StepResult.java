package io.streamfit.model;

/**
 * What one {@link OnlineModel#step} produced.
 *
 * @param objectPredictions one prediction per object, in batch order (length = batch objects); for
 *                          a classifier the probability of the predicted class, in [0, 1]
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
 * @param classes           C for a classifier, else 0
 * @param probabilities     a classifier's class probabilities, row-major [N, C] (each row sums to
 *                          1); {@code null} for other models
 * @param expectedCounts    a classifier's expected class counts per timestep, row-major [B, C]: the
 *                          sum of the probability rows of the timestep's objects; {@code null} for
 *                          other models
 */
public record StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated,
                         String skipped, boolean clipped, int classes, float[] probabilities,
                         float[] expectedCounts) {

    /** The loss of the batch was NaN or infinite. */
    public static final String SKIP_NON_FINITE_LOSS = "non_finite_loss";
    /** The loss was finite but a gradient element was NaN or infinite. */
    public static final String SKIP_NON_FINITE_GRADIENT = "non_finite_gradient";

    /** A result of a model that is not a classifier. */
    public StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated,
                      String skipped, boolean clipped) {
        this(objectPredictions, sumPredictions, loss, updated, skipped, clipped, 0, null, null);
    }

    /** A result without a skip and without clipping, of a model that is not a classifier. */
    public StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated) {
        this(objectPredictions, sumPredictions, loss, updated, null, false);
    }

    /**
     * The class a classifier predicts for {@code object}: the index of its largest probability, the
     * lowest such index on ties.
     *
     * @param object the object's index in the batch, in [0, N)
     * @throws IllegalStateException if this is not a classifier's result
     */
    public int predictedClass(int object) {
        if (probabilities == null) {
            throw new IllegalStateException("not a classifier's result: it has no class probabilities");
        }
        return argmax(probabilities, object * classes, classes);
    }

    /** The index in [0, length) of the largest of {@code values[from, from + length)}, the lowest on ties. */
    static int argmax(float[] values, int from, int length) {
        int best = 0;
        for (int c = 1; c < length; c++) {
            if (values[from + c] > values[from + best]) {
                best = c;
            }
        }
        return best;
    }
}
