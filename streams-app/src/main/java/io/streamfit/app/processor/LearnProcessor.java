package io.streamfit.app.processor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-then-train for one task: decodes and validates each input record (bad ones go to the
 * dead-letter sink with the reason), predicts every object with the model of the record's model
 * key, emits one object prediction per object and one sum prediction, then trains when the record
 * has targets, and writes the model's checkpoint to the state store.
 *
 * <p>The checkpoint is written for every record that changed the model's state, so that with
 * exactly-once the committed store, the outputs and the input offsets always describe the same
 * records; the store's cache keeps only the latest checkpoint per key until the commit.
 *
 * <p>Models live in memory (at most {@code maxLiveModels} per task, least recently used evicted
 * and reloaded from the store on demand) and are closed with the task.
 */
public final class LearnProcessor implements Processor<byte[], byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(LearnProcessor.class);

    /** Model key of {@code model.scope=global}. */
    public static final String GLOBAL_KEY = "global";

    static final int CHECKPOINT_FORMAT = 1;

    private final ModelSpec spec;
    private final boolean globalScope;
    private final TimestepValidator validator;
    private final int metricsWindow;
    private final int maxLiveModels;
    private final StreamfitMetrics metrics;
    private final Deserializer<Timestep> decoder = StreamfitSerdes.timestep().deserializer();

    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, ModelCheckpoint> store;
    private ObjectBatch batch;
    private LinkedHashMap<String, ModelSlot> live;
    private final java.util.Set<String> published = new java.util.HashSet<>();

    /**
     * @param spec          the model every key gets
     * @param globalScope   one model for all series instead of one per series
     * @param maxObjects    the most objects a record may have
     * @param metricsWindow prequential window in timesteps
     * @param maxLiveModels models kept in memory per task
     * @param metrics       where meters and model snapshots go
     */
    public LearnProcessor(ModelSpec spec, boolean globalScope, int maxObjects, int metricsWindow, int maxLiveModels,
                          StreamfitMetrics metrics) {
        this.spec = spec;
        this.globalScope = globalScope;
        this.validator = new TimestepValidator(spec.features(), maxObjects);
        this.metricsWindow = metricsWindow;
        this.maxLiveModels = maxLiveModels;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.store = context.getStateStore(StreamfitTopology.MODEL_STORE);
        this.batch = new ObjectBatch(spec.features());
        // After a crash or a migration the store was restored from the changelog: start from it.
        this.live = new LinkedHashMap<>(16, 0.75f, true);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (record.value() == null) {
            deadLetter(record, new Rejection(Rejection.NULL_VALUE, "record value is null (a tombstone)"));
            return;
        }
        Timestep ts;
        try {
            ts = decoder.deserialize(sourceTopic(), record.headers(), record.value());
        } catch (InvalidRecordException e) {
            deadLetter(record, new Rejection(e.reason(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            deadLetter(record, new Rejection(Rejection.UNPARSABLE, String.valueOf(e.getMessage())));
            return;
        }
        String series = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8) : ts.series();
        if (series == null || series.isEmpty()) {
            deadLetter(record, new Rejection(Rejection.MISSING_SERIES, "neither the record key nor 'series' is set"));
            return;
        }
        Rejection invalid = validator.check(ts);
        if (invalid != null) {
            deadLetter(record, invalid);
            return;
        }
        ModelSlot slot = slot(globalScope ? GLOBAL_KEY : series);
        long last = slot.lastTimestep(series);
        if (ts.timestep() <= last) {
            deadLetter(record, new Rejection(Rejection.TIMESTEP_NOT_INCREASING,
                    "timestep " + ts.timestep() + " of series '" + series + "' is not after " + last));
            return;
        }
        learn(slot, series, ts, record.timestamp());
    }

    private void learn(ModelSlot slot, String series, Timestep ts, long timestamp) {
        List<Timestep.ObjectInput> objects = ts.objects();
        batch.clear();
        batch.beginTimestep();
        for (Timestep.ObjectInput o : objects) {
            boolean hasTarget = o.target() != null;
            float target = hasTarget ? o.target().floatValue() : 0f;
            if (o.features() instanceof FeatureVector.Dense d) {
                batch.addDense(d.values(), 0, hasTarget, target);
            } else if (o.features() instanceof FeatureVector.Sparse s) {
                batch.addSparse(s.indices(), s.values(), hasTarget, target);
            }
        }
        if (ts.hasSumTarget()) {
            batch.setSumTarget((float) ts.sumTarget()[0]);
        }
        batch.endTimestep();

        boolean train = batch.anySupervised();
        long versionBefore = slot.model.version();
        long t0 = System.nanoTime();
        StepResult result = slot.model.step(batch, train);
        long elapsed = System.nanoTime() - t0;
        if (result.updated()) {
            metrics.recordUpdate(elapsed);
            metrics.recordTrained();
        } else {
            metrics.recordPredict(elapsed);
            metrics.recordPredictedOnly();
            if (train) {
                metrics.recordSkippedUpdate("not_applied");
            }
        }

        float[] preds = result.objectPredictions();
        double objectSq = 0;
        int scored = 0;
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            Double target = o.target();
            if (target != null) {
                double e = preds[i] - target;
                objectSq += e * e;
                scored++;
            }
            ObjectPrediction out = ObjectPrediction.newBuilder()
                    .setSeries(series)
                    .setTimestep(ts.timestep())
                    .setObject(o.id())
                    .setPrediction(preds[i])
                    .setTarget(target)
                    .setModelVersion(versionBefore)
                    .build();
            context.forward(new Record<>((Object) series, (Object) out, timestamp), StreamfitTopology.OBJECT_SINK);
        }
        float sumPrediction = result.sumPredictions()[0];
        boolean sumKnown = batch.sumMask()[0] != 0f;
        Double sumTarget = sumKnown ? (ts.hasSumTarget() ? ts.sumTarget()[0] : (double) batch.sumTarget()[0]) : null;
        double sumSq = sumKnown ? (sumPrediction - sumTarget) * (sumPrediction - sumTarget) : 0;
        SumPrediction sum = SumPrediction.newBuilder()
                .setSeries(series)
                .setTimestep(ts.timestep())
                .setPrediction(sumPrediction)
                .setSumTarget(sumTarget)
                .setObjects(objects.size())
                .setModelVersion(versionBefore)
                .build();
        context.forward(new Record<>((Object) series, (Object) sum, timestamp), StreamfitTopology.SUM_SINK);

        slot.stats.add(objectSq, scored, sumSq, sumKnown);
        slot.lastTimesteps.put(series, ts.timestep());
        slot.lastTimestep = ts.timestep();
        slot.records++;
        checkpoint(slot);
    }

    private void checkpoint(ModelSlot slot) {
        long t0 = System.nanoTime();
        byte[] state = slot.model.exportState();
        long now = System.currentTimeMillis();
        ModelCheckpoint cp = ModelCheckpoint.newBuilder()
                .setFormatVersion(CHECKPOINT_FORMAT)
                .setModelKey(slot.key)
                .setSpecFingerprint(spec.fingerprint())
                .setModelVersion(slot.model.version())
                .setModelState(ByteBuffer.wrap(state))
                .setMetrics(slot.stats.toMap())
                .setLastTimesteps(Map.copyOf(slot.lastTimesteps))
                .setRecords(slot.records)
                .setUpdatedAtMs(now)
                .build();
        store.put(slot.key, cp);
        slot.checkpointBytes = state.length;
        slot.checkpointAtMs = now;
        metrics.recordCheckpoint(System.nanoTime() - t0, state.length);
        publish(slot);
    }

    private void publish(ModelSlot slot) {
        published.add(slot.key);
        metrics.publish(new ModelInfo(slot.key, spec.fingerprint(), slot.model.version(), slot.records,
                slot.stats.objectMse(), slot.stats.sumMse(), slot.stats.runningObjectMse(), slot.stats.runningSumMse(),
                slot.checkpointBytes, slot.checkpointAtMs, slot.lastTimestep));
    }

    /** The live model of {@code key}: from memory, else restored from the store, else new. */
    private ModelSlot slot(String key) {
        ModelSlot slot = live.get(key);
        if (slot != null) {
            return slot;
        }
        ModelCheckpoint cp = store.get(key);
        OnlineModel model = Models.create(spec);
        slot = new ModelSlot(key, model, metricsWindow);
        if (cp != null) {
            if (!spec.fingerprint().equals(cp.getSpecFingerprint())) {
                model.close();
                throw new StreamsException("The checkpoint of model '" + key + "' was trained as "
                        + cp.getSpecFingerprint() + " but the configuration now says " + spec.fingerprint()
                        + ". Use a new application.id for a different model, or reset the application.");
            }
            long t0 = System.nanoTime();
            ByteBuffer buf = cp.getModelState().duplicate();
            byte[] state = new byte[buf.remaining()];
            buf.get(state);
            model.importState(state);
            slot.stats.restore(cp.getMetrics());
            slot.lastTimesteps.putAll(cp.getLastTimesteps());
            slot.records = cp.getRecords();
            slot.checkpointBytes = state.length;
            slot.checkpointAtMs = cp.getUpdatedAtMs();
            metrics.recordRestore(System.nanoTime() - t0);
            LOG.debug("Restored model '{}' at version {}", key, model.version());
        }
        live.put(key, slot);
        evictIfNeeded();
        return slot;
    }

    private void evictIfNeeded() {
        if (live.size() <= maxLiveModels) {
            return;
        }
        // The store already holds every evicted model's latest state; memory only caches it.
        Iterator<Map.Entry<String, ModelSlot>> it = live.entrySet().iterator();
        Map.Entry<String, ModelSlot> eldest = it.next();
        it.remove();
        eldest.getValue().close();
    }

    private void deadLetter(Record<byte[], byte[]> record, Rejection why) {
        Headers headers = new RecordHeaders();
        for (Header h : record.headers()) {
            // The routing stamps of model.scope=global become the error.* headers below.
            if (!h.key().startsWith(StreamfitTopology.ORIGIN_HEADER_PREFIX)) {
                headers.add(h);
            }
        }
        Optional<RecordMetadata> md = context.recordMetadata();
        String topic = header(record.headers(), StreamfitTopology.ORIGIN_TOPIC_HEADER)
                .orElse(md.map(RecordMetadata::topic).orElse(""));
        String partition = header(record.headers(), StreamfitTopology.ORIGIN_PARTITION_HEADER)
                .orElse(md.map(m -> String.valueOf(m.partition())).orElse(""));
        String offset = header(record.headers(), StreamfitTopology.ORIGIN_OFFSET_HEADER)
                .orElse(md.map(m -> String.valueOf(m.offset())).orElse(""));
        headers.add("error.reason", why.reason().getBytes(StandardCharsets.UTF_8));
        headers.add("error.message", why.message().getBytes(StandardCharsets.UTF_8));
        headers.add("error.topic", topic.getBytes(StandardCharsets.UTF_8));
        headers.add("error.partition", partition.getBytes(StandardCharsets.UTF_8));
        headers.add("error.offset", offset.getBytes(StandardCharsets.UTF_8));
        metrics.recordDeadLetter();
        LOG.debug("Dead letter from {}-{}@{}: {} ({})", topic, partition, offset, why.reason(), why.message());
        context.forward(new Record<Object, Object>(record.key(), record.value(), record.timestamp(), headers),
                StreamfitTopology.DEAD_LETTER_SINK);
    }

    private static Optional<String> header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null ? Optional.empty() : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("");
    }

    @Override
    public void close() {
        if (live != null) {
            live.values().forEach(ModelSlot::close);
            live.clear();
        }
        published.forEach(metrics::forget);
        published.clear();
    }
}
