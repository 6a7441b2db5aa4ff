package io.streamfit.app.backfill;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.kind.StoreLookup;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.avro.ModelCheckpoint;

/**
 * Trains one model per model key on the samples of a backfill, pass after pass, in micro-batches:
 * a model's batch runs when it holds {@code batchTimesteps} timesteps, and every partial batch at
 * the end of a pass. Each batch ({@link OnlineModel#newBatch}: dense, or sparse for a sparse-input
 * model) is assembled by the kind's {@link BatchLogic} and run by {@link OnlineModel#step}, exactly
 * as the stream processor does. Kinds whose batches need no stream state (regressor, classifier);
 * not the sequence kinds ({@link ConfiguredKind#backfillRefusal}).
 *
 * <p>In the first pass the predictions that every step makes before it trains are scored into
 * {@link PrequentialStats} by the kind's own mapping, as the processor scores them (its outputs
 * are discarded): the one-pass prequential error, what
 * {@code run} would have measured on the same records. Later passes only train. The running loss
 * of a pass is the mean of the losses of its applied updates (each the batch's combined loss).
 *
 * <p>Memory: every model key's model stays open until {@link #close()}, with at most one batch of
 * pending timesteps each. Not thread-safe.
 */
final class BackfillTrainer implements AutoCloseable {

    /** One model key's model and what its checkpoint needs. */
    private static final class Slot {
        final String key;
        final int partition;
        final OnlineModel model;
        final PrequentialStats stats;
        final Map<String, Long> lastTimesteps = new HashMap<>();
        final List<Sample> pending = new ArrayList<>();
        final ModelExtras extras;
        /** Records of the checkpoint it started from, or 0. */
        final long recordsBefore;
        /** Distinct history records it learned from (those of the first pass). */
        long records;

        Slot(String key, int partition, OnlineModel model, ModelExtras extras, int metricsWindow, long recordsBefore) {
            this.key = key;
            this.extras = extras;
            this.partition = partition;
            this.model = model;
            this.stats = new PrequentialStats(metricsWindow);
            this.recordsBefore = recordsBefore;
        }
    }

    private final ConfiguredKind kind;
    private final ModelSpec spec;
    private final BatchLogic logic;
    private final int batchTimesteps;
    private final int metricsWindow;
    private final Map<String, ModelCheckpoint> existing;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, Long> startVersions = new HashMap<>();
    /** Reused for every batch; made by the first model, in the layout its kind takes (dense or sparse). */
    private ObjectBatch batch;
    private int pass;
    private double lossSum;
    private long lossCount;
    private long steps;
    private long skippedUpdates;

    /**
     * @param kind           the configured model kind (one that backfill can train)
     * @param batchTimesteps timesteps per update (>= 1)
     * @param metricsWindow  window of the prequential statistics, in timesteps (>= 1)
     * @param existing       the latest checkpoint per model key in the changelog; a model starts from its own
     */
    BackfillTrainer(ConfiguredKind kind, int batchTimesteps, int metricsWindow, Map<String, ModelCheckpoint> existing) {
        if (kind.backfillRefusal() != null) {
            throw new IllegalArgumentException("model.kind=" + kind.kind().name() + " " + kind.backfillRefusal());
        }
        if (batchTimesteps < 1) {
            throw new IllegalArgumentException("batch timesteps must be >= 1, got " + batchTimesteps);
        }
        this.kind = kind;
        this.spec = kind.spec();
        // No stores: the kinds backfill trains keep no stream state besides the model.
        this.logic = kind.batchLogic(StoreLookup.NONE);
        this.batchTimesteps = batchTimesteps;
        this.metricsWindow = metricsWindow;
        this.existing = Map.copyOf(existing);
    }

    /** Starts pass {@code pass} (1 for the first) over the history. */
    void beginPass(int pass) {
        this.pass = pass;
        lossSum = 0;
        lossCount = 0;
    }

    /** Adds a sample to its model's batch, and runs the batch when it is full. */
    void train(Sample sample) {
        Slot slot = slots.get(sample.modelKey());
        if (slot == null) {
            slot = open(sample.modelKey(), sample.partition());
        }
        slot.pending.add(sample);
        slot.lastTimesteps.merge(sample.series(), sample.timestep().timestep(), Math::max);
        // A label's timestep was counted with its features, as the stream counts it.
        if (pass == 1 && !sample.label()) {
            slot.records++;
        }
        if (slot.pending.size() >= batchTimesteps) {
            flush(slot);
        }
    }

    /** Runs every partial batch: the pass is over. */
    void endPass() {
        slots.values().forEach(this::flush);
    }

    private Slot open(String key, int partition) {
        OnlineModel model = kind.create();
        ModelCheckpoint cp = existing.get(key);
        try {
            Slot slot = new Slot(key, partition, model, kind.newExtras(), metricsWindow,
                    cp == null ? 0 : cp.getRecords());
            if (cp != null) {
                ModelCheckpoints.restore(cp, spec, model);
                slot.extras.restore(cp);
                slot.lastTimesteps.putAll(cp.getLastTimesteps());
            }
            startVersions.put(key, model.version());
            slots.put(key, slot);
            return slot;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private void flush(Slot slot) {
        if (slot.pending.isEmpty()) {
            return;
        }
        if (batch == null) {
            batch = slot.model.newBatch();
        }
        batch.clear();
        BatchLogic.Assembled assembled = logic.assemble(batch, slot.pending, slot.extras);
        long versionBefore = slot.model.version();
        StepResult result = slot.model.step(batch, assembled.train());
        steps++;
        if (pass == 1) {
            // The processor's prequential scoring of every timestep of the batch; outputs go nowhere.
            assembled.emit(result, versionBefore, slot.stats, slot.extras, Outputs.DISCARD);
        }
        if (result.updated()) {
            lossSum += result.loss();
            lossCount++;
        } else if (result.skipped() != null) {
            skippedUpdates++;
        }
        slot.pending.clear();
    }

    /** Mean loss of the updates applied in this pass so far, or NaN before the first. */
    double passLoss() {
        return lossCount > 0 ? lossSum / lossCount : Double.NaN;
    }

    /** Model calls so far, in all passes. */
    long steps() {
        return steps;
    }

    /** Updates the divergence guard skipped (non-finite loss or gradient), in all passes. */
    long skippedUpdates() {
        return skippedUpdates;
    }

    /** What each model learned, in the order the models first had a record. */
    List<TrainedModel> summaries() {
        List<TrainedModel> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            out.add(new TrainedModel(s.key, s.partition, startVersions.get(s.key), s.model.version(), s.records,
                    s.stats.runningObjectMse(), s.stats.runningSumMse(), s.stats.runningAccuracy(),
                    s.stats.runningLogLoss()));
        }
        return out;
    }

    /**
     * The checkpoint of every trained model, by model key, in the store's format: the whole model
     * state; the metrics are the first pass's prequential statistics (the windowed error then goes
     * on from them in {@code run}); {@code lastTimesteps} the highest timestep per series of the
     * history and of the checkpoint it started from; {@code records} the checkpoint's records plus
     * the distinct history records (a record repeated in N passes counts once; the version counts
     * the updates).
     *
     * @param nowMs time of the checkpoints, epoch milliseconds
     */
    Map<String, PartitionedCheckpoint> checkpoints(long nowMs) {
        Map<String, PartitionedCheckpoint> out = new LinkedHashMap<>();
        for (Slot s : slots.values()) {
            ModelCheckpoint.Builder cp = ModelCheckpoints.builder(s.key, spec, s.model, s.stats.toMap(),
                    s.lastTimesteps, s.recordsBefore + s.records, nowMs);
            s.extras.save(cp);
            out.put(s.key, new PartitionedCheckpoint(s.partition, cp.build()));
        }
        return out;
    }

    /** A checkpoint and the changelog partition it belongs to. */
    record PartitionedCheckpoint(int partition, ModelCheckpoint checkpoint) {
    }

    @Override
    public void close() {
        slots.values().forEach(s -> s.model.close());
        slots.clear();
    }
}
