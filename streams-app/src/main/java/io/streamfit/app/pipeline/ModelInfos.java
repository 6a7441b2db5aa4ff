package io.streamfit.app.pipeline;

import java.nio.ByteBuffer;

import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.Models;
import io.streamfit.schemas.avro.ModelCheckpoint;

/** A model's snapshot ({@link ModelInfo}) from its checkpoint, without building the model. */
public final class ModelInfos {

    private ModelInfos() {
    }

    /**
     * @param key           the model key the checkpoint is stored under
     * @param metricsWindow the window of the prequential metrics ({@code metrics.window})
     */
    /** Whether {@code cp}, a champion's checkpoint, says that its variant {@code variant} leads. */
    public static boolean leads(ModelCheckpoint cp, String variant) {
        return ChampionRace.leads(cp.getMetrics(), variant);
    }

    public static ModelInfo of(String key, ModelCheckpoint cp, int metricsWindow) {
        PrequentialStats stats = new PrequentialStats(metricsWindow);
        stats.restore(cp.getMetrics());
        ByteBuffer state = cp.getModelState();
        byte[] head = new byte[state.remaining()];
        state.duplicate().get(head);
        long lastTimestep = cp.getLastTimestep() != null ? cp.getLastTimestep()
                : cp.getLastTimesteps().values().stream().mapToLong(Long::longValue).max().orElse(Long.MIN_VALUE);
        return new ModelInfo(key, cp.getSpecFingerprint(), cp.getModelVersion(), cp.getRecords(),
                stats.objectMse(), stats.sumMse(), stats.runningObjectMse(), stats.runningSumMse(),
                head.length, cp.getUpdatedAtMs(), lastTimestep, stats.accuracy(), stats.logLoss(),
                stats.runningAccuracy(), stats.runningLogLoss(),
                cp.getMetrics().getOrDefault(Checkpointer.ROLLBACKS, 0.0).longValue(), Models.learningRateScale(head),
                LabelCounts.describe(cp.getMetrics()),
                cp.getMetrics().getOrDefault(Checkpointer.GENERATION, 0.0).intValue());
    }
}
