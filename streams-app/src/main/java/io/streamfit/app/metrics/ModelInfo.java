package io.streamfit.app.metrics;

/**
 * A snapshot of one live model, published by the processor after every record and read by HTTP
 * and the gauges from other threads (immutable, so it is safe to share).
 *
 * @param key               model key (a series id, or {@code global})
 * @param spec              the model's spec fingerprint
 * @param version           updates applied
 * @param records           input records the model has processed (trained or predicted only)
 * @param objectMse         windowed prequential object MSE (NaN before the first target)
 * @param sumMse            windowed prequential sum MSE (NaN before the first sum target)
 * @param runningObjectMse  object MSE over all records
 * @param runningSumMse     sum MSE over all records
 * @param checkpointBytes   size of the last checkpoint written to the store
 * @param checkpointAtMs    wall-clock time of the last checkpoint (epoch ms)
 * @param lastTimestep      the last timestep processed for the model's latest series
 * @param accuracy          classifier: windowed prequential accuracy in [0, 1] (NaN before the first
 *                          label, and for other kinds)
 * @param logLoss           classifier: windowed prequential log-loss in nats (NaN likewise)
 * @param runningAccuracy   classifier: accuracy over all labelled objects (NaN likewise)
 * @param runningLogLoss    classifier: log-loss over all labelled objects (NaN likewise)
 * @param rollbacks         times the model diverged and rolled back (kept in its checkpoint)
 * @param learningRateScale the runtime factor on its learning rate, in (0, 1]; below 1 after rollbacks
 * @param labels            the delayed-labels join's counts (waiting, matched, expired, unmatched,
 *                          duplicate, meanDelaySeconds), or null for a model that never saw a label
 */
public record ModelInfo(String key, String spec, long version, long records, double objectMse, double sumMse,
                        double runningObjectMse, double runningSumMse, long checkpointBytes, long checkpointAtMs,
                        long lastTimestep, double accuracy, double logLoss, double runningAccuracy,
                        double runningLogLoss, long rollbacks, double learningRateScale,
                        java.util.Map<String, Object> labels, int generation) {

    /** A snapshot of a model of generation 0 (never rolled back, reset or promoted). */
    public ModelInfo(String key, String spec, long version, long records, double objectMse, double sumMse,
                     double runningObjectMse, double runningSumMse, long checkpointBytes, long checkpointAtMs,
                     long lastTimestep, double accuracy, double logLoss, double runningAccuracy,
                     double runningLogLoss, long rollbacks, double learningRateScale,
                     java.util.Map<String, Object> labels) {
        this(key, spec, version, records, objectMse, sumMse, runningObjectMse, runningSumMse, checkpointBytes,
                checkpointAtMs, lastTimestep, accuracy, logLoss, runningAccuracy, runningLogLoss, rollbacks,
                learningRateScale, labels, 0);
    }

    /** A snapshot of a model that never saw a delayed label. */
    public ModelInfo(String key, String spec, long version, long records, double objectMse, double sumMse,
                     double runningObjectMse, double runningSumMse, long checkpointBytes, long checkpointAtMs,
                     long lastTimestep, double accuracy, double logLoss, double runningAccuracy,
                     double runningLogLoss, long rollbacks, double learningRateScale) {
        this(key, spec, version, records, objectMse, sumMse, runningObjectMse, runningSumMse, checkpointBytes,
                checkpointAtMs, lastTimestep, accuracy, logLoss, runningAccuracy, runningLogLoss, rollbacks,
                learningRateScale, null);
    }

    /** A snapshot of a model that never rolled back. */
    public ModelInfo(String key, String spec, long version, long records, double objectMse, double sumMse,
                     double runningObjectMse, double runningSumMse, long checkpointBytes, long checkpointAtMs,
                     long lastTimestep, double accuracy, double logLoss, double runningAccuracy,
                     double runningLogLoss) {
        this(key, spec, version, records, objectMse, sumMse, runningObjectMse, runningSumMse, checkpointBytes,
                checkpointAtMs, lastTimestep, accuracy, logLoss, runningAccuracy, runningLogLoss, 0, 1.0);
    }

    /** A snapshot of a model that does not classify. */
    public ModelInfo(String key, String spec, long version, long records, double objectMse, double sumMse,
                     double runningObjectMse, double runningSumMse, long checkpointBytes, long checkpointAtMs,
                     long lastTimestep) {
        this(key, spec, version, records, objectMse, sumMse, runningObjectMse, runningSumMse, checkpointBytes,
                checkpointAtMs, lastTimestep, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
}
