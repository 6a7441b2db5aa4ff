package io.streamfit.schemas;

import io.streamfit.schemas.avro.TimestepRecord;
import java.util.Objects;

/**
 * The serde of the features topic's values. Reading detects the encoding per record: bytes that
 * start with {@code 0xC3 0x01} are Avro single-object encoding of {@link TimestepRecord} (no JSON
 * text can start with that byte pair), anything else is parsed as the contract's JSON. Writing
 * uses the encoding chosen at construction. Obtain instances from {@link StreamfitSerdes}.
 *
 * <p>Reading stays within the serde's {@link TimestepLimits}: a record past a limit fails at that
 * point, before the rest of it is decoded, in either encoding. Avro input is read by
 * {@link TimestepAvroReader}, not Avro's generic reader, for that reason.
 *
 * <p>One object is the serde, its serializer and its deserializer; stateless and thread-safe.
 * {@code null} maps to {@code null} both ways (a tombstone on the features topic is the caller's
 * to reject); every other undecodable value is an {@link InvalidRecordException}.
 */
public final class TimestepSerde extends ByteSerde<Timestep> {

    /** How a {@link TimestepSerde} writes. */
    public enum Encoding {
        /** The contract's JSON, UTF-8. */
        JSON,
        /** Avro single-object encoding of {@link TimestepRecord}. */
        AVRO
    }

    static final AvroSerde<TimestepRecord> AVRO = AvroSerde.of(TimestepRecord.class);

    private final Encoding writeEncoding;
    private final TimestepLimits limits;
    private final JsonCodec<Timestep> json;

    TimestepSerde(Encoding writeEncoding) {
        this(writeEncoding, TimestepLimits.NONE);
    }

    TimestepSerde(Encoding writeEncoding, TimestepLimits limits) {
        this.writeEncoding = Objects.requireNonNull(writeEncoding, "writeEncoding");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.json = TimestepJson.codec(limits);
    }

    /** This serde, reading within {@code limits}. */
    public TimestepSerde withLimits(TimestepLimits limits) {
        return new TimestepSerde(writeEncoding, limits);
    }

    /** The limits this serde reads within ({@link TimestepLimits#NONE} unless set). */
    public TimestepLimits limits() {
        return limits;
    }

    /** The encoding this serde writes. */
    public Encoding writeEncoding() {
        return writeEncoding;
    }

    /** Encodes {@code value} in this serde's write encoding. */
    public byte[] encode(Timestep value) {
        return writeEncoding == Encoding.JSON ? TimestepJson.toBytes(value) : AVRO.encode(TimestepAvro.toRecord(value));
    }

    /**
     * Decodes JSON or Avro single-object bytes, whichever they are; the Confluent wire format instead
     * while a schema registry is installed ({@link ConfluentWire}).
     *
     * @throws InvalidRecordException when the bytes are not a structurally valid record within this
     *                                serde's limits
     */
    public Timestep decode(byte[] data) {
        data = ConfluentWire.input(data, TimestepRecord.getClassSchema(), TimestepAvroReader.FINGERPRINT);
        if (AvroSerde.isSingleObjectEncoded(data)) {
            return TimestepAvroReader.read(data, limits);
        }
        Timestep usual = TimestepFastJson.read(data, 0, data.length, limits);
        return usual != null ? usual : Json.parse(data, 0, data.length, json);
    }

    @Override
    public String toString() {
        return "TimestepSerde[read JSON|AVRO, write " + writeEncoding + ", " + limits + "]";
    }
}
