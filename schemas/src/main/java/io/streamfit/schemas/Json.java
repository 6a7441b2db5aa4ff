package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;

/** The one Jackson factory and the parse/write entry points shared by all JSON codecs. */
final class Json {

    /**
     * Fast double parser/writer: the writer prints the shortest decimal that reads back to the same
     * float or double (Schubfach), which JDK 17's {@code Float/Double.toString} does not always do.
     * Non-numeric numbers (NaN) stay disallowed on input, and the source is kept out of error
     * locations so that messages never echo payload bytes.
     */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    /** Longest Jackson message kept in an error; Jackson may quote a token of the input. */
    private static final int MAX_CAUSE_CHARS = 160;

    private Json() {
    }

    /** Reads one JSON object (and nothing after it) from {@code data[off, off+len)}. */
    static <T> T parse(byte[] data, int off, int len, JsonCodec<T> codec) {
        if (len == 0) {
            throw new InvalidRecordException(InvalidRecordException.EMPTY, "$", "empty value");
        }
        JsonCursor cursor = null;
        try (JsonParser p = FACTORY.createParser(data, off, len)) {
            cursor = new JsonCursor(p, data, off, len);
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new InvalidRecordException(InvalidRecordException.EMPTY, "$", "no JSON value");
            }
            if (t != JsonToken.START_OBJECT) {
                throw cursor.wrongType("a JSON object", t);
            }
            T value = codec.read(cursor);
            if (p.nextToken() != null) {
                throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                        "trailing content after the JSON object");
            }
            return value;
        } catch (InvalidRecordException e) {
            throw e;
        } catch (StreamConstraintsException e) {
            throw new InvalidRecordException(InvalidRecordException.TOO_LARGE, path(cursor),
                    "exceeds parser limits: " + shorten(e.getOriginalMessage()), e);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, path(cursor),
                    "malformed JSON" + where + ": " + shorten(e.getOriginalMessage()), e);
        } catch (IOException | RuntimeException e) {
            // Charset detection failures (CharConversionException) and anything else Jackson throws on
            // hostile bytes: bad input must become a dead letter, never a dead stream thread.
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, path(cursor),
                    "malformed JSON: " + shorten(String.valueOf(e.getMessage())), e);
        }
    }

    /**
     * Writes {@code value} as one JSON object: straight into bytes where its codec can
     * ({@link JsonCodec#write(Object, JsonBytes)}), else with the generator. A thread keeps its
     * writers and buffers from one record to the next (outputs are written by the tens of
     * thousands a second, and a new generator with its buffers cost about as much as writing a
     * small record); one that failed, or grew past {@link #KEPT_WRITER_BYTES}, is dropped.
     */
    static <T> byte[] write(T value, JsonCodec<T> codec) {
        Writer w = WRITERS.get();
        try {
            w.bytes.reset();
            if (codec.write(value, w.bytes)) {
                byte[] bytes = w.bytes.toByteArray();
                if (w.bytes.size() > KEPT_WRITER_BYTES) {
                    WRITERS.remove();
                }
                return bytes;
            }
            codec.write(value, w.generator);
            w.generator.flush();
        } catch (IOException | RuntimeException e) {
            WRITERS.remove();
            throw new SerializationException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getMessage(), e);
        }
        byte[] bytes = w.out.toByteArray();
        w.out.reset();
        if (bytes.length > KEPT_WRITER_BYTES) {
            WRITERS.remove();
        }
        return bytes;
    }

    private static final int KEPT_WRITER_BYTES = 64 * 1024;
    private static final ThreadLocal<Writer> WRITERS = ThreadLocal.withInitial(Writer::new);

    /**
     * A thread's writers: the direct one ({@link JsonBytes}), and the generator for the rest, writing
     * one root object after another into {@code out}.
     */
    private static final class Writer {
        final JsonBytes bytes = new JsonBytes();
        final ByteArrayBuilder out = new ByteArrayBuilder(256);
        final JsonGenerator generator;

        Writer() {
            try {
                generator = FACTORY.createGenerator(out);
                // The records after the first follow it with no separator: each is an output of its own.
                generator.setRootValueSeparator(null);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static String path(JsonCursor cursor) {
        return cursor == null ? "$" : cursor.path();
    }

    private static String shorten(String s) {
        if (s == null) {
            return "";
        }
        s = s.replace('\n', ' ');
        return s.length() <= MAX_CAUSE_CHARS ? s : s.substring(0, MAX_CAUSE_CHARS) + "...";
    }
}
