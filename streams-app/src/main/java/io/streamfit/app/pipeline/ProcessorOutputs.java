package io.streamfit.app.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.streamfit.app.errors.DeadLetters;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learning processor's outputs: each typed record to its sink, and the record counters. Dead
 * letters go through here too, so every output of the task leaves by one door.
 */
final class ProcessorOutputs implements Outputs {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorOutputs.class);

    private final ProcessorContext<byte[], Output> context;
    private final StreamfitMetrics metrics;

    ProcessorOutputs(ProcessorContext<byte[], Output> context, StreamfitMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
    }

    @Override
    public void objectPrediction(String series, ObjectPrediction prediction, long timestamp) {
        context.forward(new Record<>(key(series), new Output.ObjectOut(prediction), timestamp), Names.OBJECT_SINK);
    }

    @Override
    public void sumPrediction(String series, SumPrediction prediction, long timestamp) {
        context.forward(new Record<>(key(series), new Output.SumOut(prediction), timestamp), Names.SUM_SINK);
    }

    @Override
    public void anomalyScore(String series, AnomalyScore score, long timestamp) {
        context.forward(new Record<>(key(series), new Output.AnomalyOut(score), timestamp), Names.ANOMALY_SINK);
    }

    @Override
    public void skippedUpdate(String reason) {
        metrics.recordSkippedUpdate(reason);
    }

    @Override
    public void outcome(boolean trained) {
        if (trained) {
            metrics.recordTrained();
        } else {
            metrics.recordPredictedOnly();
        }
    }

    /**
     * An input record that cannot be used, as it came, with the reason and where it came from
     * (its original position when it was routed through the global topic).
     */
    void reject(Record<byte[], byte[]> record, Rejection why) {
        Optional<RecordMetadata> md = context.recordMetadata();
        String topic = Optional.ofNullable(DeadLetters.header(record.headers(), Names.ORIGIN_TOPIC_HEADER))
                .orElse(md.map(RecordMetadata::topic).orElse(""));
        String partition = Optional.ofNullable(DeadLetters.header(record.headers(), Names.ORIGIN_PARTITION_HEADER))
                .orElse(md.map(m -> String.valueOf(m.partition())).orElse(""));
        String offset = Optional.ofNullable(DeadLetters.header(record.headers(), Names.ORIGIN_OFFSET_HEADER))
                .orElse(md.map(m -> String.valueOf(m.offset())).orElse(""));
        Headers headers = DeadLetters.headers(record.headers(), why.reason(), why.message(), topic, partition, offset);
        LOG.debug("Dead letter from {}-{}@{}: {} ({})", topic, partition, offset, why.reason(), why.message());
        deadLetter(record.key(), record.value(), record.timestamp(), headers);
    }

    /** A buffered timestep whose model call failed: its original bytes, keyed by its series. */
    void failed(PendingTimestep p, String message) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        Headers headers = DeadLetters.headers(null, Rejection.PROCESSING_ERROR, message, topic, "", "");
        deadLetter(key(p.series()), p.rawValue(), p.timestamp(), headers);
    }

    private void deadLetter(byte[] key, byte[] value, long timestamp, Headers headers) {
        metrics.recordDeadLetter();
        context.forward(new Record<>(key, new Output.DeadLetterOut(value), timestamp, headers), Names.DEAD_LETTER_SINK);
    }

    private static byte[] key(String series) {
        return series.getBytes(StandardCharsets.UTF_8);
    }
}
