package io.streamfit.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bounded primitives of streamfit's own Avro input readers ({@link TimestepAvroReader} for the
 * features, {@link LabelsAvroReader} for the labels): varints, doubles, strict UTF-8 ids, union
 * branches and array blocks, each checked against the bytes left before anything is allocated, and
 * errors that name the field they broke ({@code objects[3].target: ...}).
 *
 * <p>Why not Avro's own reader: it decodes a whole record before anyone can look at it, allocates
 * whatever count a corrupt block declares when it reads through a stream, and replaces malformed
 * UTF-8. One instance per value; not thread-safe.
 */
abstract class BoundedAvroReader {

    private static final double[] NO_DOUBLES = new double[0];

    final byte[] data;
    final int end;
    final TimestepLimits limits;
    int pos;
    /** Where the reader is, for messages: the object index (-1 outside {@code objects}) and the field. */
    int object = -1;
    private String field = "$";
    private final String type;

    BoundedAvroReader(byte[] data, TimestepLimits limits, String type) {
        this.data = data;
        this.end = data.length;
        this.limits = limits;
        this.type = type;
        this.pos = AvroSerde.HEADER;
    }

    /** The value's fingerprint, checked to be {@code expected}: else {@code unknown-schema}. */
    static void checkFingerprint(byte[] data, String type, long expected) {
        long fingerprint = AvroSerde.fingerprint(data, type);
        if (fingerprint != expected) {
            throw AvroSerde.unknownSchema(type, fingerprint);
        }
    }

    /** Fails unless every byte was read. */
    final void atEnd() {
        if (pos < end) {
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                    (end - pos) + " trailing bytes after the Avro " + type);
        }
    }

    /** The optional {@code sumTarget}: {@code ["null", "double", {"type": "array", "items": "double"}]}. */
    final double[] sumTarget() {
        at("sumTarget");
        return switch (unionIndex(3)) {
            case 0 -> null;
            case 1 -> new double[] {readDouble()};
            default -> doubles(limits.maxSumTargets(), limits.maxSumTargets() + " values");
        };
    }

    /** The item count of the {@code objects} block that starts here, within {@code max.objects} so far. */
    final long objectBlock(int objectsSoFar, int minObjectBytes) {
        at("objects");
        long count = blockCount(minObjectBytes);
        if (objectsSoFar + count > limits.maxObjects()) {
            throw new InvalidRecordException(InvalidRecordException.TOO_MANY_OBJECTS, "objects",
                    "more than max.objects=" + limits.maxObjects() + " objects");
        }
        return count;
    }

    // ---- arrays: blocks of items, each block's count checked before it is read -----------------

    final double[] doubles(int max, String limit) {
        double[] out = NO_DOUBLES;
        int n = 0;
        for (long count = blockCount(Double.BYTES); count > 0; count = blockCount(Double.BYTES)) {
            int size = grow(n, count, out.length, max, limit);
            if (size != out.length) {
                out = Arrays.copyOf(out, size);
            }
            for (long k = 0; k < count; k++) {
                out[n++] = readDouble();
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /**
     * The capacity for {@code n + count} items: the first block gets exactly its count (a writer
     * usually sends one block), later ones double it, so that one-item blocks cost amortised O(1)
     * copies instead of one copy each.
     */
    final int grow(int n, long count, int capacity, int max, String limit) {
        long needed = n + count;
        if (needed > max) {
            throw error(InvalidRecordException.WRONG_FEATURE_COUNT, "more than " + limit);
        }
        if (needed <= capacity) {
            return capacity;
        }
        // blockCount bounds count by the bytes left, so needed fits in an int.
        return n == 0 ? (int) needed : (int) Math.min(max, Math.max(needed, 2L * capacity));
    }

    /**
     * The item count of the next block (0 at the end of the array). A negative count is followed by
     * the block's size in bytes, which is checked and otherwise ignored.
     */
    final long blockCount(int minItemBytes) {
        long count = readLong();
        if (count < 0) {
            if (count == Long.MIN_VALUE) {
                throw malformed("invalid block count");
            }
            count = -count;
            long size = readLong();
            if (size < 0 || size > end - pos) {
                throw malformed("a block declares " + size + " bytes, but " + (end - pos) + " are left");
            }
        }
        if (count > (end - pos) / minItemBytes) {
            throw malformed("a block declares " + count + " items, but " + (end - pos) + " bytes are left");
        }
        return count;
    }

    // ---- scalars -----------------------------------------------------------------------------

    /** A series or object id: at most {@code max.id.bytes} of well-formed UTF-8. */
    final String id() {
        long length = readLong();
        if (length < 0 || length > end - pos) {
            throw malformed("a string declares " + length + " bytes, but " + (end - pos) + " are left");
        }
        if (length > limits.maxIdBytes()) {
            throw error(InvalidRecordException.TOO_LARGE, length + " bytes, longer than max.id.bytes="
                    + limits.maxIdBytes());
        }
        int n = (int) length;
        int bad = StrictUtf8.invalidAt(data, pos, n);
        if (bad >= 0) {
            throw error(InvalidRecordException.UNPARSABLE, "not well-formed UTF-8 at byte " + (bad - pos + 1)
                    + " of the string");
        }
        String s = new String(data, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    final int unionIndex(int branches) {
        int i = readInt();
        if (i < 0 || i >= branches) {
            throw malformed("union branch " + i + " does not exist");
        }
        return i;
    }

    /** A zig-zag varint of at most 10 bytes whose last byte has no bits beyond 64. */
    final long readLong() {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = next();
            if (shift == 63 && b > 1) {
                throw malformed("invalid long encoding");
            }
            raw |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw malformed("invalid long encoding");
    }

    /** A zig-zag varint of at most 5 bytes whose last byte has no bits beyond 32 (Avro drops them). */
    final int readInt() {
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = next();
            if (shift == 28 && b > 0x0F) {
                throw malformed("invalid int encoding");
            }
            raw |= (b & 0x7F) << shift;
            if (b < 0x80) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw malformed("invalid int encoding");
    }

    final double readDouble() {
        long lo = fixed32() & 0xFFFFFFFFL;
        long hi = fixed32() & 0xFFFFFFFFL;
        return Double.longBitsToDouble(hi << 32 | lo);
    }

    /** Four little-endian bytes. */
    final int fixed32() {
        if (end - pos < 4) {
            throw truncated();
        }
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private int next() {
        if (pos >= end) {
            throw truncated();
        }
        return data[pos++] & 0xFF;
    }

    // ---- errors ------------------------------------------------------------------------------

    final void at(String name) {
        field = name;
    }

    private String path() {
        return object < 0 ? field : "objects[" + object + "]." + field;
    }

    final InvalidRecordException error(String reason, String detail) {
        return new InvalidRecordException(reason, path(), detail);
    }

    final InvalidRecordException malformed(String detail) {
        return error(InvalidRecordException.UNPARSABLE, "malformed Avro " + type + ": " + detail);
    }

    private InvalidRecordException truncated() {
        return malformed("the value ends inside this field");
    }
}
