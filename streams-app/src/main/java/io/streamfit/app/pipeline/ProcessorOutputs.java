package io.streamfit.app.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.errors.DeadLetters;
import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.ObjectLayout;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learning processor's outputs: each typed record to its sink, and the record counters. Dead
 * letters go through here too, so every output of the task leaves by one door.
 *
 * <p>Every dead letter carries its input record whole: key, value and headers as they arrived
 * (without {@code streamfit.*} headers), and the position the service itself read it at
 * ({@link #origin}).
 *
 * <p>With {@link ObjectLayout#PER_TIMESTEP} the object predictions of one timestep gather here and
 * leave as one record when the kind moves on: to the timestep's sum or anomaly score, to another
 * timestep, or to the end of the timestep or of the batch. The kinds emit the same either way.
 */
final class ProcessorOutputs implements Outputs {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorOutputs.class);
    private static final Output.Origins NO_BATCH = (series, timestep) -> unknown(series);

    private final ProcessorContext<byte[], Output> context;
    private final StreamfitMetrics metrics;
    private final boolean routed;
    private final boolean perTimestep;
    /** Per timestep: the objects of the timestep being emitted, and what they share. */
    private final List<PredictedObject> objects = new ArrayList<>();
    private String objectsSeries;
    private long objectsTimestep;
    private long objectsVersion;
    private long objectsTimestamp;
    /** The inputs of the micro-batch whose outputs are being emitted. */
    private Output.Origins origins = NO_BATCH;
    /** The generation of the model whose outputs are being emitted. */
    private int generation;
    /** The variant whose outputs are being emitted. */
    private String variant = io.streamfit.app.config.Challengers.CHAMPION;

    /**
     * @param routed whether the processor reads the route topic of {@code model.scope=global}, whose
     *               records carry the stamp of their original position
     */
    ProcessorOutputs(ProcessorContext<byte[], Output> context, StreamfitMetrics metrics, boolean routed) {
        this(context, metrics, routed, ObjectLayout.PER_OBJECT);
    }

    /**
     * @param layout how object predictions leave ({@code output.objects})
     */
    ProcessorOutputs(ProcessorContext<byte[], Output> context, StreamfitMetrics metrics, boolean routed,
                     ObjectLayout layout) {
        this.context = context;
        this.metrics = metrics;
        this.routed = routed;
        this.perTimestep = layout == ObjectLayout.PER_TIMESTEP;
    }

    @Override
    public void objectPrediction(String series, ObjectPrediction prediction, long timestamp) {
        if (perTimestep) {
            gather(series, prediction, timestamp);
            return;
        }
        byte[] key = key(series);
        prediction.setGeneration(generation);
        prediction.setVariant(variant);
        context.forward(new Record<>(key, new Output.ObjectOut(prediction, key.length, origins), timestamp),
                Names.OBJECT_SINK);
    }

    /** Per timestep: one more object of the timestep being emitted; another timestep sends the one before. */
    private void gather(String series, ObjectPrediction p, long timestamp) {
        if (!objects.isEmpty() && (p.getTimestep() != objectsTimestep || p.getModelVersion() != objectsVersion
                || !series.equals(objectsSeries))) {
            sendObjects();
        }
        if (objects.isEmpty()) {
            objectsSeries = series;
            objectsTimestep = p.getTimestep();
            objectsVersion = p.getModelVersion();
            objectsTimestamp = timestamp;
        }
        objects.add(new PredictedObject(p.getObject(), p.getPrediction(), p.getTarget(), p.getProbabilities(),
                p.getPredictedClass()));
    }

    /** Per timestep: the gathered objects, as one record (none when nothing was gathered). */
    private void sendObjects() {
        if (objects.isEmpty()) {
            return;
        }
        TimestepPredictions record = new TimestepPredictions(objectsSeries, objectsTimestep, objectsVersion,
                variant, generation, new ArrayList<>(objects));
        objects.clear();
        byte[] key = key(objectsSeries);
        context.forward(new Record<>(key, new Output.TimestepObjectsOut(record, key.length, origins),
                objectsTimestamp), Names.OBJECT_SINK);
    }

    @Override
    public void sumPrediction(String series, SumPrediction prediction, long timestamp) {
        sendObjects();
        byte[] key = key(series);
        prediction.setGeneration(generation);
        prediction.setVariant(variant);
        Double target = prediction.getSumTarget();
        metrics.recentPredictions().record(series, prediction.getTimestep(), prediction.getPrediction(),
                target == null ? Double.NaN : target, prediction.getModelVersion(), variant, System.currentTimeMillis());
        context.forward(new Record<>(key, new Output.SumOut(prediction, key.length, origins), timestamp),
                Names.SUM_SINK);
    }

    @Override
    public void anomalyScore(String series, AnomalyScore score, long timestamp) {
        sendObjects();
        byte[] key = key(series);
        score.setGeneration(generation);
        score.setVariant(variant);
        context.forward(new Record<>(key, new Output.AnomalyOut(score, key.length, origins), timestamp),
                Names.ANOMALY_SINK);
    }

    /** A lifecycle change of model {@code key}, to {@code model-events}. */
    void modelEvent(String key, ModelEvent event, Origin origin, long timestamp) {
        byte[] k = key(key);
        metrics.recordModelEvent(event.getEvent());
        context.forward(new Record<>(k, new Output.EventOut(event, k.length, origin), timestamp), Names.EVENTS_SINK);
    }

    @Override
    public void skippedUpdate(String reason) {
        metrics.recordSkippedUpdate(reason);
    }

    @Override
    public void outcome(boolean trained) {
        sendObjects();
        if (trained) {
            metrics.recordTrained();
        } else {
            metrics.recordPredictedOnly();
        }
    }

    /**
     * The input record being processed, as its dead letter would carry it. Its position is the
     * task's record metadata; for a routed record, the stamp the route's first processor wrote
     * (it removes any {@code streamfit.*} header that came with the input, so only streamfit's
     * own stamp is there). Headers that arrived under {@code streamfit.} are left out.
     */
    Origin origin(Record<byte[], byte[]> record) {
        RecordMetadata md = context.recordMetadata().orElse(null);
        String topic = md == null ? "" : md.topic();
        int partition = md == null ? -1 : md.partition();
        long offset = md == null ? -1L : md.offset();
        if (routed) {
            return Origin.fromStamps(topic, partition, offset, record.key(), record.value(), record.headers(),
                    record.timestamp());
        }
        return Origin.of(topic, partition, offset, record.key(), record.value(), record.headers(),
                record.timestamp());
    }

    /** An input record that cannot be used, as it came, with the reason and where it came from. */
    void reject(Origin origin, Rejection why) {
        LOG.debug("Dead letter from {}: {} ({})", origin.position(), why.reason(), why.message());
        deadLetter(origin, origin.key(), why.reason(), DeadLetters.headers(origin, why.reason(), why.message()));
    }

    /** A buffered timestep whose model call failed: the input record as it came, and where from. */
    void failed(PendingTimestep p, String message) {
        Origin origin = p.origin();
        deadLetter(origin, origin.key(), Rejection.PROCESSING_ERROR,
                DeadLetters.headers(origin, Rejection.PROCESSING_ERROR, message));
    }

    /**
     * The outputs that follow come from {@code items}, predicted by variant {@code variant} of
     * generation {@code generation}, until {@link #batchDone()}.
     */
    void batch(List<PendingTimestep> items, int generation, String variant) {
        this.generation = generation;
        this.variant = variant;
        origins = (series, timestep) -> {
            for (PendingTimestep p : items) {
                if (p.timestep().timestep() == timestep && p.series().equals(series)) {
                    return p.origin();
                }
            }
            return unknown(series);
        };
    }

    void batchDone() {
        sendObjects();
        origins = NO_BATCH;
    }

    private void deadLetter(Origin origin, byte[] key, String reason, Headers headers) {
        metrics.recordDeadLetter(reason);
        int keyBytes = key == null ? 0 : key.length;
        context.forward(new Record<>(key, new Output.DeadLetterOut(origin.value(), keyBytes, origin),
                origin.timestamp(), headers), Names.DEAD_LETTER_SINK);
    }

    /** An output whose input is not among the batch's (no kind emits one; the series is all we know). */
    private static Origin unknown(String series) {
        return new Origin("", -1, -1L, key(series), null, new RecordHeaders(), -1L);
    }

    private static byte[] key(String series) {
        return series.getBytes(StandardCharsets.UTF_8);
    }
}
