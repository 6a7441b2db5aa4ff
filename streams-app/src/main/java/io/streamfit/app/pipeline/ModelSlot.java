package io.streamfit.app.pipeline;

import java.util.HashMap;
import java.util.Map;

import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.OnlineModel;

/**
 * One live model of a task with the state that is checkpointed with it: prequential metrics, the
 * kind's extras, the record count, the last timestep per series (pending timesteps included) and
 * divergence recovery's state (the loss window, and the good state in the good store).
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
    /** The windowed training loss, for divergence by loss ratio; in the checkpoint. */
    final LossWatch losses;
    /**
     * The model state of the last checkpoint written or restored (the array the checkpoint holds;
     * never modified), or null: the state a diverged model rolls back to when its good state fails.
     */
    byte[] lastSaved;
    /**
     * The state at the best windowed loss, or null before the first checkpoint: the first state a
     * diverged model rolls back to. Always either {@link #lastSaved} (the same array) or
     * {@link #goodStored}: a checkpoint that moves past it first writes it to the good store.
     */
    byte[] good;
    /** The model version {@link #good} holds (informative, for the good store's value). */
    long goodVersion;
    /** The state the good store holds for this key (the same array), or null when it holds none we know of. */
    byte[] goodStored;
    /** Whether the next checkpoint's state becomes {@link #good} (the batch reached a new best windowed loss). */
    boolean nextSavedIsGood;
    /** Rollbacks of this model, kept in its checkpoint. */
    long rollbacks;
    /** What {@link ModelCache} counted this slot as, bytes. */
    long accountedBytes;
    /** The size of the model's state as bytes (one {@link OnlineModel#exportState}). */
    private final int stateBytes;

    /** Fixed cost of a slot besides its arrays: objects, statistics, counters, map entries. */
    private static final int SLOT_OVERHEAD_BYTES = 1024;
    /** What one entry of {@link #lastTimesteps} takes (node, boxed long, key string header). */
    private static final int SERIES_ENTRY_BYTES = 96;

    ModelSlot(String key, OnlineModel model, ModelExtras extras, int metricsWindow, int lossWindow, int stateBytes) {
        this.key = key;
        this.stateBytes = stateBytes;
        this.model = model;
        this.extras = extras;
        this.stats = new PrequentialStats(metricsWindow);
        this.losses = new LossWatch(lossWindow);
    }

    /**
     * An estimate of the heap this slot holds, bytes: the model's state (once, or twice while a
     * good state apart from the last checkpoint is kept), the loss window, the series' last
     * timesteps, the kind's extras and a fixed overhead.
     */
    long memoryBytes() {
        long bytes = SLOT_OVERHEAD_BYTES + 2L * key.length() + 8L * losses.window() + stateBytes;
        if (good != null && good != lastSaved) {
            bytes += good.length;
        }
        for (String series : lastTimesteps.keySet()) {
            bytes += SERIES_ENTRY_BYTES + 2L * series.length();
        }
        return bytes + extras.memoryBytes();
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
