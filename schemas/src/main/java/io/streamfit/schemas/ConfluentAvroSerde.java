package io.streamfit.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Writes one generated record class in the Confluent wire format ({@link ConfluentWire}): magic
 * byte 0, the id of the class's schema under its topic's subject ({@code <topic>-value}, Confluent's
 * TopicNameStrategy), then the Avro binary body. The id is looked up (the schema registered when the
 * subject lacks it) once, at construction, so that a registry problem shows at start, not at the
 * first output. Stateless after that and thread-safe; {@code null} stays {@code null}.
 *
 * @param <T> the generated record class
 */
public final class ConfluentAvroSerde<T extends SpecificRecord>
        extends ByteSerde<T> {

    private final Class<T> type;
    private final int id;
    private final SpecificDatumWriter<T> writer;
    private final SchemaRegistry registry;
    private final Schema schema;
    private final CompiledClassesData model;

    private ConfluentAvroSerde(SchemaRegistry registry, Class<T> type, int id) {
        this.registry = registry;
        this.type = type;
        this.id = id;
        this.schema = SpecificData.get().getSchema(type);
        this.model = new CompiledClassesData(type, schema);
        this.writer = new SpecificDatumWriter<>(schema, model);
    }

    /**
     * A serializer of {@code type} for {@code topic}, its schema registered in {@code registry}.
     *
     * @throws SchemaRegistry.RegistryUnavailableException when the registry cannot be asked or refuses the schema
     */
    public static <T extends SpecificRecord> ConfluentAvroSerde<T> forTopic(SchemaRegistry registry, String topic,
            Class<T> type) {
        Objects.requireNonNull(registry, "registry");
        return new ConfluentAvroSerde<>(registry, type, registry.id(subject(topic), SpecificData.get().getSchema(type)));
    }

    /** The subject of a topic's values under Confluent's TopicNameStrategy. */
    public static String subject(String topic) {
        return topic + "-value";
    }

    /** The registry id this serializer writes. */
    public int schemaId() {
        return id;
    }

    /** {@code value} in the wire format. */
    public byte[] encode(T value) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            bytes.write(new byte[ConfluentWire.HEADER]);
            BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
            writer.write(value, out);
            out.flush();
            byte[] framed = bytes.toByteArray();
            java.nio.ByteBuffer.wrap(framed, 1, 4).putInt(id);
            return framed;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + " as Avro: " + e, e);
        }
    }

    /**
     * Reads a value in the wire format with its writer schema from the registry, resolved to this
     * class's schema (for readers of streamfit's outputs, such as tests; not bounded like the input
     * readers).
     */
    public T decode(byte[] data) {
        if (!ConfluentWire.isFramed(data)) {
            throw new InvalidRecordException(InvalidRecordException.NOT_REGISTRY_FORMAT, "$",
                    "not the Confluent wire format (magic byte 0 and a 4-byte schema id)");
        }
        Schema writerSchema = registry.writerSchema(ConfluentWire.schemaId(data));
        try {
            return new SpecificDatumReader<T>(writerSchema, schema, model).read(null,
                    DecoderFactory.get().binaryDecoder(data, ConfluentWire.HEADER, data.length - ConfluentWire.HEADER,
                            null));
        } catch (IOException | RuntimeException e) {
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                    "malformed Avro " + type.getSimpleName() + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "ConfluentAvroSerde[" + type.getSimpleName() + ", id " + id + "]";
    }
}
