package io.streamfit.model;

/**
 * What one {@link OnlineModel#step} produced.
 *
 * @param objectPredictions one prediction per object, in batch order (length = batch objects)
 * @param sumPredictions    the sum of the object predictions per timestep (length = batch timesteps)
 * @param loss              the combined loss of the supervised timesteps before the update, or
 *                          {@code NaN} when no update was attempted
 * @param updated           whether an update was applied (the model version rose by one)
 */
public record StepResult(float[] objectPredictions, float[] sumPredictions, double loss, boolean updated) {
}
