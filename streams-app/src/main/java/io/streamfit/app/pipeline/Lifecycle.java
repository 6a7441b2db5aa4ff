package io.streamfit.app.pipeline;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.streamfit.app.drift.DriftSettings;
import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.Rejection;
import io.streamfit.schemas.ModelCommand;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ModelVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle stage of the learning processor (design.md, "Model lifecycle"): after each
 * micro-batch it keeps a version when one is due ({@link ModelVersions}) and acts on a drift the
 * model's detector reported; it applies the commands of {@code model-commands}; every change is
 * an event on {@code model-events}. All of it is written in the task, so it commits with the
 * input that caused it (exactly-once).
 *
 * <p>A rollback or reset rewrites the model's checkpoint ({@link Checkpointer#rewrite}) in the
 * next generation and drops the model from memory; its next use loads the new checkpoint. The
 * model's series bookkeeping stays, so no timestep is accepted twice.
 */
final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    static final String ROLLED_BACK = "rolled-back";
    static final String RESET = "reset";
    static final String DRIFT = "drift";
    static final String DIVERGED = "diverged";
    static final String PROMOTED = "promoted";
    static final String REASON_BETTER = "better";
    static final String REASON_COMMAND = "command";
    static final String REASON_DRIFT = "drift";
    static final String REASON_DIVERGENCE = "divergence";

    private final ModelVersions versions;
    private final Checkpointer checkpointer;
    private final ModelCache models;
    private final ProcessorOutputs outputs;
    private final DriftSettings.Action driftAction;
    private final int batchTimesteps;
    private final io.streamfit.app.metrics.StreamfitMetrics metrics;

    Lifecycle(ModelVersions versions, Checkpointer checkpointer, ModelCache models, ProcessorOutputs outputs,
              DriftSettings.Action driftAction, int batchTimesteps, io.streamfit.app.metrics.StreamfitMetrics metrics) {
        this.metrics = metrics;
        this.versions = versions;
        this.checkpointer = checkpointer;
        this.models = models;
        this.outputs = outputs;
        this.driftAction = driftAction;
        this.batchTimesteps = Math.max(1, batchTimesteps);
    }

    /**
     * After {@code slot}'s micro-batch of {@code items} was learned and checkpointed as {@code cp}:
     * keeps a version when one is due, and acts on a drift reported while it was scored.
     *
     * @param versionBefore the model version before the batch
     * @param timestamp     the timestamp for the events (the batch's last record's)
     */
    void learned(ModelSlot slot, ModelCheckpoint cp, long versionBefore, List<PendingTimestep> items,
                 long timestamp) {
        if (versions.due(versionBefore, cp.getModelVersion())) {
            versions.keep(cp, slot.generation, offsets(items), System.currentTimeMillis());
        }
        if (slot.driftAt < 0) {
            return;
        }
        Origin origin = items.get(items.size() - 1).origin();
        // Scored timesteps from the rise's start to the batch's end, then updates (one per batch).
        long ago = slot.drift.changeBegan() + (slot.scoredInBatch - 1 - slot.driftAt);
        long versionAtChange = cp.getModelVersion() - 1 - ago / batchTimesteps;
        ModelVersion before = versions.newestAtOrBelow(slot.key, slot.generation, versionAtChange);
        LOG.info("Model '{}': its prequential loss rose (drift detector {}), about {} timesteps ago; newest version "
                + "kept before that: {}", slot.key, slot.drift, ago, before == null ? "none" : before.getModelVersion());
        outputs.modelEvent(slot.key, event(slot, DRIFT, REASON_DRIFT, before == null ? null : before.getModelVersion(),
                null, slot.generation), origin, timestamp);
        switch (driftAction) {
            case RESET -> reset(slot, REASON_DRIFT, origin, timestamp);
            case ROLLBACK -> {
                if (before != null) {
                    rollBack(slot, before, REASON_DRIFT, origin, timestamp);
                } else {
                    LOG.warn("Model '{}' drifted but keeps no version from before the rise (model.versions.every "
                            + "updates apart); it goes on as it is", slot.key);
                }
            }
            default -> {
            }
        }
    }

    /**
     * Applies {@code command} to {@code slot}'s model (its pending micro-batch has run).
     *
     * @return null when applied, else why not (for the dead letters)
     */
    Rejection command(ModelSlot slot, ModelCommand command, Origin origin, long timestamp) {
        switch (command.command()) {
            case ROLLBACK -> {
                ModelVersion v = versions.find(slot.key, command.toVersion(), command.generation());
                if (v == null) {
                    List<ModelVersion> kept = ModelVersions.list(versionsStore(), slot.key);
                    return new Rejection(Rejection.VERSION_UNKNOWN, "model '" + slot.key + "' keeps no version "
                            + command.toVersion() + (command.generation() == null ? ""
                            : " of generation " + command.generation()) + "; it keeps " + (kept.isEmpty() ? "none"
                            : kept.stream().map(k -> k.getModelVersion() + " (generation " + k.getGeneration() + ")")
                            .collect(Collectors.joining(", "))));
                }
                rollBack(slot, v, REASON_COMMAND, origin, timestamp);
                return null;
            }
            case RESET -> {
                reset(slot, REASON_COMMAND, origin, timestamp);
                return null;
            }
            case PROMOTE -> {
                if (slot.race == null) {
                    return new Rejection(Rejection.CHALLENGER_UNKNOWN, "model '" + slot.key + "' has no challenger '"
                            + command.challenger() + "': no challengers are configured (challengers=)");
                }
                if (!slot.race.variants().contains(command.challenger())) {
                    return new Rejection(Rejection.CHALLENGER_UNKNOWN, "model '" + slot.key + "' has no challenger '"
                            + command.challenger() + "'; its variants are " + slot.race.variants());
                }
                String from = slot.race.leader();
                slot.race.promote(command.challenger());
                promoted(slot, from, REASON_COMMAND, origin, timestamp);
                return null;
            }
            default -> throw new IllegalStateException("command " + command.command());
        }
    }

    /** The model of {@code key} expired ({@code model.idle.ttl}): its kept versions go too. */
    void forget(String key) {
        versions.deleteAll(key);
    }

    /**
     * After a micro-batch that the champion ({@code slot}) and the challengers ({@code runs}) all
     * learned: the race takes their windowed losses, and a challenger ahead long enough becomes
     * the champion ({@code promoted} event, next generation). The caller checkpoints the slot.
     */
    void race(ModelSlot slot, List<ChallengerModels.Run> runs, Origin origin, long timestamp) {
        Map<String, Double> losses = new HashMap<>();
        losses.put(io.streamfit.app.config.Challengers.CHAMPION, windowedLoss(slot));
        for (ChallengerModels.Run r : runs) {
            losses.put(r.variant().name, windowedLoss(r.slot()));
        }
        String from = slot.race.leader();
        String to = slot.race.observe(losses, slot.scoredInBatch);
        if (to != null) {
            promoted(slot, from, REASON_BETTER, origin, timestamp);
        }
        String leader = slot.race.leader();
        String champion = io.streamfit.app.config.Challengers.CHAMPION;
        metrics.variantLoss(slot.key, champion, role(champion, leader), losses.get(champion));
        for (ChallengerModels.Run r : runs) {
            metrics.variantLoss(r.slot().key, r.variant().name, role(r.variant().name, leader),
                    losses.get(r.variant().name));
        }
    }

    private static String role(String variant, String leader) {
        return variant.equals(leader) ? "champion" : "challenger";
    }

    private void promoted(ModelSlot slot, String from, String reason, Origin origin, long timestamp) {
        slot.generation++;
        String to = slot.race.leader();
        ModelEvent e = event(slot, PROMOTED, reason, null, null, slot.generation);
        e.setChallenger(to);
        LOG.info("Model '{}': {} leads now instead of {} ({}), generation {}", slot.key, to, from, reason,
                slot.generation);
        outputs.modelEvent(slot.key, e, origin, timestamp);
    }

    /**
     * The loss a variant is raced on: its windowed prequential log-loss when it classifies, else its
     * windowed object MSE, else its windowed sum MSE (NaN before it scored any).
     */
    static double windowedLoss(ModelSlot slot) {
        double logLoss = slot.stats.runningLogLoss();
        if (!Double.isNaN(logLoss)) {
            return logLoss;
        }
        double objects = slot.stats.runningObjectMse();
        return !Double.isNaN(objects) ? objects : slot.stats.runningSumMse();
    }

    /** A divergence rolled {@code slot}'s model back from {@code fromVersion} to {@code toVersion}. */
    void diverged(ModelSlot slot, long fromVersion, long toVersion, Origin origin, long timestamp) {
        outputs.modelEvent(slot.key, event(slot, DIVERGED, REASON_DIVERGENCE, fromVersion, toVersion, slot.generation),
                origin, timestamp);
    }

    private void rollBack(ModelSlot slot, ModelVersion to, String reason, Origin origin, long timestamp) {
        int generation = slot.generation + 1;
        ModelEvent e = event(slot, ROLLED_BACK, reason, slot.model.version(), to.getModelVersion(), generation);
        checkpointer.rewrite(slot, ModelVersions.checkpointOf(to), generation);
        models.discard(slot.key);
        LOG.info("Model '{}' rolled back ({}) from version {} to {} (generation {}), generation {} now", slot.key,
                reason, e.getFromVersion(), to.getModelVersion(), to.getGeneration(), generation);
        outputs.modelEvent(slot.key, e, origin, timestamp);
    }

    private void reset(ModelSlot slot, String reason, Origin origin, long timestamp) {
        int generation = slot.generation + 1;
        ModelEvent e = event(slot, RESET, reason, slot.model.version(), 0L, generation);
        checkpointer.rewrite(slot, null, generation);
        models.discard(slot.key);
        LOG.info("Model '{}' reset ({}) from version {}, generation {} now", slot.key, reason, e.getFromVersion(),
                generation);
        outputs.modelEvent(slot.key, e, origin, timestamp);
    }

    private ModelEvent event(ModelSlot slot, String event, String reason, Long from, Long to, int generation) {
        Map<String, Double> m = new HashMap<>();
        put(m, "objectMse", slot.stats.objectMse());
        put(m, "sumMse", slot.stats.sumMse());
        put(m, "runningObjectMse", slot.stats.runningObjectMse());
        put(m, "runningSumMse", slot.stats.runningSumMse());
        put(m, "accuracy", slot.stats.accuracy());
        put(m, "logLoss", slot.stats.logLoss());
        return ModelEvent.newBuilder().setModel(slot.key).setEvent(event).setFromVersion(from).setToVersion(to)
                .setChallenger(null).setReason(reason)
                .setAtTimestep(slot.lastTimestep == Long.MIN_VALUE ? null : slot.lastTimestep)
                .setGeneration(generation).setMetrics(m).build();
    }

    private static void put(Map<String, Double> m, String name, double v) {
        if (Double.isFinite(v)) {
            m.put(name, v);
        }
    }

    private org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, ModelVersion> versionsStore() {
        return versions.store();
    }

    /** Per input partition, the last offset among {@code items}. */
    private static Map<String, Long> offsets(List<PendingTimestep> items) {
        Map<String, Long> out = new HashMap<>();
        for (PendingTimestep p : items) {
            Origin o = p.origin();
            if (o.partition() >= 0) {
                out.merge(o.topic() + "-" + o.partition(), o.offset(), Math::max);
            }
        }
        return out;
    }
}
