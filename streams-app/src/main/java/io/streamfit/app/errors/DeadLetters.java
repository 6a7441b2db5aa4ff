package io.streamfit.app.errors;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The dead-letter format of the contract: the original key, value and headers, plus headers
 * naming the reason and where the record came from. Used by the processor and by the exception
 * handlers so that every dead letter looks the same.
 *
 * <p>A dead letter that would not fit its topic ({@link OutputLimits}) keeps everything but the
 * value, which becomes a small JSON stub naming the value's size and the record's topic,
 * partition and offset, with the header {@link #STUB} (the original value's size); when even that
 * does not fit, the original key and headers go too. The record itself is in its topic, where
 * those coordinates find it.
 */
public final class DeadLetters {

    public static final String REASON = "error.reason";
    public static final String MESSAGE = "error.message";
    public static final String TOPIC = "error.topic";
    public static final String PARTITION = "error.partition";
    public static final String OFFSET = "error.offset";
    /** Only on a dead letter whose value was replaced by a stub: the original value's size in bytes. */
    public static final String STUB = "error.stub";

    /** Longest {@code error.message}; a message never carries more than a short excerpt of input. */
    static final int MAX_MESSAGE_CHARS = 500;

    private DeadLetters() {
    }

    /**
     * The original headers (without streamfit's own, {@code streamfit.*}, which an input may have
     * forged and a dead letter never carries) plus the error headers.
     */
    public static Headers headers(Iterable<Header> original, String reason, String message, String topic,
                                  String partition, String offset) {
        Headers headers = Origin.external(original);
        String msg = message == null ? "" : message;
        if (msg.length() > MAX_MESSAGE_CHARS) {
            msg = msg.substring(0, MAX_MESSAGE_CHARS) + "...";
        }
        headers.add(REASON, utf8(reason));
        headers.add(MESSAGE, utf8(msg));
        headers.add(TOPIC, utf8(topic));
        headers.add(PARTITION, utf8(partition));
        headers.add(OFFSET, utf8(offset));
        return headers;
    }

    /** The headers of the dead letter of {@code origin}: its own, and the error headers with its position. */
    public static Headers headers(Origin origin, String reason, String message) {
        return headers(origin.headers(), reason, message, origin.topic(), origin.partitionText(),
                origin.offsetText());
    }

    /**
     * The dead letter of {@code origin} for {@code topic}: the whole record when it fits, else with a
     * stub for its value ({@link #fitted}).
     *
     * @return the record, or {@code null} when not even a stub fits the dead-letter topic
     */
    public static ProducerRecord<byte[], byte[]> of(String topic, OutputLimits limits, Origin origin, String reason,
                                                    String message) {
        return fitted(topic, limits, origin.key(), origin.value(), headers(origin, reason, message),
                origin.timestamp());
    }

    /**
     * A dead letter ({@code headers} already carry the error headers) as it can be written to
     * {@code topic}: as it is when it fits; else the value replaced by a stub; else also without the
     * original key and headers; else also without the error message.
     *
     * @param timestamp the record timestamp, or a negative number for the producer's clock
     * @return the record, or {@code null} when not even the smallest stub fits
     */
    public static ProducerRecord<byte[], byte[]> fitted(String topic, OutputLimits limits, byte[] key, byte[] value,
                                                        Headers headers, long timestamp) {
        Long ts = timestamp < 0 ? null : timestamp;
        headers = Origin.external(headers);
        if (limits.fits(topic, OutputLimits.recordBytes(key, value, headers))) {
            return new ProducerRecord<>(topic, null, ts, key, value, headers);
        }
        // A stub refused in turn still names the size of the value it stands for.
        String stubbed = header(headers, STUB);
        long valueBytes = stubbed != null ? parseOr(stubbed, 0L) : value == null ? 0 : value.length;
        headers.remove(STUB);
        String from = header(headers, TOPIC);
        String partition = header(headers, PARTITION);
        String offset = header(headers, OFFSET);

        Headers kept = Origin.external(headers);
        kept.add(STUB, utf8(String.valueOf(valueBytes)));
        byte[] stub = stubValue(valueBytes, from, partition, offset, -1, -1);
        if (limits.fits(topic, OutputLimits.recordBytes(key, stub, kept))) {
            return new ProducerRecord<>(topic, null, ts, key, stub, kept);
        }

        long keyBytes = key == null ? 0 : key.length;
        long headerBytes = OutputLimits.recordBytes(0, 0, headers) - OutputLimits.RECORD_OVERHEAD;
        stub = stubValue(valueBytes, from, partition, offset, keyBytes, headerBytes);
        for (boolean withMessage : new boolean[] {true, false}) {
            Headers bare = new RecordHeaders();
            bare.add(REASON, utf8(header(headers, REASON)));
            bare.add(MESSAGE, utf8(withMessage ? header(headers, MESSAGE) : ""));
            bare.add(TOPIC, utf8(from));
            bare.add(PARTITION, utf8(partition));
            bare.add(OFFSET, utf8(offset));
            bare.add(STUB, utf8(String.valueOf(valueBytes)));
            if (limits.fits(topic, OutputLimits.recordBytes(null, stub, bare))) {
                return new ProducerRecord<>(topic, null, ts, null, stub, bare);
            }
        }
        return null;
    }

    /**
     * The stub that stands for a value too large to copy:
     * {@code {"stub":"value-too-large","valueBytes":N,"topic":"features","partition":3,"offset":42}},
     * with {@code "keyBytes"} and {@code "headerBytes"} when the key and headers were left out too;
     * an unknown partition or offset is {@code null}.
     */
    static byte[] stubValue(long valueBytes, String topic, String partition, String offset, long keyBytes,
                            long headerBytes) {
        StringBuilder s = new StringBuilder(160).append("{\"stub\":\"value-too-large\",\"valueBytes\":")
                .append(valueBytes).append(",\"topic\":");
        jsonString(s, topic == null ? "" : topic);
        s.append(",\"partition\":").append(number(partition)).append(",\"offset\":").append(number(offset));
        if (keyBytes >= 0) {
            s.append(",\"keyBytes\":").append(keyBytes).append(",\"headerBytes\":").append(headerBytes);
        }
        return utf8(s.append('}').toString());
    }

    /** The value of the last header {@code name}, or {@code null}. */
    public static String header(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long parseOr(String decimal, long fallback) {
        try {
            return Long.parseLong(decimal);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String number(String decimal) {
        if (decimal == null || decimal.isEmpty()) {
            return "null";
        }
        try {
            return String.valueOf(Long.parseLong(decimal));
        } catch (NumberFormatException e) {
            return "null";
        }
    }

    private static void jsonString(StringBuilder s, String text) {
        s.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c < 0x20) {
                s.append(String.format("\\u%04x", (int) c));
            } else {
                s.append(c);
            }
        }
        s.append('"');
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }
}
