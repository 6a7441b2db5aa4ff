package io.streamfit.app.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.PendingTimestep;

/**
 * The pending store's value: writes {@code PendingTimestep.avsc} (Avro single-object encoding);
 * reads that and the legacy byte layout of earlier versions.
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

    /** {@code formatVersion} this build writes and reads. */
    public static final int FORMAT = 1;
    /** {@code formatVersion} of a value decoded from the legacy byte layout, which had none. */
    public static final int LEGACY = 0;

    private static final int LEGACY_HEADER = 8 + 4;

    private PendingCodec() {
    }

    /** The store value of an accepted record. */
    public static byte[] encode(long timestamp, String series, byte[] rawValue) {
        return StreamfitSerdes.pendingTimestep().encode(new PendingTimestep(FORMAT, timestamp, series,
                ByteBuffer.wrap(rawValue)));
    }

    /**
     * Decodes a store value of either form.
     *
     * @return the fields, with {@code formatVersion} {@link #LEGACY} for the legacy layout
     * @throws IllegalArgumentException            for bytes of neither form
     * @throws IllegalStateException               for an Avro value of an unknown format version
     * @throws io.streamfit.schemas.InvalidRecordException for a corrupt Avro value
     */
    public static PendingTimestep decode(byte[] value) {
        if (AvroSerde.isSingleObjectEncoded(value)) {
            PendingTimestep p = StreamfitSerdes.pendingTimestep().decode(value);
            FormatVersion.require("pending store value", p.getFormatVersion(), FORMAT);
            return p;
        }
        return decodeLegacy(value);
    }

    /** The original record value bytes of {@code p} (a copy). */
    public static byte[] rawValue(PendingTimestep p) {
        ByteBuffer b = p.getRawValue().duplicate();
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
        return new PendingTimestep(LEGACY, timestamp, series, ByteBuffer.wrap(raw));
    }
}
