package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/** Streaming JSON reader and writer of one value type; stateless, so one instance serves all threads. */
interface JsonCodec<T> {

    /**
     * Reads the fields of one object; the cursor's parser stands on its {@code START_OBJECT}, and
     * must stand on the matching {@code END_OBJECT} on return.
     */
    T read(JsonCursor in) throws IOException;

    /** Writes {@code value} as one complete JSON object. */
    void write(T value, JsonGenerator out) throws IOException;

    /**
     * Writes {@code value} straight into bytes, exactly as {@link #write(Object, JsonGenerator)}
     * would, where {@link JsonBytes} can (see there); {@code false} where it cannot, and the
     * generator writes it. The codecs of the records written most often implement it.
     */
    default boolean write(T value, JsonBytes out) {
        return false;
    }
}
