package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.config.Challengers;
import io.streamfit.app.drift.DriftDetector;
import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.app.state.SettingsChangeLog;
import io.streamfit.model.ModelPool;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The challengers' models of one task (design.md, "Model lifecycle"): for every configured
 * challenger, a graph of its own ({@link ModelPool}, its spec may differ from the champion's), its
 * models in the task's model store under {@code <key> NUL <name>} (so the checkpointing, the good
 * state and the memory budget work for them as for the champion), and a run of the champion's
 * micro-batch on each ({@link #run}). They predict and learn, never emit: the caller sends the
 * outputs of the variant that leads and discards the others'.
 */
final class ChallengerModels implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChallengerModels.class);

    /** One challenger's machinery in this task. */
    static final class Variant {
        final String name;
        final ModelPool pool;
        final Checkpointer checkpointer;
        final ModelCache models;
        final BatchLogic logic;
        final DivergenceRecovery recovery;
        ObjectBatch batch;

        Variant(String name, ModelPool pool, Checkpointer checkpointer, ModelCache models, BatchLogic logic,
                DivergenceRecovery recovery) {
            this.name = name;
            this.pool = pool;
            this.checkpointer = checkpointer;
            this.models = models;
            this.logic = logic;
            this.recovery = recovery;
        }
    }

    /**
     * A challenger's run of one micro-batch.
     *
     * @param versionBefore the version that predicted it (the outputs' {@code modelVersion})
     */
    record Run(Variant variant, ModelSlot slot, ObjectBatch batch, BatchLogic.Assembled assembled, StepResult result,
               long versionBefore) {
    }

    private final List<Variant> variants = new ArrayList<>();
    private final StepRunner stepper;

    ChallengerModels(List<Challengers.Challenger> configured, ProcessorContext<?, ?> context, ModelMemory memory,
                     StepRunner stepper, StreamfitMetrics metrics, LearnProcessor.Settings settings,
                     SettingsChangeLog changes) {
        this.stepper = stepper;
        for (Challengers.Challenger c : configured) {
            ModelPool pool = new ModelPool(c.kind().spec(), c.kind()::create);
            Checkpointer checkpointer = new Checkpointer(context.getStateStore(Names.MODEL_STORE),
                    context.getStateStore(Names.GOOD_STORE), null, c.kind(), pool, settings.metricsWindow(),
                    settings.divergence().lossWindow(), metrics, () -> DriftDetector.NONE).unpublished()
                    .settings(changes, context.applicationId(),
                            new SettingsChange.Variant(c.name(), c.overrides().keySet()));
            ModelCache models = new ModelCache(memory, checkpointer::load, metrics::forgetVariant);
            DivergenceRecovery recovery = new DivergenceRecovery(settings.divergence(), pool::initialState, stepper,
                    metrics);
            variants.add(new Variant(c.name(), pool, checkpointer, models, c.kind().batchLogic(context::getStateStore),
                    recovery));
        }
    }

    /** The store key of challenger {@code name}'s model of model key {@code key}. */
    static String storeKey(String key, String name) {
        return Names.challengerKey(key, name);
    }

    List<Variant> variants() {
        return variants;
    }

    /** The names of the variants, the champion's first. */
    List<String> names() {
        List<String> out = new ArrayList<>();
        out.add(Challengers.CHAMPION);
        variants.forEach(v -> out.add(v.name));
        return out;
    }

    boolean isEmpty() {
        return variants.isEmpty();
    }

    /**
     * Runs {@code items}, the champion's micro-batch of model key {@code key}, on every challenger:
     * assembles, predicts and trains (with divergence recovery), not emitting. A challenger whose
     * model cannot be restored or whose call fails is left out of this batch (and, having failed,
     * returns to its checkpoint); the champion's batch goes on.
     */
    List<Run> run(String key, List<PendingTimestep> items) {
        List<Run> runs = new ArrayList<>(variants.size());
        for (Variant v : variants) {
            String storeKey = storeKey(key, v.name);
            ModelSlot slot;
            try {
                slot = v.models.get(storeKey);
            } catch (FaultClass.ModelFault e) {
                LOG.warn("Challenger '{}' of model '{}' cannot be restored; it sits this batch out", v.name, key, e);
                continue;
            }
            if (v.batch == null) {
                v.batch = slot.model.newBatch();
            }
            v.batch.clear();
            BatchLogic.Assembled assembled = v.logic.assemble(v.batch, items, slot.extras);
            if (!assembled.hasObjects()) {
                continue;
            }
            try {
                long before = slot.model.version();
                StepResult stepped = stepper.step(slot.key, slot.model, v.batch, assembled.train());
                DivergenceRecovery.Recovered recovered = v.recovery.check(slot, v.batch, stepped, assembled.train(),
                        before);
                if (recovered == null) {
                    v.models.discard(storeKey);
                    continue;
                }
                runs.add(new Run(v, slot, v.batch, assembled, recovered.result(), recovered.versionBefore()));
            } catch (StreamsException e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.warn("Challenger '{}' of model '{}' failed on a micro-batch of {} timesteps; it returns to its "
                        + "checkpoint", v.name, key, items.size(), e);
                v.models.discard(storeKey);
            }
        }
        return runs;
    }

    /** Removes every challenger's model of {@code key} (the key expired). */
    void forget(String key) {
        for (Variant v : variants) {
            String storeKey = storeKey(key, v.name);
            v.models.discard(storeKey);
            v.checkpointer.delete(storeKey);
            v.checkpointer.deleteRecoveryState(storeKey);
        }
    }

    @Override
    public void close() {
        for (Variant v : variants) {
            v.models.close();
            v.pool.close();
        }
    }
}
