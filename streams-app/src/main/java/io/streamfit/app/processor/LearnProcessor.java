package io.streamfit.app.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-then-train for one task: decodes and validates each input record (bad ones go to the
 * dead-letter sink with the reason), buffers it for the micro-batch of its model key, and when
 * the batch is full ({@code batch.timesteps}), its oldest timestep has waited
 * {@code batch.max.wait.ms}, or (with {@code batch.flush.when.idle}) the task has drained its fetched
 * input, predicts every object of the batch with the model in one call,
 * emits one object prediction per object and one sum prediction per timestep (in input order),
 * trains on the batch when it has targets, and writes the model's checkpoint to the state store.
 *
 * <p>Exactly-once: a buffered timestep is also written to the logged pending store, so that the
 * committed stores, outputs and input offsets always describe the same records; a restarted task
 * finds its unfinished micro-batches in the pending store and completes them. The model's
 * checkpoint is written once per micro-batch; the store's cache keeps only the latest one per key
 * until the commit.
 *
 * <p>Sequence kinds ({@code seq-autoencoder}, {@code lstm-regressor}; {@code batch.timesteps}
 * is 1 for them): each accepted record appends every object's features to that object's window in
 * the logged window store, and the windows that are full (and at their stride) form the record's
 * batch, one row of W * m values per object. The model call, the outputs (anomaly scores; or
 * object and sum predictions of the windowed objects), the window store and the checkpoint are all
 * written while the record is processed, so exactly-once commits them together with its offset;
 * the windows are only written when the model call succeeded, so a record that goes to the dead
 * letters leaves no trace in them.
 *
 * <p>Models live in memory (at most {@code maxLiveModels} per task, least recently used flushed,
 * evicted and reloaded from the store on demand) and are closed with the task.
 */
public final class LearnProcessor implements Processor<byte[], byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(LearnProcessor.class);

    /** Model key of {@code model.scope=global}. */
    public static final String GLOBAL_KEY = "global";

    /** Separates the model key from the batch position in pending store keys. */
    private static final char PENDING_SEPARATOR = '\u0000';

    /** Knobs of the processor, from the configuration. */
    public record Settings(ModelSpec spec, boolean globalScope, int maxObjects, int maxRecordBytes,
                           int batchTimesteps, long batchMaxWaitMs, boolean flushWhenIdle, int metricsWindow,
                           int maxLiveModels, Sequence sequence) {
        public Settings {
            if (batchTimesteps < 1 || maxLiveModels < 1 || maxRecordBytes < 1 || batchMaxWaitMs < 0) {
                throw new IllegalArgumentException("invalid processor settings: " + batchTimesteps + ", "
                        + maxLiveModels + ", " + maxRecordBytes + ", " + batchMaxWaitMs);
            }
            if (spec.isSequence() && (batchTimesteps != 1 || sequence == null)) {
                throw new IllegalArgumentException("model.kind " + spec.kind()
                        + " needs batch.timesteps = 1 and sequence settings");
            }
        }
    }

    /**
     * Knobs of the sequence kinds.
     *
     * @param stride          a full window joins the batch every stride-th timestep of its object (>= 1)
     * @param anomalyQuantile q in (0, 1) of the anomaly threshold (seq-autoencoder)
     * @param anomalyWindow   recent scores per model that the threshold is computed from (>= 1)
     * @param anomalyWarmup   scores before the threshold is finite, in [1, anomalyWindow]
     */
    public record Sequence(int stride, double anomalyQuantile, int anomalyWindow, int anomalyWarmup) {
        public Sequence {
            if (stride < 1) {
                throw new IllegalArgumentException("window stride must be >= 1, got " + stride);
            }
            // The quantile's own constructor checks the other three (once, at build time).
            new StreamingQuantile(anomalyQuantile, anomalyWindow, anomalyWarmup);
        }
    }

    private final Settings settings;
    private final ModelSpec spec;
    private final RecordScreen screen;
    private final StreamfitMetrics metrics;
    private final Deserializer<Timestep> decoder = StreamfitSerdes.timestep().deserializer();
    private final long maxWaitNanos;

    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, ModelCheckpoint> store;
    private KeyValueStore<String, byte[]> pendingStore;
    /** Sequence kinds: each object's window, by {@link ObjectWindow#key}; null for the regressor. */
    private KeyValueStore<String, byte[]> windowStore;
    private final boolean sequence;
    private final boolean autoencoder;
    private final float[] denseRow;
    private ObjectBatch batch;
    private LinkedHashMap<String, ModelSlot> live;
    /** Pending timesteps found in the store at start, by model key, until their model is loaded. */
    private final Map<String, List<PendingTimestep>> recovered = new HashMap<>();
    private final java.util.Set<String> published = new java.util.HashSet<>();
    private boolean recoveryDone;
    /** Whether a record reached {@link #process} since the last tick: then the task's fetched input is not drained. */
    private boolean inputSinceTick;

    public LearnProcessor(Settings settings, StreamfitMetrics metrics) {
        this.settings = settings;
        this.spec = settings.spec();
        this.screen = new RecordScreen(TimestepValidator.forSpec(spec, settings.maxObjects()), settings.maxRecordBytes());
        this.metrics = metrics;
        this.maxWaitNanos = Duration.ofMillis(settings.batchMaxWaitMs()).toNanos();
        this.sequence = spec.isSequence();
        this.autoencoder = ModelSpec.KIND_SEQ_AUTOENCODER.equals(spec.kind());
        this.denseRow = new float[spec.features()];
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.store = context.getStateStore(StreamfitTopology.MODEL_STORE);
        this.pendingStore = context.getStateStore(StreamfitTopology.PENDING_STORE);
        this.windowStore = sequence ? context.getStateStore(StreamfitTopology.WINDOW_STORE) : null;
        // A sequence model's object is its window: W rows of m features, flattened.
        this.batch = null; // from the first model: it knows its layout (dense, sparse, windows)
        // After a crash or a migration the stores were restored from their changelogs: start from them.
        this.live = new LinkedHashMap<>(16, 0.75f, true);
        this.recoveryDone = false;
        // Flushing when idle: tick as often as Streams punctuates (about once per pass over the fetched
        // records, at most once per ms), so a tick with no input since the last one means the task has
        // drained what it fetched. Otherwise a quarter of the wait: a partial batch runs at most a quarter late.
        long tick = settings.flushWhenIdle() && settings.batchTimesteps() > 1 ? 1
                : Math.max(1, Math.min(settings.batchMaxWaitMs() / 4, 100));
        context.schedule(Duration.ofMillis(tick), PunctuationType.WALL_CLOCK_TIME, now -> flushDue());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        inputSinceTick = true;
        recoverPending();
        RecordScreen.Outcome screened = screen.screen(sourceTopic(), record.headers(), record.key(), record.value());
        if (screened.rejection() != null) {
            deadLetter(record, screened.rejection());
            return;
        }
        Timestep ts = screened.timestep();
        String series = screened.series();
        if (sequence) {
            Rejection duplicate = duplicateObject(ts);
            if (duplicate != null) {
                deadLetter(record, duplicate);
                return;
            }
        }
        ModelSlot slot = slot(settings.globalScope() ? GLOBAL_KEY : series);
        long last = slot.lastTimestep(series);
        if (ts.timestep() <= last) {
            deadLetter(record, new Rejection(Rejection.TIMESTEP_NOT_INCREASING,
                    "timestep " + ts.timestep() + " of series '" + series + "' is not after " + last));
            return;
        }
        PendingTimestep p = new PendingTimestep(series, ts, record.timestamp(), record.value(), System.nanoTime());
        if (settings.batchTimesteps() > 1) {
            pendingStore.put(pendingKey(slot.key, slot.pending.size()), p.encode());
        }
        slot.pending.add(p);
        slot.lastTimesteps.put(series, ts.timestep());
        if (slot.pending.size() >= settings.batchTimesteps()) {
            flush(slot);
        }
    }

    /**
     * Completes the micro-batches whose oldest timestep has waited long enough, and, with
     * {@code batch.flush.when.idle}, every partial batch once the task has had no input for a tick:
     * waiting longer would add latency without adding timesteps to the batch until the next fetch.
     * Under load the input keeps coming, so batches keep filling up to their size or wait.
     */
    private void flushDue() {
        boolean idle = settings.flushWhenIdle() && !inputSinceTick;
        inputSinceTick = false;
        recoverPending();
        if (!recovered.isEmpty()) {
            for (String key : new ArrayList<>(recovered.keySet())) {
                slot(key);
            }
        }
        long now = System.nanoTime();
        List<ModelSlot> due = new ArrayList<>();
        for (ModelSlot slot : live.values()) {
            if (!slot.pending.isEmpty() && (idle || now - slot.pending.get(0).arrivedNanos() >= maxWaitNanos)) {
                due.add(slot);
            }
        }
        due.forEach(this::flush);
    }

    /** Predicts and trains the pending micro-batch of {@code slot} in one model call. */
    private void flush(ModelSlot slot) {
        if (sequence) {
            flushWindows(slot);
            return;
        }
        List<PendingTimestep> pending = slot.pending;
        if (pending.isEmpty()) {
            return;
        }
        batch = emptyBatch(slot);
        for (PendingTimestep p : pending) {
            BatchAssembler.append(batch, p.timestep());
        }

        long versionBefore = slot.model.version();
        StepResult result = step(slot, batch.anySupervised());
        if (result == null) {
            return;
        }

        for (int t = 0; t < pending.size(); t++) {
            emit(slot, pending.get(t), t, result, versionBefore);
            if (result.updated() && batch.supervised(t)) {
                metrics.recordTrained();
            } else {
                metrics.recordPredictedOnly();
            }
        }
        slot.records += pending.size();
        slot.lastTimestep = pending.get(pending.size() - 1).timestep().timestep();
        checkpoint(slot);
        clearPending(slot);
    }

    /** The reused batch, emptied; every model of this task has one spec, so the first model's layout fits all. */
    private ObjectBatch emptyBatch(ModelSlot slot) {
        if (batch == null) {
            batch = slot.model.newBatch();
        }
        batch.clear();
        return batch;
    }

    /** Sequence kinds: two objects of a record with one id would both append to one window. */
    private static Rejection duplicateObject(Timestep ts) {
        Set<String> ids = new HashSet<>();
        for (Timestep.ObjectInput o : ts.objects()) {
            if (!ids.add(o.id())) {
                return new Rejection(Rejection.DUPLICATE_OBJECT, "object id '" + o.id()
                        + "' occurs twice in timestep " + ts.timestep() + "; a sequence model keeps one window per id");
            }
        }
        return null;
    }

    /**
     * Sequence kinds: appends every object of the pending timesteps to its window, runs the model
     * on the windows that are ready (scores before training), emits, and stores the windows and
     * the checkpoint. A timestep none of whose windows is ready emits nothing.
     */
    private void flushWindows(ModelSlot slot) {
        List<PendingTimestep> pending = slot.pending;
        if (pending.isEmpty()) {
            return;
        }
        int window = spec.sequence().window();
        int m = spec.features();
        int stride = settings.sequence().stride();
        batch = emptyBatch(slot);
        Map<String, ObjectWindow> touched = new LinkedHashMap<>();
        // Per pending timestep: its objects whose window is in the batch, and its batch timestep (-1: none).
        List<List<Timestep.ObjectInput>> rows = new ArrayList<>(pending.size());
        int[] batchTimestep = new int[pending.size()];
        for (int t = 0; t < pending.size(); t++) {
            PendingTimestep p = pending.get(t);
            List<Timestep.ObjectInput> ready = new ArrayList<>();
            batchTimestep[t] = -1;
            for (Timestep.ObjectInput o : p.timestep().objects()) {
                String key = ObjectWindow.key(p.series(), o.id());
                ObjectWindow w = touched.get(key);
                if (w == null) {
                    w = ObjectWindow.decode(windowStore.get(key), window, m);
                    touched.put(key, w);
                }
                w.append(densify(o.features()));
                if (w.ready(stride)) {
                    if (batchTimestep[t] < 0) {
                        batchTimestep[t] = batch.beginTimestep();
                    }
                    boolean hasTarget = o.target() != null;
                    batch.addDense(w.values(), 0, hasTarget, hasTarget ? o.target().floatValue() : 0f);
                    ready.add(o);
                }
            }
            if (batchTimestep[t] >= 0) {
                // The record's sum target is the sum over all its objects: it only fits when all are in the batch.
                if (p.timestep().hasSumTarget() && ready.size() == p.timestep().objects().size()) {
                    batch.setSumTarget((float) p.timestep().sumTarget()[0]);
                }
                batch.endTimestep();
            }
            rows.add(ready);
        }

        long versionBefore = slot.model.version();
        StepResult result = null;
        if (batch.objects() > 0) {
            // The autoencoder's window is its own target: it always trains.
            boolean train = autoencoder || batch.anySupervised();
            result = step(slot, train);
            if (result == null) {
                return;
            }
        }
        for (int t = 0; t < pending.size(); t++) {
            PendingTimestep p = pending.get(t);
            int bt = batchTimestep[t];
            if (bt >= 0) {
                if (autoencoder) {
                    emitScores(slot, p, rows.get(t), batch.firstObject(bt), result.objectPredictions(), versionBefore);
                } else {
                    emitWindowed(slot, p, rows.get(t), bt, result, versionBefore);
                }
            }
            if (bt >= 0 && result.updated() && (autoencoder || batch.supervised(bt))) {
                metrics.recordTrained();
            } else {
                metrics.recordPredictedOnly();
            }
        }
        touched.forEach((key, w) -> windowStore.put(key, w.encode()));
        slot.records += pending.size();
        slot.lastTimestep = pending.get(pending.size() - 1).timestep().timestep();
        checkpoint(slot);
        clearPending(slot);
    }

    /** An object's features as m dense values (a sparse vector's absent entries are zero). */
    private float[] densify(FeatureVector features) {
        if (features instanceof FeatureVector.Dense d) {
            return d.values();
        }
        Arrays.fill(denseRow, 0f);
        if (features instanceof FeatureVector.Sparse s) {
            int[] idx = s.indices();
            float[] val = s.values();
            for (int j = 0; j < idx.length; j++) {
                denseRow[idx[j]] += val[j];
            }
        }
        return denseRow;
    }

    /** seq-autoencoder: one anomaly score per scored window, judged against the model's running threshold. */
    private void emitScores(ModelSlot slot, PendingTimestep p, List<Timestep.ObjectInput> objects, int first,
                            float[] scores, long versionBefore) {
        for (int i = 0; i < objects.size(); i++) {
            double score = scores[first + i];
            double threshold = slot.threshold.threshold();
            boolean anomaly;
            if (Double.isNaN(score)) {
                // A diverged model has no verdict; its NaN must not poison the threshold's window.
                anomaly = false;
            } else {
                anomaly = slot.threshold.observe(score).anomaly();
            }
            AnomalyScore out = AnomalyScore.newBuilder()
                    .setSeries(p.series())
                    .setTimestep(p.timestep().timestep())
                    .setObject(objects.get(i).id())
                    .setScore(score)
                    // +Infinity during the warm-up: JSON has no infinity, and "no threshold yet" is what it means.
                    .setThreshold(Double.isInfinite(threshold) ? null : threshold)
                    .setAnomaly(anomaly)
                    .setModelVersion(versionBefore)
                    .build();
            context.forward(new Record<>((Object) p.series(), (Object) out, p.timestamp()),
                    StreamfitTopology.ANOMALY_SINK);
        }
    }

    /**
     * lstm-regressor: one prediction per object whose window is in the batch and one sum over
     * them; the sum's target is the record's {@code sumTarget} only when every object had a window.
     */
    private void emitWindowed(ModelSlot slot, PendingTimestep p, List<Timestep.ObjectInput> objects, int t,
                              StepResult result, long versionBefore) {
        String series = p.series();
        long timestep = p.timestep().timestep();
        float[] preds = result.objectPredictions();
        int first = batch.firstObject(t);
        double objectSq = 0;
        int scored = 0;
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            float prediction = preds[first + i];
            if (o.target() != null) {
                double e = prediction - o.target();
                objectSq += e * e;
                scored++;
            }
            ObjectPrediction out = ObjectPrediction.newBuilder()
                    .setSeries(series)
                    .setTimestep(timestep)
                    .setObject(o.id())
                    .setPrediction(prediction)
                    .setTarget(o.target())
                    .setModelVersion(versionBefore)
                    .build();
            context.forward(new Record<>((Object) series, (Object) out, p.timestamp()), StreamfitTopology.OBJECT_SINK);
        }
        float sumPrediction = result.sumPredictions()[t];
        boolean sumKnown = batch.sumMask()[t] != 0f;
        Double sumTarget = sumKnown ? (double) batch.sumTarget()[t] : null;
        if (sumKnown && objects.size() == p.timestep().objects().size() && p.timestep().hasSumTarget()) {
            sumTarget = p.timestep().sumTarget()[0];
        }
        double sumSq = sumKnown ? (sumPrediction - sumTarget) * (sumPrediction - sumTarget) : 0;
        SumPrediction sum = SumPrediction.newBuilder()
                .setSeries(series)
                .setTimestep(timestep)
                .setPrediction(sumPrediction)
                .setSumTarget(sumTarget)
                .setObjects(objects.size())
                .setModelVersion(versionBefore)
                .build();
        context.forward(new Record<>((Object) series, (Object) sum, p.timestamp()), StreamfitTopology.SUM_SINK);
        slot.stats.add(objectSq, scored, sumSq, sumKnown);
    }

    /**
     * One model call on {@link #batch}, timed and counted. Returns {@code null} when the call
     * failed: the batch then went to the dead letters and the model back to its checkpoint.
     */
    private StepResult step(ModelSlot slot, boolean train) {
        long t0 = System.nanoTime();
        StepResult result;
        try {
            result = slot.model.step(batch, train);
        } catch (RuntimeException e) {
            failBatch(slot, e);
            return null;
        }
        long elapsed = System.nanoTime() - t0;
        if (result.updated()) {
            metrics.recordUpdate(elapsed);
            if (result.clipped()) {
                // The contract counts clipped updates with the skipped ones: applied, but scaled down.
                metrics.recordSkippedUpdate(StreamfitMetrics.SKIP_CLIPPED);
            }
        } else {
            metrics.recordPredict(elapsed);
            if (result.skipped() != null) {
                // The model left its whole state as it was (the divergence guard): the last good state.
                metrics.recordSkippedUpdate(result.skipped());
                LOG.debug("Model '{}' skipped an update: {} (loss {})", slot.key, result.skipped(), result.loss());
            }
        }
        return result;
    }

    private void emit(ModelSlot slot, PendingTimestep p, int t, StepResult result, long versionBefore) {
        Timestep ts = p.timestep();
        String series = p.series();
        List<Timestep.ObjectInput> objects = ts.objects();
        float[] preds = result.objectPredictions();
        int classes = result.classes();
        int first = batch.firstObject(t);
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            int n = first + i;
            ObjectPrediction.Builder out = ObjectPrediction.newBuilder()
                    .setSeries(series)
                    .setTimestep(ts.timestep())
                    .setObject(o.id())
                    .setPrediction(preds[n])
                    .setModelVersion(versionBefore);
            if (classes > 0) {
                out.setProbabilities(row(result.probabilities(), n, classes))
                        .setPredictedClass(result.predictedClass(n))
                        .setTarget(o.label() == null ? null : (double) o.label());
            } else {
                out.setTarget(o.target());
            }
            context.forward(new Record<>((Object) series, (Object) out.build(), p.timestamp()),
                    StreamfitTopology.OBJECT_SINK);
        }
        Double sumTarget = PrequentialScoring.score(slot.stats, ts, batch, t, result);
        SumPrediction.Builder sum = SumPrediction.newBuilder()
                .setSeries(series)
                .setTimestep(ts.timestep())
                .setPrediction(result.sumPredictions()[t])
                .setSumTarget(sumTarget)
                .setObjects(objects.size())
                .setModelVersion(versionBefore);
        if (classes > 0) {
            sum.setExpectedCounts(row(result.expectedCounts(), t, classes));
        }
        context.forward(new Record<>((Object) series, (Object) sum.build(), p.timestamp()), StreamfitTopology.SUM_SINK);
    }

    /** Row {@code r} of a row-major [*, width] matrix, as the output records take it. */
    private static List<Double> row(float[] matrix, int r, int width) {
        Double[] out = new Double[width];
        for (int c = 0; c < width; c++) {
            out[c] = (double) matrix[r * width + c];
        }
        return Arrays.asList(out);
    }

    /**
     * The model call failed (a bug or a native error, not bad input: that never gets here). The
     * batch's records go to the dead letters, and the model returns to its last checkpoint so that
     * memory and store agree again.
     */
    private void failBatch(ModelSlot slot, RuntimeException e) {
        LOG.error("Model '{}' failed on a micro-batch of {} timesteps; they go to the dead letters and the model "
                + "returns to its last checkpoint", slot.key, slot.pending.size(), e);
        String message = e.getClass().getSimpleName() + ": " + e.getMessage();
        for (PendingTimestep p : slot.pending) {
            Headers headers = DeadLetters.headers(null, Rejection.PROCESSING_ERROR, message, sourceTopic(), "", "");
            metrics.recordDeadLetter();
            context.forward(new Record<Object, Object>(p.series().getBytes(StandardCharsets.UTF_8), p.rawValue(),
                    p.timestamp(), headers), StreamfitTopology.DEAD_LETTER_SINK);
        }
        clearPending(slot);
        live.remove(slot.key);
        slot.close();
        metrics.recordSkippedUpdate(StreamfitMetrics.SKIP_ROLLED_BACK);
    }

    private void clearPending(ModelSlot slot) {
        if (settings.batchTimesteps() > 1 || slot.recoveredPending) {
            for (int i = 0; i < slot.pending.size(); i++) {
                pendingStore.delete(pendingKey(slot.key, i));
            }
            slot.recoveredPending = false;
        }
        slot.pending.clear();
    }

    private void checkpoint(ModelSlot slot) {
        long t0 = System.nanoTime();
        long now = System.currentTimeMillis();
        // A flush empties the buffer, so every timestep in lastTimesteps is in the model now.
        ModelCheckpoint cp = ModelCheckpoints.of(slot.key, spec, slot.model, slot.stats.toMap(),
                slot.lastTimesteps, slot.records, now, slot.threshold);
        store.put(slot.key, cp);
        slot.checkpointBytes = ModelCheckpoints.stateBytes(cp);
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

    /** The live model of {@code key}: from memory, else restored from the store, else new. */
    private ModelSlot slot(String key) {
        ModelSlot slot = live.get(key);
        if (slot != null) {
            return slot;
        }
        ModelCheckpoint cp = store.get(key);
        OnlineModel model = Models.create(spec);
        slot = new ModelSlot(key, model, settings.metricsWindow());
        if (autoencoder) {
            Sequence seq = settings.sequence();
            slot.threshold = new StreamingQuantile(seq.anomalyQuantile(), seq.anomalyWindow(), seq.anomalyWarmup());
        }
        if (cp != null) {
            long t0 = System.nanoTime();
            int stateBytes;
            try {
                stateBytes = ModelCheckpoints.restore(cp, spec, model);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            slot.stats.restore(cp.getMetrics());
            if (slot.threshold != null) {
                ThresholdState.read(cp, slot.threshold);
            }
            slot.lastTimesteps.putAll(cp.getLastTimesteps());
            slot.records = cp.getRecords();
            slot.checkpointBytes = stateBytes;
            slot.checkpointAtMs = cp.getUpdatedAtMs();
            slot.lastTimestep = cp.getLastTimesteps().values().stream().mapToLong(Long::longValue).max()
                    .orElse(Long.MIN_VALUE);
            metrics.recordRestore(System.nanoTime() - t0);
            LOG.debug("Restored model '{}' at version {}", key, model.version());
        }
        List<PendingTimestep> waiting = recovered.remove(key);
        if (waiting != null) {
            for (PendingTimestep p : waiting) {
                slot.pending.add(p);
                slot.lastTimesteps.merge(p.series(), p.timestep().timestep(), Math::max);
            }
            slot.recoveredPending = true;
        }
        live.put(key, slot);
        evictIfNeeded();
        return slot;
    }

    /**
     * Reads the unfinished micro-batches of this task from the pending store, once, before the
     * task's first record or punctuation.
     */
    private void recoverPending() {
        if (recoveryDone) {
            return;
        }
        recoveryDone = true;
        Map<String, TreeMap<Integer, PendingTimestep>> byKey = new HashMap<>();
        List<String> undecodable = new ArrayList<>();
        long now = System.nanoTime();
        try (KeyValueIterator<String, byte[]> it = pendingStore.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                int sep = kv.key.lastIndexOf(PENDING_SEPARATOR);
                PendingTimestep.Stored stored = PendingTimestep.Stored.decode(kv.value);
                try {
                    Timestep ts = decoder.deserialize("", stored.rawValue());
                    byKey.computeIfAbsent(kv.key.substring(0, sep), k -> new TreeMap<>())
                            .put(Integer.parseInt(kv.key.substring(sep + 1)),
                                    new PendingTimestep(stored.series(), ts, stored.timestamp(), stored.rawValue(), now));
                } catch (RuntimeException e) {
                    // It was valid when it was buffered; a different decoder version is the only way here.
                    LOG.warn("Dropping pending timestep {} that no longer decodes: {}", kv.key, e.getMessage());
                    undecodable.add(kv.key);
                }
            }
        }
        undecodable.forEach(pendingStore::delete);
        byKey.forEach((key, entries) -> {
            recovered.put(key, new ArrayList<>(entries.values()));
            LOG.info("Model '{}' resumes a micro-batch of {} pending timesteps", key, entries.size());
        });
    }

    private static String pendingKey(String modelKey, int position) {
        return modelKey + PENDING_SEPARATOR + position;
    }

    private void evictIfNeeded() {
        if (live.size() <= settings.maxLiveModels()) {
            return;
        }
        // The store already holds every evicted model's latest state; memory only caches it.
        Iterator<Map.Entry<String, ModelSlot>> it = live.entrySet().iterator();
        ModelSlot eldest = it.next().getValue();
        flush(eldest);
        live.remove(eldest.key);
        eldest.close();
    }

    private void deadLetter(Record<byte[], byte[]> record, Rejection why) {
        Optional<RecordMetadata> md = context.recordMetadata();
        String topic = Optional.ofNullable(DeadLetters.header(record.headers(), StreamfitTopology.ORIGIN_TOPIC_HEADER))
                .orElse(md.map(RecordMetadata::topic).orElse(""));
        String partition = Optional.ofNullable(DeadLetters.header(record.headers(),
                StreamfitTopology.ORIGIN_PARTITION_HEADER)).orElse(md.map(m -> String.valueOf(m.partition())).orElse(""));
        String offset = Optional.ofNullable(DeadLetters.header(record.headers(), StreamfitTopology.ORIGIN_OFFSET_HEADER))
                .orElse(md.map(m -> String.valueOf(m.offset())).orElse(""));
        Headers headers = DeadLetters.headers(record.headers(), why.reason(), why.message(), topic, partition, offset);
        metrics.recordDeadLetter();
        LOG.debug("Dead letter from {}-{}@{}: {} ({})", topic, partition, offset, why.reason(), why.message());
        context.forward(new Record<Object, Object>(record.key(), record.value(), record.timestamp(), headers),
                StreamfitTopology.DEAD_LETTER_SINK);
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("");
    }

    @Override
    public void close() {
        // Pending timesteps stay in the pending store: the next owner of the task completes them.
        if (live != null) {
            live.values().forEach(ModelSlot::close);
            live.clear();
        }
        recovered.clear();
        published.forEach(metrics::forget);
        published.clear();
    }
}
