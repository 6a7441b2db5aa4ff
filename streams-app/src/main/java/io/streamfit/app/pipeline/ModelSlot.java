package io.streamfit.app.pipeline;

import java.util.HashMap;
import java.util.Map;

import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.OnlineModel;

/**
 * One live model of a task with the state that is checkpointed with it: prequential metrics, the
 * kind's extras, the record count and the last timestep per series (pending timesteps included).
 */
final class ModelSlot implements AutoCloseable {

    final String key;
    final OnlineModel model;
    final PrequentialStats stats;
    final ModelExtras extras;
    final Map<String, Long> lastTimesteps = new HashMap<>();
    long records;
    long checkpointBytes;
    long checkpointAtMs;
    long lastTimestep = Long.MIN_VALUE;
    /** The windowed training loss, for divergence by loss ratio. */
    final LossWatch losses;
    /**
     * The model state of the last checkpoint written or restored (the array the checkpoint holds;
     * never modified), or null: the first state a diverged model rolls back to.
     */
    byte[] lastSaved;
    /** The state at the best windowed loss (or as restored), or null: the second state to roll back to. */
    byte[] good;
    /** Whether the next checkpoint's state becomes {@link #good} (the batch reached a new best windowed loss). */
    boolean nextSavedIsGood;
    /** Rollbacks of this model, kept in its checkpoint. */
    long rollbacks;

    ModelSlot(String key, OnlineModel model, ModelExtras extras, int metricsWindow, int lossWindow) {
        this.key = key;
        this.model = model;
        this.extras = extras;
        this.stats = new PrequentialStats(metricsWindow);
        this.losses = new LossWatch(lossWindow);
    }

    /** The last timestep seen for {@code series}, or {@link Long#MIN_VALUE}. */
    long lastTimestep(String series) {
        Long t = lastTimesteps.get(series);
        return t == null ? Long.MIN_VALUE : t;
    }

    @Override
    public void close() {
        model.close();
    }
}
