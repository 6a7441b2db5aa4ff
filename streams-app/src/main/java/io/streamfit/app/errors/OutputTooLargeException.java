package io.streamfit.app.errors;

/**
 * An output record would be larger than its topic takes ({@link OutputLimits}). Thrown by the
 * sinks' serializers, so that Kafka Streams hands it to the production exception handler while the
 * output's task is still running, before the producer (and, with exactly-once, the transaction)
 * ever sees the record.
 */
public final class OutputTooLargeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final long bytes;
    private final int limit;

    public OutputTooLargeException(String topic, long bytes, int limit) {
        super("a record of up to " + bytes + " bytes for topic '" + topic + "' does not fit its limit of " + limit
                + " bytes (the topic's max.message.bytes, or the producer's max.request.size or buffer.memory)");
        this.topic = topic;
        this.bytes = bytes;
        this.limit = limit;
    }

    public String topic() {
        return topic;
    }

    /** The record's size as {@link OutputLimits#recordBytes} counts it (an upper bound). */
    public long bytes() {
        return bytes;
    }

    public int limit() {
        return limit;
    }
}
