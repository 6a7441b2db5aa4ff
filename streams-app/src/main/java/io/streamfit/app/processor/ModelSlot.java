package io.streamfit.app.processor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.seq.StreamingQuantile;

/**
 * One live model of a task with the state that is checkpointed with it: prequential metrics,
 * record count and the last timestep per series (pending timesteps included), and the timesteps
 * that wait for its next micro-batch.
 */
final class ModelSlot implements AutoCloseable {

    final String key;
    final OnlineModel model;
    final PrequentialStats stats;
    final Map<String, Long> lastTimesteps = new HashMap<>();
    /** Validated timesteps waiting for the micro-batch, in arrival order. */
    final List<PendingTimestep> pending = new ArrayList<>();
    /** Whether {@link #pending} came from the pending store at start (so its entries must be deleted). */
    boolean recoveredPending;
    long records;
    long checkpointBytes;
    long checkpointAtMs;
    long lastTimestep = Long.MIN_VALUE;
    /** seq-autoencoder: the running anomaly threshold of this model's scores; null for other kinds. */
    StreamingQuantile threshold;

    ModelSlot(String key, OnlineModel model, int metricsWindow) {
        this.key = key;
        this.model = model;
        this.stats = new PrequentialStats(metricsWindow);
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
