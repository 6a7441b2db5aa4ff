package io.streamfit.app.kind;

/**
 * What a model served for one timestep when its features came without targets: kept with the
 * features until the labels arrive, so that the prequential metrics score the prediction that was
 * served then, not one of the model that has learned since (design.md, "Delayed labels").
 *
 * @param modelVersion   the version of the model that served them
 * @param predictions    one per object, in the record's object order (a classifier's: the
 *                       probability of the predicted class)
 * @param sumPrediction  the sum prediction
 * @param probabilities  a classifier's class probabilities, objects x classes, row-major; empty otherwise
 * @param expectedCounts a classifier's expected class counts (classes); empty otherwise
 */
public record Served(long modelVersion, float[] predictions, double sumPrediction, float[] probabilities,
                     float[] expectedCounts) {
}
