package io.streamfit.app.pipeline;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import io.streamfit.app.drift.DriftDetector;
import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.app.state.SettingsChangeLog;
import io.streamfit.model.ModelPool;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.avro.GoodState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.RecoveryState;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves models between memory and the model store: {@link #load} restores a key's model from its
 * checkpoint (or makes a new one; either way a handle on the task's one graph, {@link ModelPool}),
 * {@link #save} writes the whole state after a micro-batch. The store's cache keeps only the latest checkpoint per key until the commit, so exactly-once
 * commits each model with the input it learned. Every saved model is also published to the
 * metrics (the gauges over the models in memory) and forgotten there when it leaves memory or
 * the task closes; {@code /models} reads the store itself.
 *
 * <p>Divergence recovery's state goes with it: the loss window in the checkpoint
 * ({@code recovery}), the good state (the state at the best windowed loss) in the good store. A
 * good state is usually the checkpoint's own state (the checkpoint then says so, and nothing more
 * is written); only a checkpoint that moves past it writes it to the good store first, in the same
 * transaction. So a restarted or reloaded model rolls back to the very state an uninterrupted one
 * would.
 *
 * <p>With {@code model.scope=global} the series' last timesteps are in the series store, not in
 * the checkpoint ({@link SeriesTimesteps.InStore}): its {@code lastTimesteps} is empty, so its size
 * does not grow with the number of series. A global checkpoint of an earlier version that still
 * carries them has them moved into the series store when it is restored.
 */
final class Checkpointer {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
    /** The checkpoint's number (in {@code metrics}) of rollbacks; written only once there was one. */
    static final String ROLLBACKS = "divergence.rollbacks";

    /** The checkpoint's number (in {@code metrics}) of the model's generation; written only once it is above 0. */
    static final String GENERATION = "lifecycle.generation";

    /** Version of {@link RecoveryState}'s meaning. */
    static final int RECOVERY_FORMAT = 1;
    /** Version of {@link GoodState}'s meaning. */
    static final int GOOD_FORMAT = 1;

    private final KeyValueStore<String, ModelCheckpoint> store;
    private final KeyValueStore<String, GoodState> goodStore;
    /** The series store ({@code model.scope=global}), or null: the last timesteps are in the checkpoints. */
    private final KeyValueStore<String, Long> seriesStore;
    private final ConfiguredKind kind;
    private final ModelPool pool;
    private final ModelSpec spec;
    /** {@code spec.fingerprint()}, which every checkpoint and model view carries. */
    private final String fingerprint;
    private final int metricsWindow;
    private final int lossWindow;
    private final StreamfitMetrics metrics;
    private final Set<String> published = new HashSet<>();
    /** Whether saved models go to the metrics' model view. */
    private boolean publishes = true;
    /** The champion race of each model with challengers, or null without challengers. */
    private Supplier<ChampionRace> races = () -> null;
    /** A new drift detector for each model ({@code drift.detector}). */
    private final Supplier<DriftDetector> drifts;
    /** Says once per start that saved models learn under changed settings; null: says nothing. */
    private SettingsChangeLog changes;
    private String applicationId;
    private SettingsChange.Variant variant = SettingsChange.Variant.CHAMPION;

    /**
     * @param seriesStore the series store with {@code model.scope=global}, null with {@code series}
     */
    Checkpointer(KeyValueStore<String, ModelCheckpoint> store, KeyValueStore<String, GoodState> goodStore,
                 KeyValueStore<String, Long> seriesStore, ConfiguredKind kind, ModelPool pool, int metricsWindow,
                 int lossWindow, StreamfitMetrics metrics) {
        this(store, goodStore, seriesStore, kind, pool, metricsWindow, lossWindow, metrics, () -> DriftDetector.NONE);
    }

    /**
     * @param drifts a new drift detector for each model
     */
    Checkpointer(KeyValueStore<String, ModelCheckpoint> store, KeyValueStore<String, GoodState> goodStore,
                 KeyValueStore<String, Long> seriesStore, ConfiguredKind kind, ModelPool pool, int metricsWindow,
                 int lossWindow, StreamfitMetrics metrics, Supplier<DriftDetector> drifts) {
        this.drifts = drifts;
        this.store = store;
        this.goodStore = goodStore;
        this.seriesStore = seriesStore;
        this.kind = kind;
        this.pool = pool;
        this.spec = kind.spec();
        this.fingerprint = spec.fingerprint();
        this.metricsWindow = metricsWindow;
        this.lossWindow = lossWindow;
        this.metrics = metrics;
    }

    /**
     * The model of {@code key} as its checkpoint left it, or a new one.
     *
     * @throws io.streamfit.app.errors.ModelMismatchException when the checkpoint is of another shape
     *                                                        (one line: the settings, the ways out)
     * @throws FaultClass.ModelFault when the checkpoint cannot be read or restored (corrupt)
     */
    ModelSlot load(String key) {
        ModelCheckpoint cp;
        try {
            cp = store.get(key);
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            // The store answered, but its value does not decode: this key's fault, not the store's.
            throw new FaultClass.ModelFault(key, "the checkpoint of model '" + key + "' in " + store.name()
                    + " does not decode: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
        // A handle on the task's one graph: no graph is built, and the state loads when the model runs.
        OnlineModel model = pool.newModel();
        SeriesTimesteps timesteps = seriesStore == null ? new SeriesTimesteps.InCheckpoint()
                : new SeriesTimesteps.InStore(seriesStore);
        ModelSlot slot = new ModelSlot(key, model, kind.newExtras(), timesteps, metricsWindow, lossWindow,
                pool.initialState().length, drifts.get());
        slot.race = races.get();
        if (cp == null) {
            return slot;
        }
        long t0 = System.nanoTime();
        try {
            slot.checkpointBytes = ModelCheckpoints.restore(cp, spec, model, applicationId, variant);
            slot.extras.restore(cp);
            restoreLosses(slot, cp.getRecovery());
        } catch (ModelMismatchException e) {
            model.close();
            throw e;
        } catch (RuntimeException e) {
            model.close();
            throw new FaultClass.ModelFault(key, "the checkpoint of model '" + key + "' in " + store.name()
                    + " cannot be restored: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
        if (changes != null) {
            changes.loaded(cp.getSpecFingerprint(), spec, variant, key);
        }
        slot.lastSaved = modelState(cp);
        restoreGood(slot, cp);
        slot.stats.restore(cp.getMetrics());
        slot.rollbacks = cp.getMetrics().getOrDefault(ROLLBACKS, 0.0).longValue();
        slot.labels.restore(cp.getMetrics());
        slot.generation = cp.getMetrics().getOrDefault(GENERATION, 0.0).intValue();
        slot.drift.restore(cp.getMetrics());
        if (slot.race != null) {
            slot.race.restore(cp.getMetrics());
        }
        int moved = slot.timesteps.restore(cp.getLastTimesteps());
        if (moved > 0) {
            slot.checkpointHoldsSeries = true;
            LOG.info("Model '{}': moved the last timesteps of {} series from its checkpoint (written by an earlier "
                    + "version) into {}; its next checkpoint is written without them", key, moved, seriesStore.name());
        }
        slot.records = cp.getRecords();
        slot.checkpointAtMs = cp.getUpdatedAtMs();
        slot.lastTimestep = cp.getLastTimestep() != null ? cp.getLastTimestep()
                : cp.getLastTimesteps().values().stream().mapToLong(Long::longValue).max().orElse(Long.MIN_VALUE);
        metrics.recordRestore(System.nanoTime() - t0);
        LOG.debug("Restored model '{}' at version {}", key, model.version());
        return slot;
    }

    /**
     * Writes the whole state of {@code slot}'s model to the store, and publishes it. The caller has
     * made sure the state is finite ({@link io.streamfit.model.OnlineModel#stateFinite}), which is
     * what makes the stored checkpoint a state to roll back to.
     */
    ModelCheckpoint save(ModelSlot slot) {
        long t0 = System.nanoTime();
        long now = System.currentTimeMillis();
        Map<String, Double> numbers = slot.stats.toMap();
        if (slot.rollbacks > 0) {
            // Only then, so that the checkpoint of a model that never diverged keeps its layout.
            numbers.put(ROLLBACKS, (double) slot.rollbacks);
        }
        slot.labels.save(numbers);
        if (slot.generation > 0) {
            numbers.put(GENERATION, (double) slot.generation);
        }
        numbers.putAll(slot.drift.state());
        if (slot.race != null) {
            numbers.putAll(slot.race.state());
        }
        boolean newGood = slot.nextSavedIsGood || slot.good == null;
        if (!newGood && slot.good == slot.lastSaved && slot.good != slot.goodStored) {
            // This checkpoint replaces the one that holds the good state: keep that first.
            goodStore.put(slot.key, GoodState.newBuilder().setFormatVersion(GOOD_FORMAT).setModelKey(slot.key)
                    .setModelVersion(slot.goodVersion).setModelState(ByteBuffer.wrap(slot.good)).build());
            slot.goodStored = slot.good;
            metrics.recordGoodStateWrite();
        }
        ModelCheckpoint.Builder cp = ModelCheckpoints.builder(slot.key, fingerprint, slot.model, numbers,
                slot.timesteps.checkpointed(), slot.records, now);
        slot.extras.save(cp);
        cp.setLastTimestep(slot.lastTimestep == Long.MIN_VALUE ? null : slot.lastTimestep);
        cp.setRecovery(RecoveryState.newBuilder().setFormatVersion(RECOVERY_FORMAT)
                .setLossWindow(slot.losses.window()).setLosses(boxed(slot.losses.losses()))
                .setLossSum(slot.losses.sum()).setBestLoss(slot.losses.best()).setGoodInGoodStore(!newGood)
                .build());
        ModelCheckpoint checkpoint = cp.build();
        store.put(slot.key, checkpoint);
        slot.checkpointHoldsSeries = false;
        slot.lastSaved = modelState(checkpoint);
        if (newGood) {
            slot.good = slot.lastSaved;
            slot.goodVersion = checkpoint.getModelVersion();
            slot.nextSavedIsGood = false;
        }
        slot.checkpointBytes = ModelCheckpoints.stateBytes(checkpoint);
        slot.checkpointAtMs = now;
        metrics.recordCheckpoint(System.nanoTime() - t0, slot.checkpointBytes);
        publish(slot);
        return checkpoint;
    }

    /**
     * Replaces the checkpoint of {@code slot}'s model with {@code base} (a kept version), or with a
     * new model's when {@code base} is null, in generation {@code generation}: weights, optimizer
     * state, prequential metrics, the kind's extras and the loss window come from {@code base};
     * what the model has seen of its series (last timesteps, records, label counts, rollbacks)
     * stays the slot's, so no timestep is taken twice. The drift detector and the good state start
     * over (the written checkpoint is the good state). {@code base} is taken over, not copied: pass
     * a checkpoint decoded for this. The caller discards the slot from memory:
     * the next use loads the written checkpoint.
     *
     * @return the written checkpoint
     */
    ModelCheckpoint rewrite(ModelSlot slot, ModelCheckpoint base, int generation) {
        long now = System.currentTimeMillis();
        Map<String, Double> numbers = new java.util.HashMap<>();
        if (base != null) {
            base.getMetrics().forEach((name, value) -> {
                if (!name.startsWith("labels.") && !name.startsWith("drift.") && !name.startsWith("lifecycle.")
                        && !name.equals(ROLLBACKS)) {
                    numbers.put(name, value);
                }
            });
        }
        if (slot.rollbacks > 0) {
            numbers.put(ROLLBACKS, (double) slot.rollbacks);
        }
        slot.labels.save(numbers);
        if (generation > 0) {
            numbers.put(GENERATION, (double) generation);
        }
        ModelCheckpoint.Builder cp;
        if (base != null) {
            // Field by field: a builder copied from a record deep-copies it through Avro's class
            // lookup, which its class-security check refuses for our nested records.
            if (base.getRecovery() != null) {
                base.getRecovery().setGoodInGoodStore(false);
            }
            cp = ModelCheckpoint.newBuilder().setFormatVersion(base.getFormatVersion()).setModelKey(slot.key)
                    .setSpecFingerprint(base.getSpecFingerprint()).setModelVersion(base.getModelVersion())
                    .setModelState(base.getModelState()).setMetrics(Map.copyOf(numbers))
                    .setLastTimesteps(Map.copyOf(slot.timesteps.checkpointed())).setRecords(slot.records)
                    .setUpdatedAtMs(now).setThreshold(base.getThreshold()).setLearning(base.getLearning())
                    .setRecovery(base.getRecovery());
        } else {
            OnlineModel fresh = pool.newModel();
            try {
                cp = ModelCheckpoints.builder(slot.key, fingerprint, fresh, numbers, slot.timesteps.checkpointed(),
                        slot.records, now);
            } finally {
                fresh.close();
            }
            kind.newExtras().save(cp);
        }
        cp.setLastTimestep(slot.lastTimestep == Long.MIN_VALUE ? null : slot.lastTimestep);
        ModelCheckpoint checkpoint = cp.build();
        store.put(slot.key, checkpoint);
        goodStore.delete(slot.key);
        return checkpoint;
    }

    /**
     * Names the application and the variant in the line that refuses a checkpoint of another shape,
     * and says through {@code log} when saved models load under changed settings.
     */
    Checkpointer settings(SettingsChangeLog log, String applicationId, SettingsChange.Variant variant) {
        this.changes = log;
        this.applicationId = applicationId;
        this.variant = variant;
        return this;
    }

    /** Gives every model a champion race ({@code challengers}). */
    Checkpointer racing(Supplier<ChampionRace> races) {
        this.races = races;
        return this;
    }

    /** Whether the store holds a checkpoint of {@code key}. */
    boolean exists(String key) {
        return store.get(key) != null;
    }

    /**
     * Removes what divergence recovery keeps of {@code key} outside its checkpoint (its good
     * state). The loss window is in the checkpoint itself, so whoever deletes a key's checkpoint
     * (an idle model expiring) calls this too, and nothing of the key's recovery state is left: a
     * model of that key that comes back starts as a new one does. The key's model must not be in
     * memory (or must be discarded with it).
     */
    void deleteRecoveryState(String key) {
        goodStore.delete(key);
    }

    /**
     * Sets the restored model's loss window as its checkpoint saved it. None saved (a checkpoint of
     * an earlier version, or of backfill), or one of another {@code divergence.loss.window}: the
     * window starts empty, as it did before the window was kept.
     */
    private static void restoreLosses(ModelSlot slot, RecoveryState recovery) {
        if (recovery == null) {
            return;
        }
        if (recovery.getFormatVersion() != RECOVERY_FORMAT) {
            throw new IllegalStateException("recovery state of format version " + recovery.getFormatVersion()
                    + ", this version reads " + RECOVERY_FORMAT);
        }
        if (recovery.getLossWindow() != slot.losses.window()) {
            return;
        }
        List<Double> losses = recovery.getLosses();
        double[] values = new double[losses.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = losses.get(i);
        }
        slot.losses.restore(values, recovery.getLossSum(), recovery.getBestLoss());
    }

    /**
     * Sets the restored model's good state: the good store's when the checkpoint says it is there,
     * else the checkpoint's own (as before the good state was kept: an earlier version's or
     * backfill's checkpoint). A good state that the checkpoint names but the good store lacks or
     * cannot decode costs only the rollback target, not the model: it falls back to the checkpoint,
     * with a warning.
     */
    private void restoreGood(ModelSlot slot, ModelCheckpoint cp) {
        slot.good = slot.lastSaved;
        slot.goodVersion = cp.getModelVersion();
        slot.goodStored = null;
        if (cp.getRecovery() == null || !cp.getRecovery().getGoodInGoodStore()) {
            return;
        }
        GoodState stored;
        try {
            stored = goodStore.get(slot.key);
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("The good state of model '{}' in {} does not decode; it rolls back to its checkpoint instead",
                    slot.key, goodStore.name(), e);
            return;
        }
        if (stored == null || stored.getFormatVersion() != GOOD_FORMAT) {
            LOG.warn("The checkpoint of model '{}' names a good state that {} does not hold{}; it rolls back to its "
                    + "checkpoint instead", slot.key, goodStore.name(),
                    stored == null ? "" : " (format version " + stored.getFormatVersion() + ")");
            return;
        }
        slot.good = modelState(stored.getModelState());
        slot.goodVersion = stored.getModelVersion();
        slot.goodStored = slot.good;
    }

    private static List<Double> boxed(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    /** The checkpoint's model state: its own array when it has one (the builder wraps the export), else a copy. */
    private static byte[] modelState(ModelCheckpoint cp) {
        return modelState(cp.getModelState());
    }

    private static byte[] modelState(ByteBuffer b) {
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] copy = new byte[b.remaining()];
        b.duplicate().get(copy);
        return copy;
    }

    /**
     * Saves from now on without publishing to the metrics' model view: a challenger's models are
     * not the instance's models (their statistics would skew the gauges over the models in memory).
     */
    Checkpointer unpublished() {
        this.publishes = false;
        return this;
    }

    private void publish(ModelSlot slot) {
        if (!publishes) {
            return;
        }
        published.add(slot.key);
        metrics.publish(new ModelInfo(slot.key, fingerprint, slot.model.version(), slot.records,
                slot.stats.objectMse(), slot.stats.sumMse(), slot.stats.runningObjectMse(), slot.stats.runningSumMse(),
                slot.checkpointBytes, slot.checkpointAtMs, slot.lastTimestep, slot.stats.accuracy(), slot.stats.logLoss(),
                slot.stats.runningAccuracy(), slot.stats.runningLogLoss(), slot.rollbacks,
                slot.model.learningRateScale(), slot.labels.describe(), slot.generation));
    }

    /**
     * Removes the checkpoint of {@code key} (a tombstone on the changelog at the commit) and its
     * entry in the metrics' model view: the key expired ({@code model.idle.ttl}).
     */
    void delete(String key) {
        store.delete(key);
        published.remove(key);
        metrics.forget(key);
    }

    /**
     * The model of {@code key} left memory: it leaves the metrics' view of the models in memory
     * (its checkpoint stays, and {@code /models} reads it from the store).
     */
    void unpublish(String key) {
        if (published.remove(key)) {
            metrics.forget(key);
        }
    }

    /** The task closes: its models leave the metrics' model view (another instance may publish them now). */
    void unpublishAll() {
        published.forEach(metrics::forget);
        published.clear();
    }
}
