package io.streamfit.app.pipeline;

import io.streamfit.app.drift.DriftDetector;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.OnlineModel;

/**
 * One live model of a task with the state that is checkpointed with it: prequential metrics, the
 * kind's extras, the record count, the last timestep per series (pending timesteps included: in
 * the checkpoint, or in the series store with {@code model.scope=global}, {@link SeriesTimesteps})
 * and divergence recovery's state (the loss window, and the good state in the good store).
 */
final class ModelSlot implements AutoCloseable {

    final String key;
    final OnlineModel model;
    final PrequentialStats stats;
    final ModelExtras extras;
    /** The last accepted timestep per series. */
    final SeriesTimesteps timesteps;
    /**
     * Whether the model's checkpoint in the store still carries series' last timesteps that now
     * live in the series store (one of an earlier version, migrated when it was restored): the
     * next checkpoint drops them.
     */
    boolean checkpointHoldsSeries;
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
    /** The delayed-labels join's counts of this model, kept in its checkpoint. */
    final LabelCounts labels = new LabelCounts();
    /** Rollbacks of this model, kept in its checkpoint. */
    long rollbacks;
    /**
     * The model's generation: rises by one at every rollback, reset or promotion, so that its
     * {@code modelVersion} keeps its meaning within a lineage; in the checkpoint.
     */
    int generation;
    /** Watches the prequential loss for a rise ({@code drift.detector}); in the checkpoint. */
    final DriftDetector drift;
    /** Which variant leads ({@code challengers}); null without challengers. In the checkpoint. */
    ChampionRace race;
    /** Scored timesteps of the micro-batch being emitted. */
    int scoredInBatch;
    /** Where in that batch the drift detector reported a rise (its scored-timestep index), or -1. */
    int driftAt = -1;
    /** What {@link ModelCache} counted this slot as, bytes. */
    long accountedBytes;
    /** The size of the model's state as bytes (one {@link OnlineModel#exportState}). */
    private final int stateBytes;

    /** Fixed cost of a slot besides its arrays: objects, statistics, counters, map entries. */
    private static final int SLOT_OVERHEAD_BYTES = 1024;

    ModelSlot(String key, OnlineModel model, ModelExtras extras, SeriesTimesteps timesteps, int metricsWindow,
              int lossWindow, int stateBytes, DriftDetector drift) {
        this.key = key;
        this.drift = drift;
        this.timesteps = timesteps;
        this.stateBytes = stateBytes;
        this.model = model;
        this.extras = extras;
        this.stats = new PrequentialStats(metricsWindow);
        this.losses = new LossWatch(lossWindow);
        stats.onTimestepLoss(loss -> {
            if (drift.update(loss) && driftAt < 0) {
                driftAt = scoredInBatch;
            }
            scoredInBatch++;
        });
    }

    /** Starts a micro-batch's emission: drift is looked for in it afresh. */
    void startBatch() {
        scoredInBatch = 0;
        driftAt = -1;
    }

    /**
     * An estimate of the heap this slot holds, bytes: the model's state (once, or twice while a
     * good state apart from the last checkpoint is kept), the loss window, the series' last
     * timesteps held in memory (none in global scope: they are in the series store), the kind's
     * extras and a fixed overhead.
     */
    long memoryBytes() {
        long bytes = SLOT_OVERHEAD_BYTES + 2L * key.length() + 8L * losses.window() + stateBytes;
        if (good != null && good != lastSaved) {
            bytes += good.length;
        }
        return bytes + timesteps.memoryBytes() + extras.memoryBytes();
    }

    /** The last timestep seen for {@code series}, or {@link Long#MIN_VALUE}. */
    long lastTimestep(String series) {
        return timesteps.last(series);
    }

    @Override
    public void close() {
        model.close();
    }
}
