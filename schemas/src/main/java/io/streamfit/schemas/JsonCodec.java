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
}
