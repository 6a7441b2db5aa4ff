package io.streamfit.app.errors;

import java.util.List;
import java.util.Map;

import io.streamfit.app.metrics.StreamfitMetrics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * What streamfit's exception handlers share: where dead letters go and how they look. Bad input
 * never reaches them (the processor reads raw bytes and dead-letters it itself); they catch what
 * slips past: a record that fails in a serializer or in a processor for a reason nobody foresaw.
 * Such a record goes to the dead-letter topic with its original bytes and processing resumes.
 */
public final class DeadLetterHandlers {

    /** Config key (set by streamfit in the Streams properties) naming the dead-letter topic. */
    static final String TOPIC_CONFIG = io.streamfit.app.config.KafkaProperties.DEAD_LETTERS_TOPIC_FOR_HANDLERS;
    /** Config key holding the {@link StreamfitMetrics} instance, when there is one. */
    public static final String METRICS_CONFIG = "streamfit.metrics";

    private DeadLetterHandlers() {
    }

    static String topic(Map<String, ?> configs) {
        Object topic = configs.get(TOPIC_CONFIG);
        if (topic == null || topic.toString().isBlank()) {
            throw new IllegalArgumentException(TOPIC_CONFIG + " is not set: streamfit's exception handlers need "
                    + "the dead-letter topic");
        }
        return topic.toString();
    }

    static StreamfitMetrics metrics(Map<String, ?> configs) {
        return configs.get(METRICS_CONFIG) instanceof StreamfitMetrics m ? m : null;
    }

    /** The dead letter of the record that {@code context} describes: the source record's raw bytes. */
    static List<ProducerRecord<byte[], byte[]>> deadLetter(String topic, ErrorHandlerContext context, String reason,
                                                            Exception error, StreamfitMetrics metrics) {
        Headers headers = DeadLetters.headers(context.headers(), reason, describe(error), context.topic(),
                String.valueOf(context.partition()), String.valueOf(context.offset()));
        if (metrics != null) {
            metrics.recordDeadLetter();
        }
        return List.of(new ProducerRecord<>(topic, null, context.sourceRawKey(), context.sourceRawValue(), headers));
    }

    /** Class and message, without the stack: the message must not leak more than the error says. */
    static String describe(Exception error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }
}
