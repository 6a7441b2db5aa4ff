package io.streamfit.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SystemLimitException;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * The Confluent wire format of a schema registry: the byte {@code 0}, the writer schema's id in the
 * registry (4 bytes, big-endian), then the Avro binary body.
 *
 * <p>Input in this format is read only while a registry is {@linkplain #install installed}
 * ({@code value.format=avro-registry}): then every input value must be in it (else
 * {@code not-registry-format}), and its writer schema is fetched from the registry by id. A value
 * is first turned into the Avro single-object encoding of streamfit's own schema
 * ({@link #toSingleObject}), which the bounded readers ({@link TimestepAvroReader},
 * {@link LabelsAvroReader}) then read within the model's limits, as any single-object value: when the
 * writer schema is streamfit's own (same Parsing Canonical Form), only the header changes; when it
 * is another schema, Avro's schema resolution reads the body into streamfit's schema first (bounded
 * by the value's size and {@link AvroLimits}), and an incompatible one is {@code schema-mismatch}.
 *
 * <p>The installed registry is process-wide, like {@link AvroLimits}: the stored input of pending
 * timesteps and labels (kept as it arrived, for the dead letters) is decoded again after a restart
 * by code that has no configuration of its own. One process serves one registry.
 */
public final class ConfluentWire {

    /** The first byte of the format. */
    public static final byte MAGIC = 0;
    /** Magic byte and schema id. */
    public static final int HEADER = 5;

    private static volatile SchemaRegistry installed;

    private ConfluentWire() {
    }

    /** Reads input in this format through {@code registry}, and refuses input in any other, until {@link #uninstall}. */
    public static void install(SchemaRegistry registry) {
        installed = registry;
    }

    /** Back to JSON and single-object input, if {@code registry} is still the installed one. */
    public static synchronized void uninstall(SchemaRegistry registry) {
        if (installed == registry) {
            installed = null;
        }
    }

    /** The installed registry, or null ({@code value.format} is not {@code avro-registry}). */
    public static SchemaRegistry installed() {
        return installed;
    }

    /** Whether {@code data} starts with the magic byte and has room for a schema id. */
    public static boolean isFramed(byte[] data) {
        return data != null && data.length >= HEADER && data[0] == MAGIC;
    }

    /** The schema id in the header of {@code data}, which {@link #isFramed} accepts. */
    public static int schemaId(byte[] data) {
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** {@code body} with the header of schema {@code id}. */
    public static byte[] frame(int id, byte[] body, int length) {
        byte[] out = new byte[HEADER + length];
        out[0] = MAGIC;
        ByteBuffer.wrap(out, 1, 4).putInt(id);
        System.arraycopy(body, 0, out, HEADER, length);
        return out;
    }

    /**
     * Input as streamfit's readers take it: unchanged when no registry is installed (JSON or
     * single-object encoding, detected per record), else the single-object encoding of
     * {@code readerSchema} of a value in this format.
     *
     * @throws InvalidRecordException {@code empty}; with a registry installed also
     *                                {@code not-registry-format}, {@code unknown-schema} (no such id),
     *                                {@code schema-mismatch} (a writer schema that does not resolve to
     *                                {@code readerSchema}), {@code unparsable} (a body that does not
     *                                match its schema), {@code too-large}
     */
    static byte[] input(byte[] data, Schema readerSchema, long readerFingerprint) {
        SchemaRegistry registry = installed;
        if (data.length == 0) {
            throw new InvalidRecordException(InvalidRecordException.EMPTY, "$", "empty value");
        }
        String type = readerSchema.getName();
        if (registry == null) {
            // As before this format existed: a value that starts with byte 0 is no JSON, so unparsable.
            return data;
        }
        if (!isFramed(data)) {
            throw new InvalidRecordException(InvalidRecordException.NOT_REGISTRY_FORMAT, "$",
                    "not the Confluent wire format of value.format=avro-registry (magic byte 0 and a 4-byte schema "
                            + "id): first byte " + String.format("0x%02x", data[0] & 0xff) + ", " + data.length
                            + " bytes");
        }
        int id = schemaId(data);
        Schema writer = registry.writerSchema(id);
        byte[] out;
        if (SchemaNormalization.parsingFingerprint64(writer) == readerFingerprint) {
            out = new byte[AvroSerde.HEADER + data.length - HEADER];
            System.arraycopy(data, HEADER, out, AvroSerde.HEADER, data.length - HEADER);
        } else {
            out = resolve(data, id, writer, readerSchema);
        }
        out[0] = AvroSerde.MAGIC_0;
        out[1] = AvroSerde.MAGIC_1;
        ByteBuffer.wrap(out, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(readerFingerprint);
        return out;
    }

    /** The body of {@code data} (writer schema {@code writer}) in {@code reader}'s encoding, after a 10-byte gap. */
    private static byte[] resolve(byte[] data, int id, Schema writer, Schema reader) {
        String type = reader.getName();
        GenericDatumReader<Object> datumReader;
        try {
            datumReader = new GenericDatumReader<>(writer, reader);
        } catch (AvroRuntimeException e) {
            throw mismatch(id, type, e);
        }
        BinaryDecoder in = DecoderFactory.get().binaryDecoder(data, HEADER, data.length - HEADER, null);
        Object value;
        try {
            value = datumReader.read(null, in);
        } catch (AvroTypeException e) {
            // Resolution fails lazily, at the first field the two schemas disagree on.
            throw mismatch(id, type, e);
        } catch (SystemLimitException e) {
            throw new InvalidRecordException(InvalidRecordException.TOO_LARGE, "$", type + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                    "malformed Avro " + type + " (registry schema id " + id + "): " + e, e);
        }
        try {
            if (in.inputStream().available() > 0) {
                throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                        in.inputStream().available() + " trailing bytes after the Avro " + type
                                + " (registry schema id " + id + ")");
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(data.length + AvroSerde.HEADER);
            bytes.write(new byte[AvroSerde.HEADER]);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            new GenericDatumWriter<>(reader).write(value, encoder);
            encoder.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen: in-memory Avro I/O failed", e);
        }
    }

    private static InvalidRecordException mismatch(int id, String type, RuntimeException e) {
        return new InvalidRecordException(InvalidRecordException.SCHEMA_MISMATCH, "$",
                "the writer schema of registry id " + id + " does not resolve to streamfit's " + type + ": "
                        + e.getMessage(), e);
    }
}
