package io.streamfit.app.errors;

import java.nio.charset.StandardCharsets;

import io.streamfit.app.names.Names;
import io.streamfit.app.topology.StreamfitTopology;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The dead-letter format of the contract: the original key, value and headers, plus headers
 * naming the reason and where the record came from. Used by the processor and by the exception
 * handlers so that every dead letter looks the same.
 */
public final class DeadLetters {

    public static final String REASON = "error.reason";
    public static final String MESSAGE = "error.message";
    public static final String TOPIC = "error.topic";
    public static final String PARTITION = "error.partition";
    public static final String OFFSET = "error.offset";

    /** Longest {@code error.message}; a message never carries more than a short excerpt of input. */
    static final int MAX_MESSAGE_CHARS = 500;

    private DeadLetters() {
    }

    /**
     * The original headers (without streamfit's internal routing stamps) plus the error headers.
     */
    public static Headers headers(Iterable<Header> original, String reason, String message, String topic,
                                  String partition, String offset) {
        Headers headers = new RecordHeaders();
        if (original != null) {
            for (Header h : original) {
                if (!h.key().startsWith(Names.ORIGIN_HEADER_PREFIX)) {
                    headers.add(h);
                }
            }
        }
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

    /** The value of the last header {@code name}, or {@code null}. */
    public static String header(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }
}
