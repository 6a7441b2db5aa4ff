package io.streamfit.app.errors;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The largest record, in bytes, that each topic streamfit writes to takes: what the broker accepts
 * ({@code max.message.bytes} of the topic) and the producer sends ({@code max.request.size},
 * {@code buffer.memory}). The sinks check every output against it before the producer sees it, so
 * an output that would not fit fails while it is serialized, inside the task that made it, where
 * the production exception handler can still dead-letter its input and the transaction stays
 * good ({@link DeadLetterProductionHandler}).
 *
 * <p>A limit is what streamfit set when it created the topic, what it read from the broker, or,
 * for a topic it could not describe, an assumption. When the broker refuses a record the check
 * let through (a topic whose limit was lowered later), {@link #rejected} lowers the limit below
 * that record, so the same output is caught by the check when its input is processed again.
 * Limits only fall: every refusal makes progress, and no input can fail the same way twice.
 *
 * <p>Thread-safe: shared by the sinks of every stream thread and by the exception handlers.
 */
public final class OutputLimits {

    /** Kafka's default {@code max.message.bytes} (1 MiB plus the record batch overhead of old formats). */
    public static final int KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
    /** Allowance over the payload sizes for keys, headers (the input's and the {@code error.*} ones) and ids. */
    public static final int HEADROOM_BYTES = 1024 * 1024;
    /** JSON bytes per class in a classifier output (a probability or expected count and a comma, generously). */
    public static final int BYTES_PER_CLASS = 32;

    /*
     * Upper bound of what Kafka's record format v2 adds around one record in its own batch: the
     * batch header (61 bytes) and the record's varints (length, attributes, timestamp and offset
     * deltas, key and value lengths, header count; 36 bytes at most), rounded up; and per header,
     * its two length varints.
     */
    static final int RECORD_OVERHEAD = 128;
    static final int HEADER_OVERHEAD = 10;

    private final int assumed;
    private final int ceiling;
    private final Map<String, Integer> known = new ConcurrentHashMap<>();
    private final AtomicLong lowerings = new AtomicLong();

    /**
     * @param assumed the limit of a topic whose own limit is not known (>= 1)
     * @param ceiling the largest record the producer sends ({@code max.request.size} and
     *                {@code buffer.memory}, whichever is smaller); no limit exceeds it
     */
    public OutputLimits(int assumed, int ceiling) {
        if (assumed < 1 || ceiling < 1) {
            throw new IllegalArgumentException("output limits must be positive: assumed " + assumed + ", ceiling "
                    + ceiling);
        }
        this.assumed = assumed;
        this.ceiling = ceiling;
    }

    /**
     * The {@code max.message.bytes} that the topics streamfit creates get: enough for its largest
     * possible output.
     * <ul>
     *   <li>A dead letter carries the input record's value, which the processor accepts up to
     *       {@code max.record.bytes} (a larger one is rejected, and its dead letter becomes a stub
     *       when it does not fit), plus its key and headers and the {@code error.*} headers (at most
     *       about 2 KB: the message is cut at 500 characters): {@code max.record.bytes} plus
     *       {@link #HEADROOM_BYTES}. The route topic of {@code model.scope=global} carries inputs
     *       too, so it needs the same.</li>
     *   <li>A prediction or score is a few hundred bytes of JSON plus the series and object ids,
     *       which come from the input (escaping can make a control character six bytes, so 1 MiB
     *       of headroom holds ids of over 80 KB each), plus, for the classifier, one number per
     *       class: {@code classes} times {@link #BYTES_PER_CLASS} plus the headroom.</li>
     * </ul>
     * Never less than Kafka's default, never more than the producer sends ({@code ceiling}). An
     * output beyond this (ids of megabytes, say) is caught by the check and dead-lettered.
     *
     * @param maxRecordBytes {@code max.record.bytes}
     * @param classes        classes of a classifier's outputs, 0 for other kinds
     * @param ceiling        the largest record the producer sends
     */
    public static int maxMessageBytes(int maxRecordBytes, int classes, int ceiling) {
        long deadLetter = (long) maxRecordBytes + HEADROOM_BYTES;
        long prediction = (long) BYTES_PER_CLASS * Math.max(0, classes) + HEADROOM_BYTES;
        long wanted = Math.max(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, Math.max(deadLetter, prediction));
        return (int) Math.min(wanted, ceiling);
    }

    /** The largest record {@code topic} takes, as far as streamfit knows. */
    public int limit(String topic) {
        return Math.min(known.getOrDefault(topic, assumed), ceiling);
    }

    /** {@code topic} takes records of up to {@code bytes} (set at creation, or read from the broker). */
    public void set(String topic, int bytes) {
        known.put(topic, bytes);
    }

    /**
     * The broker or the producer refused a record of {@code recordBytes} (as {@link #recordBytes}
     * counts them) for {@code topic}: from now on the limit is below it.
     *
     * @return whether the limit fell (false when it already was below)
     */
    public boolean rejected(String topic, long recordBytes) {
        int below = (int) Math.max(0, Math.min(Integer.MAX_VALUE, recordBytes - 1));
        boolean[] fell = {false};
        known.compute(topic, (t, old) -> {
            int current = Math.min(old == null ? assumed : old, ceiling);
            if (below < current) {
                fell[0] = true;
                return below;
            }
            return old;
        });
        if (fell[0]) {
            lowerings.incrementAndGet();
        }
        return fell[0];
    }

    /** How often a refusal lowered a limit: a stream thread that failed after one may be replaced. */
    public long lowerings() {
        return lowerings.get();
    }

    /** Whether a record of {@code recordBytes} fits {@code topic}. */
    public boolean fits(String topic, long recordBytes) {
        return recordBytes <= limit(topic);
    }

    /**
     * Checks an output before the producer sees it.
     *
     * @throws OutputTooLargeException when it does not fit {@code topic}
     */
    public void check(String topic, int keyBytes, byte[] value, Headers headers) {
        long bytes = recordBytes(keyBytes, value == null ? 0 : value.length, headers);
        int limit = limit(topic);
        if (bytes > limit) {
            throw new OutputTooLargeException(topic, bytes, limit);
        }
    }

    /** An upper bound of the bytes a record takes in its own batch on the broker (format v2, uncompressed). */
    public static long recordBytes(byte[] key, byte[] value, Headers headers) {
        return recordBytes(key == null ? 0 : key.length, value == null ? 0 : value.length, headers);
    }

    /** As {@link #recordBytes(byte[], byte[], Headers)}, from the key and value sizes. */
    public static long recordBytes(int keyBytes, int valueBytes, Iterable<Header> headers) {
        long n = RECORD_OVERHEAD + (long) keyBytes + valueBytes;
        if (headers != null) {
            for (Header h : headers) {
                n += HEADER_OVERHEAD + utf8Length(h.key()) + (h.value() == null ? 0 : h.value().length);
            }
        }
        return n;
    }

    /** UTF-8 bytes of {@code s}, without encoding it (header keys are short, but this runs per output). */
    static int utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        int n = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                // Any non-ASCII character takes 2 or 3 bytes; a surrogate pair 4, counted as 2 + 2.
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "OutputLimits[assumed=" + assumed + ", ceiling=" + ceiling + ", known=" + known + "]";
    }
}
