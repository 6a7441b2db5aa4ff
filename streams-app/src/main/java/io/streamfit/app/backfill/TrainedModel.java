package io.streamfit.app.backfill;

/**
 * What one model learned in a backfill.
 *
 * @param key          model key (a series, or {@code global})
 * @param partition    partition of its stream task, and of its record in the model store's changelog
 * @param startVersion its version before the backfill: 0 for a new model, else its checkpoint's
 * @param version      its version now: the start version plus the updates applied (>= startVersion)
 * @param records      distinct history records it learned from (every pass repeats them)
 * @param objectMse    one-pass prequential object MSE: of the first pass's predictions, each made
 *                     before the model learned from its record; NaN without object targets
 * @param sumMse       one-pass prequential sum MSE (a classifier's: squared distance of the
 *                     expected class counts); NaN without sum targets
 * @param accuracy     classifier: one-pass prequential accuracy of the labelled objects, in [0, 1];
 *                     NaN for a regressor or without labels
 * @param logLoss      classifier: one-pass prequential mean log-loss of the labels, nats (>= 0); NaN
 *                     for a regressor or without labels
 */
public record TrainedModel(String key, int partition, long startVersion, long version, long records, double objectMse,
                           double sumMse, double accuracy, double logLoss) {
}
