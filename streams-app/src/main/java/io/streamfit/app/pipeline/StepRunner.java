package io.streamfit.app.pipeline;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model call on an assembled micro-batch, timed and counted: applied updates and predictions
 * by latency, clipped and skipped updates by reason.
 */
final class StepRunner {

    private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);

    private final StreamfitMetrics metrics;

    StepRunner(StreamfitMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Predicts {@code batch} with {@code model} and, if {@code train}, trains on it in the same call.
     *
     * @param key the model's key, for the log
     * @throws RuntimeException from the model (a bug or a native error; bad input never gets here)
     */
    StepResult step(String key, OnlineModel model, ObjectBatch batch, boolean train) {
        long t0 = System.nanoTime();
        StepResult result = model.step(batch, train);
        long elapsed = System.nanoTime() - t0;
        if (result.updated()) {
            metrics.recordUpdate(elapsed);
            if (result.clipped()) {
                // The contract counts clipped updates with the skipped ones: applied, but scaled down.
                metrics.recordSkippedUpdate(StreamfitMetrics.SKIP_CLIPPED);
            }
        } else {
            metrics.recordPredict(elapsed);
            if (result.skipped() != null) {
                // The model left its whole state as it was (the divergence guard): the last good state.
                metrics.recordSkippedUpdate(result.skipped());
                LOG.debug("Model '{}' skipped an update: {} (loss {})", key, result.skipped(), result.loss());
            }
        }
        return result;
    }
}
