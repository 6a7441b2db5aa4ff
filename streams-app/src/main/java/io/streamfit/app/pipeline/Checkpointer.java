package io.streamfit.app.pipeline;

import java.util.HashSet;
import java.util.Set;

import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves models between memory and the model store: {@link #load} restores a key's model from its
 * checkpoint (or builds a new one), {@link #save} writes the whole state after a micro-batch. The
 * store's cache keeps only the latest checkpoint per key until the commit, so exactly-once
 * commits each model with the input it learned. Every saved model is also published to the
 * metrics (the HTTP model view) and forgotten there when the task closes.
 */
final class Checkpointer {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final KeyValueStore<String, ModelCheckpoint> store;
    private final ConfiguredKind kind;
    private final ModelSpec spec;
    private final int metricsWindow;
    private final StreamfitMetrics metrics;
    private final Set<String> published = new HashSet<>();

    Checkpointer(KeyValueStore<String, ModelCheckpoint> store, ConfiguredKind kind, int metricsWindow,
                 StreamfitMetrics metrics) {
        this.store = store;
        this.kind = kind;
        this.spec = kind.spec();
        this.metricsWindow = metricsWindow;
        this.metrics = metrics;
    }

    /**
     * The model of {@code key} as its checkpoint left it, or a new one.
     *
     * @throws io.streamfit.app.errors.ModelMismatchException when the checkpoint is of another model spec
     */
    ModelSlot load(String key) {
        ModelCheckpoint cp = store.get(key);
        OnlineModel model = kind.create();
        ModelSlot slot = new ModelSlot(key, model, kind.newExtras(), metricsWindow);
        if (cp == null) {
            return slot;
        }
        long t0 = System.nanoTime();
        try {
            slot.checkpointBytes = ModelCheckpoints.restore(cp, spec, model);
            slot.extras.restore(cp);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        slot.stats.restore(cp.getMetrics());
        slot.lastTimesteps.putAll(cp.getLastTimesteps());
        slot.records = cp.getRecords();
        slot.checkpointAtMs = cp.getUpdatedAtMs();
        slot.lastTimestep = cp.getLastTimesteps().values().stream().mapToLong(Long::longValue).max()
                .orElse(Long.MIN_VALUE);
        metrics.recordRestore(System.nanoTime() - t0);
        LOG.debug("Restored model '{}' at version {}", key, model.version());
        return slot;
    }

    /** Writes the whole state of {@code slot}'s model to the store, and publishes it. */
    void save(ModelSlot slot) {
        long t0 = System.nanoTime();
        long now = System.currentTimeMillis();
        ModelCheckpoint.Builder cp = ModelCheckpoints.builder(slot.key, spec, slot.model, slot.stats.toMap(),
                slot.lastTimesteps, slot.records, now);
        slot.extras.save(cp);
        ModelCheckpoint checkpoint = cp.build();
        store.put(slot.key, checkpoint);
        slot.checkpointBytes = ModelCheckpoints.stateBytes(checkpoint);
        slot.checkpointAtMs = now;
        metrics.recordCheckpoint(System.nanoTime() - t0, slot.checkpointBytes);
        publish(slot);
    }

    private void publish(ModelSlot slot) {
        published.add(slot.key);
        metrics.publish(new ModelInfo(slot.key, spec.fingerprint(), slot.model.version(), slot.records,
                slot.stats.objectMse(), slot.stats.sumMse(), slot.stats.runningObjectMse(), slot.stats.runningSumMse(),
                slot.checkpointBytes, slot.checkpointAtMs, slot.lastTimestep, slot.stats.accuracy(), slot.stats.logLoss(),
                slot.stats.runningAccuracy(), slot.stats.runningLogLoss()));
    }

    /** The task closes: its models leave the metrics' model view (another instance may publish them now). */
    void unpublishAll() {
        published.forEach(metrics::forget);
        published.clear();
    }
}
