package io.streamfit.app.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * streamfit's Micrometer meters (the contract's names; Prometheus adds {@code _total} and
 * {@code _seconds}) and the directory of live models that the gauges, HTTP and the demo read.
 * Labels never carry a series or object id.
 */
public final class StreamfitMetrics {

    public static final String OUTCOME_TRAINED = "trained";
    public static final String OUTCOME_PREDICTED_ONLY = "predicted_only";
    public static final String OUTCOME_DEAD_LETTER = "dead_letter";

    /** Skipped-update reasons (label {@code reason} of {@code streamfit_skipped_updates_total}). */
    public static final String SKIP_NON_FINITE_LOSS = "non_finite_loss";
    /** Outcomes of {@code streamfit_labels_total}. */
    public static final String LABEL_MATCHED = "matched";
    public static final String LABEL_EXPIRED = "expired";
    public static final String LABEL_UNMATCHED = "unmatched";
    public static final String LABEL_DUPLICATE = "duplicate";
    /** The lifecycle events of model-events (design.md, Model lifecycle). */
    public static final java.util.List<String> KNOWN_MODEL_EVENTS = java.util.List.of("rolled-back", "reset",
            "promoted", "drift", "diverged");
    public static final java.util.List<String> KNOWN_LABEL_OUTCOMES = java.util.List.of(LABEL_MATCHED, LABEL_EXPIRED,
            LABEL_UNMATCHED, LABEL_DUPLICATE);
    public static final String SKIP_NON_FINITE_GRADIENT = "non_finite_gradient";
    public static final String SKIP_CLIPPED = "clipped";
    public static final String SKIP_ROLLED_BACK = "rolled_back";
    /** A target or sum target far outside the model's robust scale: predicted, not trained on (per target). */
    public static final String SKIP_OUTLIER_TARGET = "outlier_target";
    /**
     * Reasons registered at zero from the start: an alert on {@code increase(...)} and a dashboard
     * panel need a series before the first skip, and Prometheus cannot see a counter that does not exist.
     */
    public static final java.util.List<String> KNOWN_SKIP_REASONS = java.util.List.of(
            SKIP_NON_FINITE_LOSS, SKIP_NON_FINITE_GRADIENT, SKIP_CLIPPED, SKIP_ROLLED_BACK,
            SKIP_OUTLIER_TARGET);

    /**
     * Rollback reasons (label {@code reason} of {@code streamfit_rollbacks_total}), registered at
     * zero like the skip reasons; the same strings as the pipeline's divergence reasons.
     */
    public static final String ROLLBACK_NON_FINITE_PREDICTION = "non_finite_prediction";
    public static final String ROLLBACK_NON_FINITE_LOSS = "non_finite_loss";
    public static final String ROLLBACK_NON_FINITE_STATE = "non_finite_state";
    public static final String ROLLBACK_LOSS_RATIO = "loss_ratio";
    public static final java.util.List<String> KNOWN_ROLLBACK_REASONS = java.util.List.of(
            ROLLBACK_NON_FINITE_PREDICTION, ROLLBACK_NON_FINITE_LOSS, ROLLBACK_NON_FINITE_STATE, ROLLBACK_LOSS_RATIO);

    private final MeterRegistry registry;
    private final Counter trained;
    private final Counter predictedOnly;
    private final Counter deadLetter;
    private final RecentPredictions recentPredictions = new RecentPredictions();
    private final java.util.concurrent.ConcurrentMap<String, Counter> deadLetterReasons =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Counter updates;
    private final Counter expired;
    private final Timer predict;
    private final Timer update;
    private final Timer checkpoint;
    private final Timer restore;
    private final Counter goodStateWrites;
    private final Counter screenedAhead;
    private final AtomicLong checkpointBytes = new AtomicLong();
    private final Map<String, ModelInfo> models = new ConcurrentHashMap<>();
    private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
    private final Map<String, Counter> rollbacks = new ConcurrentHashMap<>();
    private final Map<String, Counter> labels = new ConcurrentHashMap<>();
    private final Map<String, Counter> modelEvents = new ConcurrentHashMap<>();
    /** The raced loss of every variant's model in memory, by store key (models with challengers only). */
    private final Map<String, VariantLoss> variantLosses = new ConcurrentHashMap<>();
    private final java.util.Set<String> variantGauges = ConcurrentHashMap.newKeySet();

    private record VariantLoss(String variant, String role, double loss) {
    }
    private final Timer labelDelay;
    /** Quarantined model keys with why, for {@code /health}; ids never become labels. */
    private final Map<String, String> quarantined = new ConcurrentHashMap<>();
    /** The suppliers of the function counters: held here, since the counters hold them only weakly. */
    private final List<LongSupplier> watchedSuppliers = new CopyOnWriteArrayList<>();

    public StreamfitMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.trained = records(OUTCOME_TRAINED);
        this.predictedOnly = records(OUTCOME_PREDICTED_ONLY);
        this.deadLetter = records(OUTCOME_DEAD_LETTER);
        this.updates = Counter.builder("streamfit.model.updates").description("Applied model updates")
                .register(registry);
        this.expired = Counter.builder("streamfit.models.expired")
                .description("Series keys whose state was removed after model.idle.ttl without a record")
                .register(registry);
        this.predict = latency("streamfit.predict", "Model call latency of records that only predict");
        this.update = latency("streamfit.update", "Model call latency of records that predict and train (one fused call)");
        this.checkpoint = latency("streamfit.checkpoint", "Time to export and write a checkpoint to the state store");
        this.restore = latency("streamfit.restore", "Time to restore a model from its checkpoint");
        this.goodStateWrites = Counter.builder("streamfit.good.state.writes")
                .description("Good states (a model's state at its best windowed loss) written to the good store")
                .register(registry);
        this.screenedAhead = Counter.builder("streamfit.records.screened.ahead")
                .description("Input records that the decode helper had decoded and checked before the stream thread "
                        + "reached them (decode.ahead)").register(registry);
        Gauge.builder("streamfit.checkpoint.bytes", checkpointBytes, AtomicLong::get).baseUnit("bytes")
                .description("Size of the last checkpoint written to the state store").register(registry);
        Gauge.builder("streamfit.prequential.mse", this, m -> m.meanOver(ModelInfo::objectMse)).tag("target", "object")
                .description("Windowed prequential MSE, mean across live models").register(registry);
        Gauge.builder("streamfit.prequential.mse", this, m -> m.meanOver(ModelInfo::sumMse)).tag("target", "sum")
                .description("Windowed prequential MSE, mean across live models").register(registry);
        Gauge.builder("streamfit.prequential.accuracy", this, m -> m.meanOver(ModelInfo::accuracy))
                .description("Windowed prequential accuracy of the classifiers, mean across live models")
                .register(registry);
        Gauge.builder("streamfit.prequential.log.loss", this, m -> m.meanOver(ModelInfo::logLoss))
                .description("Windowed prequential log-loss (nats) of the classifiers, mean across live models")
                .register(registry);
        Gauge.builder("streamfit.models", models, Map::size).description("Models live in this instance")
                .register(registry);
        KNOWN_SKIP_REASONS.forEach(this::skippedCounter);
        KNOWN_ROLLBACK_REASONS.forEach(this::rollbackCounter);
        KNOWN_LABEL_OUTCOMES.forEach(this::labelCounter);
        // At zero from the start, so that dashboards and alerts see the series before the first event.
        KNOWN_MODEL_EVENTS.forEach(this::modelEventCounter);
        modelEventCounter(DRIFT);
        // The champion's raced loss exists from the start (NaN until a model races challengers).
        variantGauge(io.streamfit.app.config.Challengers.CHAMPION, "champion");
        // Label delays run from seconds to days: fixed buckets over that range, not the latency histogram's.
        this.labelDelay = Timer.builder("streamfit.label.delay")
                .description("Record-time delay from a timestep's features to its labels (0 for labels that came first)")
                .serviceLevelObjectives(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
                        Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(1),
                        Duration.ofDays(7))
                .register(registry);
        Gauge.builder("streamfit.models.quarantined", quarantined, Map::size)
                .description("Model keys quarantined in this instance: their records go to the dead letters")
                .register(registry);
    }

    /**
     * Meters of the models' memory budget ({@code models.cache.max.bytes}): bytes and models in
     * memory, the budget, and how many models left memory or were read into it. The first budget
     * watched is the one shown (a service has one).
     */
    public void watchModelMemory(LongSupplier usedBytes, long maxBytes, LongSupplier models, LongSupplier evictions,
                                 LongSupplier loads) {
        // A function counter holds its object weakly and, once that is collected, repeats its last
        // value for ever: callers pass method references that nothing else holds, so keep them here.
        watchedSuppliers.add(evictions);
        watchedSuppliers.add(loads);
        Gauge.builder("streamfit.model.cache.bytes", usedBytes, LongSupplier::getAsLong).baseUnit("bytes")
                .strongReference(true).description("Heap the models in memory take (an estimate), over every task")
                .register(registry);
        Gauge.builder("streamfit.model.cache.max.bytes", () -> maxBytes).baseUnit("bytes")
                .description("The models' heap budget, models.cache.max.bytes").register(registry);
        Gauge.builder("streamfit.model.cache.models", models, LongSupplier::getAsLong).strongReference(true)
                .description("Models in memory, over every task").register(registry);
        FunctionCounter.builder("streamfit.model.cache.evictions", evictions, LongSupplier::getAsLong)
                .description("Models that left memory to keep to models.cache.max.bytes").register(registry);
        FunctionCounter.builder("streamfit.model.cache.loads", loads, LongSupplier::getAsLong)
                .description("Models read into memory: restored from their checkpoint, or new").register(registry);
    }

    private Counter records(String outcome) {
        return Counter.builder("streamfit.records").tag("outcome", outcome).description("Input records by outcome")
                .register(registry);
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** An input record whose decoding and checks the decode helper had done ({@code decode.ahead}). */
    public void recordScreenedAhead() {
        screenedAhead.increment();
    }

    /** Input records the decode helper had decoded and checked before the stream thread reached them. */
    public long recordsScreenedAhead() {
        return (long) screenedAhead.count();
    }

    public void recordTrained() {
        trained.increment();
    }

    public void recordPredictedOnly() {
        predictedOnly.increment();
    }

    /**
     * Most distinct reasons in {@code streamfit_dead_letters_total{reason}}, {@link #OTHER_REASON}
     * included, under which the later ones count. The reasons are streamfit's codes (a dozen or so), so the cap
     * only guards the meter against an unforeseen source of free text.
     */
    static final int MAX_DEAD_LETTER_REASONS = 32;

    /** The reason under which dead letters beyond {@link #MAX_DEAD_LETTER_REASONS} distinct reasons count. */
    public static final String OTHER_REASON = "other";

    /**
     * A dead letter with its reason code (the {@code error.reason} header): counted in
     * {@code streamfit_records_total{outcome="dead_letter"}} and in {@code streamfit_dead_letters_total{reason}}.
     */
    public void recordDeadLetter(String reason) {
        deadLetter.increment();
        String r = reason == null || reason.isEmpty() ? OTHER_REASON : reason;
        Counter c = deadLetterReasons.get(r);
        if (c == null) {
            synchronized (deadLetterReasons) {
                c = deadLetterReasons.get(r);
                if (c == null) {
                    if (deadLetterReasons.size() >= MAX_DEAD_LETTER_REASONS - 1) {
                        r = OTHER_REASON;
                    }
                    c = deadLetterReasons.computeIfAbsent(r, x -> Counter.builder("streamfit.dead.letters").tag("reason", x)
                            .description("Dead letters by reason code (the error.reason header)").register(registry));
                }
            }
        }
        c.increment();
    }

    public void recordUpdate(long nanos) {
        updates.increment();
        update.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * One outcome of the delayed-labels join: a label record joined ({@link #LABEL_MATCHED}) or
     * dead-lettered ({@link #LABEL_UNMATCHED}, {@link #LABEL_DUPLICATE}), or waiting features
     * dropped without any label ({@link #LABEL_EXPIRED}).
     */
    public void recordLabel(String outcome) {
        labelCounter(outcome).increment();
    }

    /** A label record joined its features {@code delayMs} of record time after them (0 when it came first). */
    public void recordLabelDelay(long delayMs) {
        labelDelay.record(Math.max(0, delayMs), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Label outcomes of {@code outcome} counted so far in this instance. */
    public long labelsTotal(String outcome) {
        return (long) labelCounter(outcome).count();
    }

    private Counter labelCounter(String outcome) {
        return labels.computeIfAbsent(outcome, o -> Counter.builder("streamfit.labels").tag("outcome", o)
                .description("Delayed labels by outcome; expired counts features whose labels never came")
                .register(registry));
    }

    /**
     * A lifecycle change of a model ({@code model-events}): {@code event} is rolled-back, reset,
     * promoted, drift or diverged. Drifts also count in {@code streamfit_drift_total}.
     */
    public void recordModelEvent(String event) {
        modelEventCounter(event).increment();
        if ("drift".equals(event)) {
            modelEventCounter(DRIFT).increment();
        }
    }

    /** Lifecycle events of {@code event} counted so far in this instance ({@code drift} counts drifts). */
    public long modelEventsTotal(String event) {
        return (long) modelEventCounter(event).count();
    }

    /** The drift counter's key among the event counters (no event is named so). */
    private static final String DRIFT = "#drift";

    private Counter modelEventCounter(String event) {
        return modelEvents.computeIfAbsent(event, e -> DRIFT.equals(e)
                ? Counter.builder("streamfit.drift").description("Rises of a model's prequential loss that the drift "
                        + "detector reported").register(registry)
                : Counter.builder("streamfit.model.events").tag("event", e)
                        .description("Lifecycle changes of the models, as written to model-events").register(registry));
    }

    /**
     * The windowed loss on which a model of variant {@code variant} races (design.md, challengers)
     * now, in role {@code role} ({@code champion}: it leads for its key; {@code challenger}); kept
     * until {@link #forgetVariant}. {@code streamfit_variant_prequential_loss{variant, role}} is the
     * mean over the models in memory of that variant and role.
     *
     * @param storeKey the model's key in the model store (a challenger's is {@code <key> NUL <name>})
     */
    public void variantLoss(String storeKey, String variant, String role, double loss) {
        variantLosses.put(storeKey, new VariantLoss(variant, role, loss));
        variantGauge(variant, role);
    }

    private void variantGauge(String variant, String role) {
        if (variantGauges.add(variant + '\u0000' + role)) {
            Gauge.builder("streamfit.variant.prequential.loss", this, m -> m.meanVariantLoss(variant, role))
                    .tag("variant", variant).tag("role", role)
                    .description("Windowed prequential loss the champion and its challengers race on (object MSE, "
                            + "or log-loss), mean across the models in memory of that variant in that role")
                    .register(registry);
        }
    }

    /** The model of {@code storeKey} left memory (or expired): its raced loss no longer counts. */
    public void forgetVariant(String storeKey) {
        variantLosses.remove(storeKey);
    }

    /** What {@code streamfit_variant_prequential_loss{variant, role}} reports now (NaN: no such model in memory). */
    public double meanVariantLoss(String variant, String role) {
        double sum = 0;
        int n = 0;
        for (VariantLoss v : variantLosses.values()) {
            if (v.variant.equals(variant) && v.role.equals(role) && Double.isFinite(v.loss)) {
                sum += v.loss;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** A series key idle past {@code model.idle.ttl} had its state removed. */
    public void recordExpired() {
        expired.increment();
    }

    /** Series keys expired so far in this instance. */
    public long expiredTotal() {
        return (long) expired.count();
    }

    public void recordPredict(long nanos) {
        predict.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void recordCheckpoint(long nanos, long bytes) {
        checkpoint.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        checkpointBytes.set(bytes);
    }

    /** A model's good state went to the good store (divergence recovery's rollback target). */
    public void recordGoodStateWrite() {
        goodStateWrites.increment();
    }

    /** Good states written to the good store in this instance. */
    public long goodStateWrites() {
        return (long) goodStateWrites.count();
    }

    public void recordRestore(long nanos) {
        restore.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Counts an update that was not applied, by reason (a small fixed set, never an id). */
    public void recordSkippedUpdate(String reason) {
        skippedCounter(reason).increment();
    }

    private Counter skippedCounter(String reason) {
        return skipped.computeIfAbsent(reason, r -> Counter.builder("streamfit.skipped.updates").tag("reason", r)
                .description("Updates not applied").register(registry));
    }

    /** Counts a diverged model's rollback, by reason (a small fixed set, never an id). */
    public void recordRollback(String reason) {
        rollbackCounter(reason).increment();
    }

    private Counter rollbackCounter(String reason) {
        return rollbacks.computeIfAbsent(reason, r -> Counter.builder("streamfit.rollbacks").tag("reason", r)
                .description("Diverged models rolled back to a last good state").register(registry));
    }

    /** Rollbacks so far, all reasons. */
    public long rollbacksTotal() {
        return (long) rollbacks.values().stream().mapToDouble(Counter::count).sum();
    }

    /** Marks {@code key}'s model quarantined in this instance, with a reason for people. */
    public void quarantine(String key, String why) {
        quarantined.put(key, why);
    }

    /** The key left this instance (its task closed); its next owner decides again. */
    public void release(String key) {
        quarantined.remove(key);
    }

    /** Quarantined model keys and why, a copy. */
    public Map<String, String> quarantined() {
        return Map.copyOf(quarantined);
    }

    /** Publishes the latest snapshot of a live model. */
    public void publish(ModelInfo info) {
        models.put(info.key(), info);
    }

    /** Forgets a model that left this instance (task closed or evicted from memory). */
    public void forget(String key) {
        models.remove(key);
    }

    public ModelInfo model(String key) {
        return models.get(key);
    }

    public Collection<ModelInfo> models() {
        return models.values();
    }

    public long recordsTotal() {
        return (long) (trained.count() + predictedOnly.count() + deadLetter.count());
    }

    /** The last sum predictions emitted, for {@code GET /recent} and the live page. */
    public RecentPredictions recentPredictions() {
        return recentPredictions;
    }

    public long deadLetters() {
        return (long) deadLetter.count();
    }

    public long updatesTotal() {
        return (long) updates.count();
    }

    /** Mean of a per-model number over the live models that have it (NaN when none). */
    public double meanOver(ToDoubleFunction<ModelInfo> f) {
        double sum = 0;
        int n = 0;
        for (ModelInfo m : models.values()) {
            double v = f.applyAsDouble(m);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
