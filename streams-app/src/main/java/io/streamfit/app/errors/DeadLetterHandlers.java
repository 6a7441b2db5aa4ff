package io.streamfit.app.errors;

import java.util.List;
import java.util.Map;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * What streamfit's exception handlers share: where dead letters go and how they look. Bad input
 * never reaches them (the processor reads raw bytes and dead-letters it itself); they catch what
 * slips past: a record that fails in a serializer, in a processor for a reason nobody foresaw, or
 * whose outputs cannot be written. Such a record goes to the dead-letter topic with its original
 * bytes and processing resumes.
 */
public final class DeadLetterHandlers {

    /** Config key (set by streamfit in the Streams properties) naming the dead-letter topic. */
    public static final String TOPIC_CONFIG = "streamfit.dead.letters.topic";
    /** Config key holding the {@link StreamfitMetrics} instance, when there is one. */
    public static final String METRICS_CONFIG = "streamfit.metrics";
    /** Config key holding the {@link OutputLimits} the sinks check, when there are some. */
    public static final String LIMITS_CONFIG = "streamfit.output.limits";

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

    /**
     * The limits the sinks check; without them (a topology run on its own, as in a benchmark),
     * Kafka's default {@code max.message.bytes} for every topic, so that a dead letter is only ever
     * made smaller than it could be, never too large.
     */
    static OutputLimits limits(Map<String, ?> configs) {
        return configs.get(LIMITS_CONFIG) instanceof OutputLimits l ? l
                : new OutputLimits(OutputLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
                        OutputLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** The route topic of {@code model.scope=global}, whose records name their origin in a stamp. */
    static String routeTopic(Map<String, ?> configs) {
        Object app = configs.get(StreamsConfig.APPLICATION_ID_CONFIG);
        return app == null ? null : Names.globalRouteTopic(app.toString());
    }

    /**
     * The dead letter of the record that {@code context} describes: its raw bytes and headers, at
     * its original position, with a stub for a value too large for the dead-letter topic.
     */
    static List<ProducerRecord<byte[], byte[]>> deadLetter(String topic, OutputLimits limits, String routeTopic,
                                                            ErrorHandlerContext context, String reason,
                                                            Exception error, StreamfitMetrics metrics) {
        return deadLetter(topic, limits, Origin.ofHandlerContext(context, routeTopic), reason, describe(error),
                metrics);
    }

    /** The dead letter of {@code origin}, counted; none when not even a stub of it fits. */
    static List<ProducerRecord<byte[], byte[]>> deadLetter(String topic, OutputLimits limits, Origin origin,
                                                            String reason, String message,
                                                            StreamfitMetrics metrics) {
        ProducerRecord<byte[], byte[]> letter = DeadLetters.of(topic, limits, origin, reason, message);
        if (letter == null) {
            return List.of();
        }
        if (metrics != null) {
            metrics.recordDeadLetter(reason);
        }
        return List.of(letter);
    }

    /** Class and message, without the stack: the message must not leak more than the error says. */
    static String describe(Throwable error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }
}
