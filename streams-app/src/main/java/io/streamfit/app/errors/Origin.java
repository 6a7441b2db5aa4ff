package io.streamfit.app.errors;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import io.streamfit.app.names.Names;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * An input record as it arrived and where it came from: what its dead letter carries, whatever
 * went wrong with it and however late (a rejected record, a failed model call on a buffered
 * timestep, an output that could not be written).
 *
 * <p>The position is the service's own: the record metadata of the task that read the input, or,
 * for a record routed through the one-partition topic of {@code model.scope=global}, the stamp
 * that the route's first processor wrote after removing every incoming {@code streamfit.*} header
 * (see {@link #fromStamps}). Headers that arrived on input under that prefix are never trusted and
 * never kept: a producer could forge them.
 *
 * <p>Immutable but for one flag: whether an output made from this record has already sent it to
 * the dead letters ({@link #claimDeadLetter()}), so that an input with several outputs that cannot
 * be written gets one dead letter. A record processed again (after an aborted transaction) is a
 * new {@code Origin}, so its dead letter is written again in the new transaction.
 */
public final class Origin {

    private final String topic;
    private final int partition;
    private final long offset;
    private final byte[] key;
    private final byte[] value;
    private final Headers headers;
    private final long timestamp;
    private final AtomicBoolean deadLettered = new AtomicBoolean();

    /**
     * @param topic     the input topic, {@code ""} when unknown
     * @param partition the input partition, {@code -1} when unknown
     * @param offset    the input offset, {@code -1} when unknown
     * @param key       the original key bytes, or {@code null}
     * @param value     the original value bytes, or {@code null}
     * @param headers   the original headers without {@code streamfit.*} ones (not copied)
     * @param timestamp the record timestamp, epoch milliseconds
     */
    public Origin(String topic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                  long timestamp) {
        this.topic = topic == null ? "" : topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
        this.headers = headers == null ? new RecordHeaders() : headers;
        this.timestamp = timestamp;
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    /** The original key bytes, or {@code null} (not a copy). */
    public byte[] key() {
        return key;
    }

    /** The original value bytes, or {@code null} (not a copy). */
    public byte[] value() {
        return value;
    }

    /** The original headers, without {@code streamfit.*} ones. */
    public Headers headers() {
        return headers;
    }

    public long timestamp() {
        return timestamp;
    }

    /** True the first time it is called: the caller writes this record's dead letter for its outputs. */
    public boolean claimDeadLetter() {
        return deadLettered.compareAndSet(false, true);
    }

    /** An input record at a known position; {@code headers} are copied without {@code streamfit.*} ones. */
    public static Origin of(String topic, int partition, long offset, byte[] key, byte[] value,
                            Iterable<Header> headers, long timestamp) {
        return new Origin(topic, partition, offset, key, value, external(headers), timestamp);
    }

    /**
     * A record read from the route topic of {@code model.scope=global}: its original position is the
     * stamp ({@link Names#ORIGIN_TOPIC_HEADER} ...) that streamfit wrote before routing it; without a
     * readable stamp, the position it was read at ({@code topic}, {@code partition}, {@code offset}).
     */
    public static Origin fromStamps(String topic, int partition, long offset, byte[] key, byte[] value,
                                    Headers headers, long timestamp) {
        String stampedTopic = text(headers, Names.ORIGIN_TOPIC_HEADER);
        Integer stampedPartition = number(headers, Names.ORIGIN_PARTITION_HEADER, Integer::valueOf);
        Long stampedOffset = number(headers, Names.ORIGIN_OFFSET_HEADER, Long::valueOf);
        if (stampedTopic == null || stampedPartition == null || stampedOffset == null) {
            return of(topic, partition, offset, key, value, headers, timestamp);
        }
        return of(stampedTopic, stampedPartition, stampedOffset, key, value, headers, timestamp);
    }

    /**
     * The record an exception handler was called for. When it was read from {@code routeTopic}
     * (streamfit's own route of {@code model.scope=global}), its stamp names the original position.
     *
     * @param routeTopic the route topic's name, or {@code null} when there is none
     */
    public static Origin ofHandlerContext(ErrorHandlerContext context, String routeTopic) {
        Headers headers = context.headers();
        if (routeTopic != null && routeTopic.equals(context.topic())) {
            return fromStamps(context.topic(), context.partition(), context.offset(), context.sourceRawKey(),
                    context.sourceRawValue(), headers, context.timestamp());
        }
        return of(context.topic(), context.partition(), context.offset(), context.sourceRawKey(),
                context.sourceRawValue(), headers, context.timestamp());
    }

    /** A copy of {@code headers} without the ones under {@link Names#INTERNAL_HEADER_PREFIX}. */
    public static Headers external(Iterable<Header> headers) {
        RecordHeaders out = new RecordHeaders();
        if (headers != null) {
            for (Header h : headers) {
                if (!isInternal(h.key())) {
                    out.add(h);
                }
            }
        }
        return out;
    }

    /** Whether {@code headerKey} is one of streamfit's own headers. */
    public static boolean isInternal(String headerKey) {
        return headerKey != null && headerKey.startsWith(Names.INTERNAL_HEADER_PREFIX);
    }

    /** {@link #partition()} as a dead letter's {@code error.partition}: decimal, or empty when unknown. */
    public String partitionText() {
        return partition < 0 ? "" : String.valueOf(partition);
    }

    /** {@link #offset()} as a dead letter's {@code error.offset}: decimal, or empty when unknown. */
    public String offsetText() {
        return offset < 0 ? "" : String.valueOf(offset);
    }

    /** Where it came from, for logs: never the key, value or headers. */
    public String position() {
        return (topic.isEmpty() ? "?" : topic) + "-" + (partition < 0 ? "?" : partition) + "@"
                + (offset < 0 ? "?" : offset);
    }

    @Override
    public String toString() {
        // Never the key, value or headers: they are data, not for logs.
        return "Origin[" + position() + "]";
    }

    private static String text(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static <T> T number(Headers headers, String name, java.util.function.Function<String, T> parse) {
        String s = text(headers, name);
        if (s == null) {
            return null;
        }
        try {
            return parse.apply(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
