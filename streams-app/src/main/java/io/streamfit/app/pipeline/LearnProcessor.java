package io.streamfit.app.pipeline;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.config.Challengers;
import io.streamfit.app.drift.DriftSettings;
import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.app.state.SettingsChangeLog;
import io.streamfit.app.screen.CommandScreen;
import io.streamfit.app.screen.LabelScreen;
import io.streamfit.app.screen.RecordScreen;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.app.kind.ObjectLayout;
import io.streamfit.app.kind.Outputs;
import io.streamfit.model.ModelPool;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-then-train for one task, as a pipeline of stages with one job each:
 * <pre>
 * record -&gt; screen ({@link RecordScreen}: decode, validate, the kind's supervision)
 *        -&gt; route ({@link ModelRouter}: series or global model key)
 *        -&gt; order (a series' timesteps rise: {@link SeriesTimesteps}, in the series store in global scope)
 *        -&gt; micro-batch ({@link MicroBatcher}: pending store, recovery, flush policy)
 *        -&gt; model ({@link ModelCache} over {@link Checkpointer}: in memory, restored, or new)
 *        -&gt; assemble ({@link BatchLogic} of the kind) -&gt; step ({@link StepRunner})
 *        -&gt; emit (the kind's typed outputs through {@link ProcessorOutputs}) -&gt; checkpoint
 * </pre>
 * A record that fails a check goes to the dead letters with the reason; a model call that fails
 * sends its batch there and returns the model to its last checkpoint; a model that diverges rolls
 * back by itself ({@link Divergence}). Faults are classified by {@link FaultClass}: a key whose
 * checkpoint cannot be restored is quarantined, faults of the instance stop it.
 *
 * <p>Exactly-once: outputs, the model checkpoint, the kind's stores (windows), the pending store
 * and (global scope) the series store are all written in this task, so they commit together with
 * the input offsets.
 *
 * <p>Seams for what comes next: a second input joined by key (late labels) enters as another
 * source of batch items for the same micro-batches; several models per key (a champion and its
 * challengers) run on one assembled batch, since assembly does not depend on the model.
 */
public final class LearnProcessor implements Processor<byte[], byte[], byte[], Output> {

    private static final Logger LOG = LoggerFactory.getLogger(LearnProcessor.class);
    /** How often the expiry scan runs (wall clock). */
    static final Duration EXPIRY_INTERVAL = Duration.ofSeconds(1);
    /** Shortest time between two summary lines of expiries, ms. */
    private static final long EXPIRY_LOG_EVERY_MS = 60_000;

    /**
     * Knobs of the processor, from the configuration.
     *
     * @param kind           the configured model kind
     * @param globalScope    one model for every series ({@code model.scope=global})
     * @param maxObjects     the most objects a record may have
     * @param maxRecordBytes larger record values are rejected unparsed
     * @param maxIdBytes     the longest key, series or object id, in UTF-8 bytes
     * @param batchTimesteps timesteps per micro-batch (>= 1)
     * @param batchMaxWaitMs longest a timestep waits for its batch (>= 0)
     * @param flushWhenIdle  a partial batch runs once the task drained its fetched input
     * @param metricsWindow  window of the prequential metrics, in timesteps
     * @param divergence     how a diverging model recovers
     * @param maxAbsFeature  the largest feature magnitude a record may carry ({@code max.abs.feature})
     * @param idleTtlMs      a series idle this long by record time expires ({@code model.idle.ttl}, ms); 0: never
     * @param idleScanKeys   series the expiry scan looks at per punctuation (>= 1)
     * @param labels         the delayed-labels join
     */
    public record Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                           int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                           int metricsWindow, Divergence divergence, double maxAbsFeature,
                           long idleTtlMs, int idleScanKeys, LabelSettings labels, LifecycleSettings lifecycle) {

        /** Settings with the default lifecycle (versions, drift events, commands topic). */
        public Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                        int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                        int metricsWindow, Divergence divergence, double maxAbsFeature,
                        long idleTtlMs, int idleScanKeys, LabelSettings labels) {
            this(kind, globalScope, maxObjects, maxRecordBytes, maxIdBytes, batchTimesteps, batchMaxWaitMs,
                    flushWhenIdle, metricsWindow, divergence, maxAbsFeature, idleTtlMs, idleScanKeys, labels,
                    LifecycleSettings.DEFAULT);
        }

        /** Settings with the default delayed-labels join. */
        public Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                        int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                        int metricsWindow, Divergence divergence, double maxAbsFeature,
                        long idleTtlMs, int idleScanKeys) {
            this(kind, globalScope, maxObjects, maxRecordBytes, maxIdBytes, batchTimesteps, batchMaxWaitMs,
                    flushWhenIdle, metricsWindow, divergence, maxAbsFeature, idleTtlMs, idleScanKeys,
                    LabelSettings.DEFAULT);
        }

        /** Settings without idle expiry. */
        public Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                        int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                        int metricsWindow, Divergence divergence, double maxAbsFeature) {
            this(kind, globalScope, maxObjects, maxRecordBytes, maxIdBytes, batchTimesteps, batchMaxWaitMs,
                    flushWhenIdle, metricsWindow, divergence, maxAbsFeature, 0L, 1);
        }

        /** Settings with the default feature bound. */
        public Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                        int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                        int metricsWindow, Divergence divergence) {
            this(kind, globalScope, maxObjects, maxRecordBytes, maxIdBytes, batchTimesteps, batchMaxWaitMs,
                    flushWhenIdle, metricsWindow, divergence, TimestepValidator.DEFAULT_MAX_ABS_FEATURE);
        }

        /** Settings with the default divergence recovery. */
        public Settings(ConfiguredKind kind, boolean globalScope, int maxObjects, int maxRecordBytes,
                        int maxIdBytes, int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle,
                        int metricsWindow) {
            this(kind, globalScope, maxObjects, maxRecordBytes, maxIdBytes, batchTimesteps, batchMaxWaitMs,
                    flushWhenIdle, metricsWindow, Divergence.DEFAULT);
        }

        public Settings {
            if (batchTimesteps < 1 || maxRecordBytes < 1 || maxIdBytes < 1
                    || batchMaxWaitMs < 0 || idleTtlMs < 0 || idleScanKeys < 1) {
                throw new IllegalArgumentException("invalid processor settings: " + batchTimesteps + ", "
                        + maxRecordBytes + ", " + maxIdBytes + ", " + batchMaxWaitMs + ", "
                        + idleTtlMs + ", " + idleScanKeys);
            }
        }
    }

    /**
     * The model lifecycle ({@link Lifecycle}).
     *
     * @param commandsTopic records from it are model commands
     * @param versionsEvery {@code model.versions.every} (>= 0)
     * @param versionsKeep  {@code model.versions.keep} (>= 1)
     * @param drift         the drift detector and action
     * @param challengers   the challengers ({@code challengers}); none: the champion alone
     * @param promoteMargin {@code challenger.promote.margin}
     * @param promoteAfter  {@code challenger.promote.after}
     */
    public record LifecycleSettings(String commandsTopic, long versionsEvery, int versionsKeep, DriftSettings drift,
                                    List<Challengers.Challenger> challengers, double promoteMargin,
                                    long promoteAfter) {
        /** The defaults of the configuration. */
        public static final LifecycleSettings DEFAULT = new LifecycleSettings("model-commands", 1000, 10,
                DriftSettings.DEFAULT);

        /** Without challengers. */
        public LifecycleSettings(String commandsTopic, long versionsEvery, int versionsKeep, DriftSettings drift) {
            this(commandsTopic, versionsEvery, versionsKeep, drift, List.of(), 0.05, 2000);
        }
    }

    /**
     * The delayed-labels join ({@link LabelJoin}).
     *
     * @param topic            the labels topic: records from it are labels, all others features; null
     *                         when the app takes no delayed labels ({@code topic.labels} empty): then
     *                         there is no join and no labels store, and features without targets are
     *                         predicted only, as for the kinds that do not join labels
     * @param maxWaitTimesteps {@code labels.max.wait.timesteps} (>= 0)
     * @param maxWaitMs        {@code labels.max.wait.ms} (>= 0)
     */
    public record LabelSettings(String topic, long maxWaitTimesteps, long maxWaitMs) {
        /** The defaults of the configuration. */
        public static final LabelSettings DEFAULT = new LabelSettings(io.streamfit.schemas.TopicRegistry.LABELS, 1000,
                3_600_000L);

        /** Whether there is a labels topic to join. */
        public boolean enabled() {
            return topic != null;
        }
    }

    private final Settings settings;
    private final ObjectLayout layout;
    private final StreamfitMetrics metrics;
    private final ModelMemory memory;
    private SettingsChangeLog changes;
    private final RecordScreen screen;
    /** Counts a record whose screening the decode helper had finished ({@link DecodeAhead}). */
    private final Runnable screenedAhead;
    private final ModelRouter router;
    private final StepRunner stepper;
    private final DivergenceRecovery recovery;

    private ProcessorContext<byte[], Output> context;
    private ProcessorOutputs outputs;
    private MicroBatcher batcher;
    private Checkpointer checkpointer;
    private ModelCache models;
    /** The task's one graph, which every model of the task runs on. */
    private ModelPool pool;
    private BatchLogic logic;
    /** Reused for every call; made by the first model, in its kind's layout (dense, sparse, windows). */
    private ObjectBatch batch;
    private boolean recovered;
    /** Quarantined model keys of this task, with why. */
    private final Map<String, String> quarantined = new HashMap<>();
    /** Whether a record reached {@link #process} since the last tick: then the task's fetched input is not drained. */
    private boolean inputSinceTick;
    /** With {@code model.idle.ttl}: which series are idle; null without. */
    private IdleExpiry expiry;
    /** Expiries since the last summary line, and when that was (wall clock, ms). */
    private long expiredSinceLog;
    private long lastExpiryLogMs;
    /** The delayed-labels join, for the kinds that join labels; null for the others. */
    private LabelJoin labelJoin;
    private final LabelScreen labelScreen;
    private final CommandScreen commandScreen;
    /** Versions, drift, commands and their events. */
    private Lifecycle lifecycle;
    /** The challengers' models of this task (none without {@code challengers}). */
    private ChallengerModels challengers;
    /** Models whose label counts changed since their last checkpoint. */
    private final Map<String, ModelSlot> labelCountsChanged = new LinkedHashMap<>();

    /**
     * @param memory the heap budget of the models in memory, shared by every task of the instance
     */
    public LearnProcessor(Settings settings, StreamfitMetrics metrics, ModelMemory memory) {
        this(settings, metrics, memory, ObjectLayout.PER_OBJECT, null);
    }

    /**
     * @param memory  the heap budget of the models in memory, shared by every task of the instance
     * @param layout  how object predictions leave ({@code output.objects})
     * @param changes says once per start that saved models learn under changed settings, shared
     *                likewise; null: one of this processor's own
     */
    public LearnProcessor(Settings settings, StreamfitMetrics metrics, ModelMemory memory, ObjectLayout layout,
                          SettingsChangeLog changes) {
        this.changes = changes;
        this.settings = settings;
        this.layout = layout;
        this.metrics = metrics;
        this.memory = memory;
        this.screen = screen(settings);
        this.screenedAhead = metrics::recordScreenedAhead;
        this.labelScreen = new LabelScreen(settings.kind().supervision(), settings.maxObjects(),
                settings.maxRecordBytes(), settings.maxIdBytes(), Math.max(1, settings.kind().spec().classes()));
        this.commandScreen = new CommandScreen(settings.maxIdBytes(), settings.maxRecordBytes());
        this.router = new ModelRouter(settings.globalScope());
        this.stepper = new StepRunner(metrics);
        this.recovery = new DivergenceRecovery(settings.divergence(), () -> pool.initialState(), stepper, metrics);
    }

    /** The checks of an input record, for these settings. */
    private static RecordScreen screen(Settings settings) {
        return new RecordScreen(TimestepValidator.forKind(settings.kind(), settings.maxObjects(),
                settings.maxRecordBytes()).withMaxAbsFeature(settings.maxAbsFeature()), settings.maxRecordBytes(),
                settings.maxIdBytes());
    }

    @Override
    public void init(ProcessorContext<byte[], Output> context) {
        this.context = context;
        if (!settings.globalScope()) {
            // In global scope the records come stamped through the route topic, screened here.
            Set<String> others = new HashSet<>(Set.of(settings.lifecycle().commandsTopic()));
            if (settings.labels().enabled()) {
                others.add(settings.labels().topic());
            }
            DecodeAhead.enable(others, () -> screen(settings));
        }
        outputs = new ProcessorOutputs(context, metrics, settings.globalScope(), layout);
        batcher = new MicroBatcher(context.getStateStore(Names.PENDING_STORE), settings.batchTimesteps(),
                settings.batchMaxWaitMs(), settings.flushWhenIdle());
        pool = new ModelPool(settings.kind().spec(), settings.kind()::create);
        // Global scope: one model for every series, whose last timesteps live in their own store.
        checkpointer = new Checkpointer(context.getStateStore(Names.MODEL_STORE),
                context.getStateStore(Names.GOOD_STORE),
                settings.globalScope() ? context.getStateStore(Names.SERIES_STORE) : null, settings.kind(), pool,
                settings.metricsWindow(), settings.divergence().lossWindow(), metrics,
                settings.lifecycle().drift()::newDetector);
        if (changes == null) {
            changes = new SettingsChangeLog(context.applicationId());
        }
        checkpointer.settings(changes, context.applicationId(), SettingsChange.Variant.CHAMPION);
        models = new ModelCache(memory, this::load, key -> {
            checkpointer.unpublish(key);
            metrics.forgetVariant(key);
        });
        challengers = new ChallengerModels(settings.lifecycle().challengers(), context, memory, stepper, metrics,
                settings, changes);
        if (!challengers.isEmpty()) {
            List<String> variants = challengers.names();
            checkpointer.racing(() -> new ChampionRace(variants, settings.lifecycle().promoteMargin(),
                    settings.lifecycle().promoteAfter()));
        }
        lifecycle = new Lifecycle(new ModelVersions(context.getStateStore(Names.VERSIONS_STORE),
                settings.lifecycle().versionsEvery(), settings.lifecycle().versionsKeep()), checkpointer, models,
                outputs, settings.lifecycle().drift().action(), settings.batchTimesteps(), metrics);
        logic = settings.kind().batchLogic(context::getStateStore);
        batch = null;
        // After a crash or a migration the stores were restored from their changelogs: start from them.
        recovered = false;
        context.schedule(batcher.tick(), PunctuationType.WALL_CLOCK_TIME, now -> tick());
        labelJoin = null;
        if (settings.kind().joinsLabels() && settings.labels().enabled()) {
            labelJoin = new LabelJoin(LabelJoin.Entries.of(context.getStateStore(Names.LABELS_STORE)),
                    settings.labels().maxWaitTimesteps(),
                    settings.labels().maxWaitMs(), new LabelEvents());
            // Wall clock, so that the store lets go of entries while input pauses; what is matched
            // is decided by record time in logged state (LabelJoin), not by when this runs.
            context.schedule(EXPIRY_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::sweepLabels);
        }
        expiry = null;
        if (settings.idleTtlMs() > 0) {
            expiry = new IdleExpiry(context.getStateStore(Names.ACTIVITY_STORE), settings.idleTtlMs(),
                    settings.idleScanKeys());
            // Wall clock, so that the scan goes on while input pauses. When it runs does not change
            // any outcome: whether a series is idle is decided by record time in logged state, and
            // a record of an idle series that the scan has not reached yet expires it first (process).
            context.schedule(EXPIRY_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::expireIdle);
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        inputSinceTick = true;
        recover();
        Origin origin = outputs.origin(record);
        if (origin.topic().equals(settings.lifecycle().commandsTopic())) {
            processCommand(record, origin);
            return;
        }
        if (settings.labels().enabled() && origin.topic().equals(settings.labels().topic())) {
            processLabel(record, origin);
            saveLabelCounts();
            return;
        }
        String topic = sourceTopic();
        RecordScreen.Outcome screened = DecodeAhead.take(topic, record.value(), screenedAhead);
        if (screened == null) {
            screened = screen.screen(topic, record.headers(), record.key(), record.value());
        }
        if (screened.rejection() != null) {
            outputs.reject(origin, screened.rejection());
            return;
        }
        Timestep ts = screened.timestep();
        String series = screened.series();
        if (expiry != null) {
            long lastSeen = expiry.arrive(series, record.timestamp());
            if (expiry.wasIdle(lastSeen) && expire(series)) {
                countExpired(1);
                lastSeen = IdleExpiry.NEVER;
            }
            expiry.touch(series, record.timestamp(), lastSeen);
        }
        String key = router.modelKey(series);
        ModelSlot slot = slot(key);
        if (slot == null) {
            outputs.reject(origin, new Rejection(FaultClass.MODEL_QUARANTINED, "model '" + key
                    + "' is quarantined in this instance: " + quarantined.get(key)));
            return;
        }
        long last = slot.lastTimestep(series);
        if (ts.timestep() <= last) {
            outputs.reject(origin, new Rejection(Rejection.TIMESTEP_NOT_INCREASING,
                    "timestep " + ts.timestep() + " of series '" + series + "' is not after " + last));
            return;
        }
        // Written now, with the pending timestep: in global scope a put in the series store's cache.
        slot.timesteps.accept(series, ts.timestep());
        PendingTimestep p = new PendingTimestep(series, ts, origin, System.nanoTime());
        if (labelJoin != null) {
            PendingTimestep joined = labelJoin.features(series, ts, origin, last, context.currentStreamTimeMs(),
                    p.arrivedNanos());
            if (joined != null) {
                p = joined;
            }
        }
        if (batcher.add(slot.key, p)) {
            run(slot);
        }
        saveLabelCounts();
    }

    /**
     * A record of the model-commands topic: screened, then applied to its model after the model's
     * pending micro-batch ran (the command comes after that data), or dead-lettered with why not.
     */
    private void processCommand(Record<byte[], byte[]> record, Origin origin) {
        CommandScreen.Outcome screened = commandScreen.screen(record.key(), record.value());
        if (screened.rejection() != null) {
            outputs.reject(origin, screened.rejection());
            return;
        }
        String key = screened.modelKey();
        if (!models.holdsKey(key) && !checkpointer.exists(key)) {
            outputs.reject(origin, new Rejection(Rejection.MODEL_UNKNOWN, "no model '" + key + "' in this task"
                    + (settings.globalScope() ? " (model.scope=global: its one model is '" + Names.GLOBAL_KEY + "')"
                    : ": a model exists once it learned its first micro-batch, and its commands reach it only when "
                    + "they were written with the partitioner of its features (Kafka's default, murmur2; kcat: "
                    + "-X partitioner=murmur2_random)")));
            return;
        }
        ModelSlot slot = slot(key);
        if (slot != null && !batcher.pending(key).isEmpty()) {
            run(slot);
            slot = slot(key);
        }
        if (slot == null) {
            outputs.reject(origin, new Rejection(FaultClass.MODEL_QUARANTINED, "model '" + key
                    + "' is quarantined in this instance: " + quarantined.get(key)));
            return;
        }
        Rejection refused = lifecycle.command(slot, screened.command(), origin, record.timestamp());
        if (refused != null) {
            outputs.reject(origin, refused);
        }
    }

    /**
     * A record of the labels topic: screened, then joined with its features ({@link LabelJoin}):
     * it waits for them, joins them (a batch item that trains and is scored on what was served),
     * or goes to the dead letters.
     */
    private void processLabel(Record<byte[], byte[]> record, Origin origin) {
        if (labelJoin == null) {
            outputs.reject(origin, new Rejection(Rejection.LABEL_UNSUPPORTED, "model.kind "
                    + settings.kind().kind().name() + " does not join delayed labels: send the targets with the "
                    + "features"));
            return;
        }
        LabelScreen.Outcome screened = labelScreen.screen(record.key(), record.value());
        if (screened.rejection() != null) {
            outputs.reject(origin, screened.rejection());
            if (Rejection.LABEL_DUPLICATE.equals(screened.rejection().reason())) {
                metrics.recordLabel(StreamfitMetrics.LABEL_DUPLICATE);
            }
            return;
        }
        String series = screened.series();
        long t = screened.labels().timestep();
        String key = router.modelKey(series);
        ModelSlot slot = slot(key);
        if (slot != null && batcher.pending(key).stream()
                .anyMatch(p -> p.served() == null && p.timestep().timestep() == t && p.series().equals(series))) {
            // Its features are still in the micro-batch: run it, so that they wait with what was served.
            run(slot);
            slot = slot(key);
        }
        if (slot == null) {
            outputs.reject(origin, new Rejection(FaultClass.MODEL_QUARANTINED, "model '" + key
                    + "' is quarantined in this instance: " + quarantined.get(key)));
            return;
        }
        LabelJoin.Outcome outcome = labelJoin.label(series, screened.labels(), origin, slot.lastTimestep(series),
                context.currentStreamTimeMs());
        if (outcome instanceof LabelJoin.Refused refused) {
            outputs.reject(origin, new Rejection(refused.reason(), refused.message()));
            boolean duplicate = Rejection.LABEL_DUPLICATE.equals(refused.reason());
            metrics.recordLabel(duplicate ? StreamfitMetrics.LABEL_DUPLICATE : StreamfitMetrics.LABEL_UNMATCHED);
            countLabels(series, c -> {
                if (duplicate) {
                    c.duplicate++;
                } else {
                    c.unmatched++;
                }
            });
        } else if (outcome instanceof LabelJoin.Matched matched) {
            if (batcher.add(slot.key, matched.item())) {
                run(slot);
            }
        }
    }

    /** The label punctuation: drops the entries of the labels store past {@code labels.max.wait.ms}. */
    private void sweepLabels(long nowMs) {
        recover();
        labelJoin.sweep(context.currentStreamTimeMs(), settings.idleScanKeys());
        saveLabelCounts();
    }

    /** Changes the label counts of {@code series}' model; they are checkpointed by {@link #saveLabelCounts}. */
    private void countLabels(String series, java.util.function.Consumer<LabelCounts> change) {
        ModelSlot slot = slot(router.modelKey(series));
        if (slot != null) {
            change.accept(slot.labels);
            labelCountsChanged.put(slot.key, slot);
        }
    }

    /**
     * Checkpoints the models whose label counts changed outside a micro-batch, so that the counts
     * commit with the labels and dead letters that changed them. A model that left memory since
     * took its change along only if a micro-batch saved it; the counts are statistics, not state.
     */
    private void saveLabelCounts() {
        for (ModelSlot slot : labelCountsChanged.values()) {
            if (models.holds(slot)) {
                checkpointer.save(slot);
            }
        }
        labelCountsChanged.clear();
    }

    /** The join's events: counters, per-model counts and the dead letters of unmatched labels. */
    private final class LabelEvents implements LabelJoin.Listener {
        @Override
        public void expired(String series) {
            metrics.recordLabel(StreamfitMetrics.LABEL_EXPIRED);
            countLabels(series, c -> c.expired++);
        }

        @Override
        public void unmatched(String series, Origin label, String why) {
            outputs.reject(label, new Rejection(Rejection.LABEL_UNMATCHED, why));
            metrics.recordLabel(StreamfitMetrics.LABEL_UNMATCHED);
            countLabels(series, c -> c.unmatched++);
        }

        @Override
        public void waiting(String series, int delta) {
            countLabels(series, c -> c.waiting += delta);
        }

        @Override
        public void matched(String series, long delayMs) {
            metrics.recordLabel(StreamfitMetrics.LABEL_MATCHED);
            metrics.recordLabelDelay(delayMs);
            countLabels(series, c -> {
                c.matched++;
                c.delayMsSum += Math.max(0, delayMs);
            });
        }
    }

    /** Runs the micro-batches that are due ({@link MicroBatcher#due}). */
    private void tick() {
        boolean idle = !inputSinceTick;
        inputSinceTick = false;
        recover();
        for (String key : batcher.due(idle, System.nanoTime())) {
            ModelSlot slot = slot(key);
            if (slot != null) {
                run(slot);
            }
        }
    }

    /** The expiry punctuation: expires the idle series among the next keys of the scan. */
    private void expireIdle(long nowMs) {
        recover();
        // Series with state but no record time yet (from before the TTL was on) get one first.
        expiry.adopt(context.getStateStore(settings.globalScope() ? Names.SERIES_STORE : Names.MODEL_STORE));
        int n = 0;
        for (String series : expiry.scan()) {
            if (expire(series)) {
                n++;
            }
        }
        countExpired(n);
        if (expiredSinceLog > 0 && nowMs - lastExpiryLogMs >= EXPIRY_LOG_EVERY_MS) {
            LOG.info("Task {} expired {} series idle for more than {} ms of record time since the last report "
                    + "(record clock {})", context.taskId(), expiredSinceLog, settings.idleTtlMs(), expiry.clock());
            expiredSinceLog = 0;
            lastExpiryLogMs = nowMs;
        }
    }

    private void countExpired(int n) {
        for (int i = 0; i < n; i++) {
            metrics.recordExpired();
        }
        expiredSinceLog += n;
    }

    /**
     * Removes the state of {@code series}, idle past {@code model.idle.ttl}, from every store of the
     * task (deletes, so the changelogs get tombstones in this transaction) and from memory and the
     * metrics. Its pending micro-batch runs first, as {@code batch.max.wait.ms} would have run it,
     * so no accepted record goes unanswered. With {@code model.scope=series} that is the model, its
     * checkpoint and statistics; with {@code global} the one model stays and only the series'
     * bookkeeping goes (its last timestep in the series store, its windows). A quarantined key is
     * left as it is, for a person to look at.
     *
     * @return whether the series expired
     */
    private boolean expire(String series) {
        String key = router.modelKey(series);
        if (quarantined.containsKey(key)) {
            return false;
        }
        boolean pending = batcher.pending(key).stream().anyMatch(p -> p.series().equals(series));
        if (settings.globalScope()) {
            ModelSlot slot = slot(key);
            if (slot != null && pending) {
                run(slot);
                // A failed batch discards the model from memory: load it again.
                slot = slot(key);
            }
            if (slot == null) {
                return false;
            }
            slot.timesteps.forget(series);
            if (slot.checkpointHoldsSeries) {
                // A checkpoint of an earlier version still carries the series: rewrite it without
                // them, or a restart would migrate the series back.
                checkpointer.save(slot);
            }
        } else {
            if (pending) {
                ModelSlot slot = slot(key);
                if (slot == null) {
                    return false;
                }
                run(slot);
            }
            batcher.clear(key);
            models.discard(key);
            checkpointer.delete(key);
            checkpointer.deleteRecoveryState(key);
            lifecycle.forget(key);
            challengers.forget(key);
        }
        logic.forget(series);
        expiry.forget(series);
        return true;
    }

    /**
     * Once per task life, before its first record or tick: the unfinished micro-batches of the
     * pending store become pending again, and their models know their timesteps.
     */
    private void recover() {
        if (recovered) {
            return;
        }
        Map<String, List<PendingTimestep>> pending;
        try {
            pending = batcher.recover();
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            // Skipping the entry would lose a buffered input whose offset is committed; going on
            // without the rest would lose them all. Stop, and let a person look at the store.
            throw new FaultClass.InstanceFault("the pending store " + Names.PENDING_STORE + " of task "
                    + context.taskId() + " holds an entry that does not decode; stopping rather than "
                    + "dropping buffered inputs", e);
        }
        recovered = true;
        pending.forEach((key, timesteps) -> {
            ModelSlot slot = slot(key);
            if (slot == null) {
                // They stay in the pending store: if the key's checkpoint is repaired, they run then.
                return;
            }
            for (PendingTimestep p : timesteps) {
                slot.timesteps.merge(p.series(), p.timestep().timestep());
            }
        });
    }

    /**
     * The model of {@code key} from its checkpoint (or new). A model that left memory with a
     * micro-batch pending gets the batch's timesteps back as its series' last ones, as recovery
     * does after a restart: they are accepted, only not learned yet.
     */
    private ModelSlot load(String key) {
        ModelSlot slot = checkpointer.load(key);
        for (PendingTimestep p : batcher.pending(key)) {
            slot.timesteps.merge(p.series(), p.timestep().timestep());
        }
        return slot;
    }

    /** Predicts and trains the pending micro-batch of {@code slot} in one model call, emits, checkpoints. */
    private void run(ModelSlot slot) {
        List<PendingTimestep> items = batcher.pending(slot.key);
        if (items.isEmpty()) {
            return;
        }
        if (batch == null) {
            // Every model of this task has one spec, so the first model's layout fits all.
            batch = slot.model.newBatch();
        }
        batch.clear();
        BatchLogic.Assembled assembled = logic.assemble(batch, items, slot.extras);
        long versionBefore = slot.model.version();
        long versionAtStart = versionBefore;
        long rollbacksBefore = slot.rollbacks;
        StepResult result = null;
        if (assembled.hasObjects()) {
            try {
                result = stepper.step(slot.key, slot.model, batch, assembled.train());
                DivergenceRecovery.Recovered recovered = recovery.check(slot, batch, result, assembled.train(),
                        versionBefore);
                if (recovered == null) {
                    fail(slot, items, new IllegalStateException("predictions are not finite even from a new "
                            + "model: the batch's features overflow float32"));
                    return;
                }
                result = recovered.result();
                versionBefore = recovered.versionBefore();
            } catch (RuntimeException e) {
                fail(slot, items, e);
                return;
            }
        }
        // The challengers learn from the same batch; the variant that leads is the one that emits.
        List<ChallengerModels.Run> runs = challengers.isEmpty() || !assembled.hasObjects() ? List.of()
                : challengers.run(slot.key, items);
        String leader = slot.race == null ? Challengers.CHAMPION : slot.race.leader();
        ChallengerModels.Run leading = null;
        for (ChallengerModels.Run r : runs) {
            if (r.variant().name.equals(leader)) {
                leading = r;
            }
        }
        // A leading challenger that sat this batch out (its model failed): the champion answers for it.
        String emitting = leading != null ? leader : Challengers.CHAMPION;
        outputs.batch(items, slot.generation, emitting);
        slot.startBatch();
        try {
            try {
                assembled.emit(result, versionBefore, slot.stats, slot.extras,
                        leading == null ? outputs : Outputs.DISCARD);
                for (ChallengerModels.Run r : runs) {
                    r.slot().startBatch();
                    r.assembled().emit(r.result(), r.versionBefore(), r.slot().stats, r.slot().extras,
                            r == leading ? outputs : Outputs.DISCARD);
                }
            } finally {
                outputs.batchDone();
            }
            assembled.commit();
            runs.forEach(r -> r.assembled().commit());
            if (labelJoin != null && result != null) {
                // What was served is what the leading variant predicted.
                ObjectBatch servedBatch = leading == null ? batch : leading.batch();
                StepResult served = leading == null ? result : leading.result();
                long servedVersion = leading == null ? versionBefore : leading.versionBefore();
                for (int t = 0; t < items.size(); t++) {
                    PendingTimestep p = items.get(t);
                    if (p.awaitsLabels()) {
                        labelJoin.keep(p, servedBatch, t, served, servedVersion);
                    }
                }
            }
            // Label records are not input records of the features topic: they count apart.
            slot.records += items.stream().filter(p -> p.served() == null).count();
            for (PendingTimestep p : items) {
                // A late label's timestep is an old one: it does not move the model's clock back.
                if (p.served() == null) {
                    slot.lastTimestep = p.timestep().timestep();
                }
            }
            Origin last = items.get(items.size() - 1).origin();
            if (slot.race != null && !runs.isEmpty()) {
                lifecycle.race(slot, runs, last, last.timestamp());
            }
            ModelCheckpoint checkpoint = checkpointer.save(slot);
            for (ChallengerModels.Run r : runs) {
                r.variant().checkpointer.save(r.slot());
                r.variant().models.resized(r.slot());
            }
            labelCountsChanged.remove(slot.key);
            batcher.clear(slot.key);
            if (slot.rollbacks > rollbacksBefore) {
                lifecycle.diverged(slot, versionAtStart, versionBefore, last, last.timestamp());
            }
            lifecycle.learned(slot, checkpoint, versionAtStart, items, last.timestamp());
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            // Outputs of the batch may have left already: dead-lettering now would commit them with
            // the dead letters and a model that never learned them. Failing the task aborts the
            // transaction instead, so with exactly-once none of it is committed.
            throw new FaultClass.InstanceFault("model '" + slot.key + "' failed after emitting the outputs of a "
                    + "micro-batch of " + items.size() + " timesteps (task " + context.taskId() + ")", e);
        }
        models.resized(slot);
    }

    /**
     * The model of {@code key}, or null when the key is quarantined ({@link FaultClass#MODEL_KEY}):
     * its checkpoint cannot be restored. A quarantined key stays so until its task leaves this
     * instance; every other key runs.
     */
    private ModelSlot slot(String key) {
        if (quarantined.containsKey(key)) {
            return null;
        }
        try {
            return models.get(key);
        } catch (FaultClass.ModelFault e) {
            quarantined.put(key, e.getMessage());
            metrics.quarantine(key, e.getMessage());
            LOG.error("Model '{}' is quarantined in task {}: its records go to the dead letters with reason {} "
                    + "until the checkpoint is repaired or removed and the task restarts", key, context.taskId(),
                    FaultClass.MODEL_QUARANTINED, e);
            return null;
        }
    }

    /**
     * The model call failed (a bug or a native error, not bad input: that never gets here). The
     * batch's records go to the dead letters, and the model returns to its last checkpoint so that
     * memory and store agree again.
     */
    private void fail(ModelSlot slot, List<PendingTimestep> items, RuntimeException e) {
        LOG.error("Model '{}' failed on a micro-batch of {} timesteps; they go to the dead letters and the model "
                + "returns to its last checkpoint", slot.key, items.size(), e);
        String message = e.getClass().getSimpleName() + ": " + e.getMessage();
        items.forEach(p -> outputs.failed(p, message));
        batcher.clear(slot.key);
        models.discard(slot.key);
        metrics.recordSkippedUpdate(StreamfitMetrics.SKIP_ROLLED_BACK);
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("");
    }

    @Override
    public void close() {
        // Pending timesteps stay in the pending store: the next owner of the task completes them.
        if (models != null) {
            models.close();
            checkpointer.unpublishAll();
        }
        if (pool != null) {
            pool.close();
        }
        if (challengers != null) {
            challengers.close();
        }
        quarantined.keySet().forEach(metrics::release);
        quarantined.clear();
    }
}
