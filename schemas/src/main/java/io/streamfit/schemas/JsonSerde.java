package io.streamfit.schemas;


/**
 * A streaming-JSON serde of one record type, in the contract's format. Obtain instances from
 * {@link StreamfitSerdes}. One object is the serde, its serializer and its deserializer; it is
 * stateless and thread-safe. {@code null} maps to {@code null} both ways; decoding failures are
 * {@link InvalidRecordException}s.
 *
 * @param <T> the record type
 */
public final class JsonSerde<T> extends ByteSerde<T> {

    private final String name;
    private final JsonCodec<T> codec;

    JsonSerde(String name, JsonCodec<T> codec) {
        this.name = name;
        this.codec = codec;
    }

    /** The value as JSON, UTF-8. */
    public byte[] encode(T value) {
        return Json.write(value, codec);
    }

    /**
     * Parses one value.
     *
     * @throws InvalidRecordException when the bytes are not a structurally valid value
     */
    public T decode(byte[] data) {
        return Json.parse(data, 0, data.length, codec);
    }

    @Override
    public String toString() {
        return "JsonSerde[" + name + "]";
    }
}
