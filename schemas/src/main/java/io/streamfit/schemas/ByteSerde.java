package io.streamfit.schemas;

import java.util.Map;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A stateless serde that is its own serializer and deserializer: a subclass says how one value
 * becomes bytes and back ({@link #encode}, {@link #decode}); null stays null, and there is nothing
 * to configure or close (the format is fixed at construction).
 */
public abstract class ByteSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {

    /** The value's bytes. */
    public abstract byte[] encode(T value);

    /** The value of {@code data}. */
    public abstract T decode(byte[] data);

    @Override
    public final byte[] serialize(String topic, T data) {
        return data == null ? null : encode(data);
    }

    @Override
    public final T deserialize(String topic, byte[] data) {
        return data == null ? null : decode(data);
    }

    @Override
    public final Serializer<T> serializer() {
        return this;
    }

    @Override
    public final Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public final void configure(Map<String, ?> configs, boolean isKey) {
        // The format is fixed at construction.
    }

    @Override
    public final void close() {
        // Stateless.
    }
}
