package io.streamfit.app.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.streamfit.app.errors.Origin;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.PendingHeader;
import io.streamfit.schemas.avro.PendingTimestep;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The pending store's value: writes {@code PendingTimestep.avsc} (Avro single-object encoding),
 * format version 2; reads that, version 1 (the schema without the input's key, headers and
 * position, kept as {@code history/PendingTimestep-1.avsc}) and the legacy byte layout of earlier
 * versions.
 *
 * <p>Legacy layout (no version marker): big-endian int64 record timestamp, int32 n, n bytes of the
 * series id in UTF-8, then the input record's value bytes to the end.
 *
 * <p>Telling them apart: a value that starts with {@code 0xC3 0x01} is Avro; anything else is
 * read as the legacy layout. This is unambiguous because a legacy value starts with the record
 * timestamp, big-endian, and Kafka Streams never hands a processor a record with a negative
 * timestamp (it drops such records before processing), so a legacy value's first byte has its
 * top bit clear (0x00 to 0x7F), while 0xC3 has it set. The same store and changelog hold both
 * forms until every old entry has been replaced or deleted.
 */
public final class PendingCodec {

    /** {@code formatVersion} this build writes. */
    public static final int FORMAT = 2;
    /** The previous {@code formatVersion}, still read: no key, headers or position (they decode as unknown). */
    public static final int FORMAT_1 = 1;
    /** {@code formatVersion} of a value decoded from the legacy byte layout, which had none. */
    public static final int LEGACY = 0;

    private static final int LEGACY_HEADER = 8 + 4;

    private PendingCodec() {
    }

    /**
     * The store value of an accepted record.
     *
     * @param series the record's series
     * @param origin the input record: timestamp, value, key, headers and position
     */
    public static byte[] encode(String series, Origin origin) {
        List<PendingHeader> headers = new ArrayList<>();
        for (Header h : origin.headers()) {
            if (!Origin.isInternal(h.key())) {
                headers.add(new PendingHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
            }
        }
        byte[] value = origin.value() == null ? new byte[0] : origin.value();
        return StreamfitSerdes.pendingTimestep().encode(new PendingTimestep(FORMAT, origin.timestamp(), series,
                ByteBuffer.wrap(value), origin.key() == null ? null : ByteBuffer.wrap(origin.key()), headers,
                origin.topic(), origin.partition(), origin.offset()));
    }

    /**
     * Decodes a store value of any form.
     *
     * @return the fields, with {@code formatVersion} {@link #LEGACY} for the legacy layout; the
     *         key, headers and position of a version 1 or legacy value are the schema's defaults
     * @throws IllegalArgumentException            for bytes of neither form
     * @throws IllegalStateException               for an Avro value of an unknown format version
     * @throws io.streamfit.schemas.InvalidRecordException for a corrupt Avro value
     */
    public static PendingTimestep decode(byte[] value) {
        if (AvroSerde.isSingleObjectEncoded(value)) {
            PendingTimestep p = StreamfitSerdes.pendingTimestep().decode(value);
            FormatVersion.require("pending store value", p.getFormatVersion(), FORMAT_1, FORMAT);
            return p;
        }
        return decodeLegacy(value);
    }

    /** The original record value bytes of {@code p} (a copy). */
    public static byte[] rawValue(PendingTimestep p) {
        return bytes(p.getRawValue());
    }

    /**
     * The input record that {@code p} holds. Values of version 1 and the legacy layout did not keep
     * the key, headers or position: their key is taken to be the series (what the key was, when the
     * record had one), and the position is unknown.
     */
    public static Origin origin(PendingTimestep p) {
        byte[] raw = rawValue(p);
        if (p.getFormatVersion() < FORMAT) {
            return new Origin("", -1, -1L, p.getSeries().getBytes(StandardCharsets.UTF_8), raw, new RecordHeaders(),
                    p.getTimestamp());
        }
        RecordHeaders headers = new RecordHeaders();
        for (PendingHeader h : p.getHeaders()) {
            headers.add(h.getKey(), h.getValue() == null ? null : bytes(h.getValue()));
        }
        return new Origin(p.getTopic(), p.getPartition(), p.getOffset(), p.getKey() == null ? null : bytes(p.getKey()),
                raw, headers, p.getTimestamp());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static PendingTimestep decodeLegacy(byte[] value) {
        if (value.length < LEGACY_HEADER || value[0] < 0) {
            throw new IllegalArgumentException("not a pending store value: " + value.length
                    + " bytes, neither Avro (0xC3 0x01) nor the legacy layout (non-negative timestamp, length)");
        }
        ByteBuffer buf = ByteBuffer.wrap(value);
        long timestamp = buf.getLong();
        int n = buf.getInt();
        // Checked before anything is allocated: a corrupt length must not become a huge array.
        if (n < 0 || n > buf.remaining()) {
            throw new IllegalArgumentException("corrupt legacy pending store value: series length " + n + " with "
                    + buf.remaining() + " bytes left");
        }
        String series = new String(value, LEGACY_HEADER, n, StandardCharsets.UTF_8);
        byte[] raw = Arrays.copyOfRange(value, LEGACY_HEADER + n, value.length);
        // Not the generated builder: filling in the defaults makes Avro look up PendingHeader by name,
        // which its class security check refuses (see CompiledClassesData in the schemas module).
        return new PendingTimestep(LEGACY, timestamp, series, ByteBuffer.wrap(raw), null, List.of(), "", -1, -1L);
    }
}
