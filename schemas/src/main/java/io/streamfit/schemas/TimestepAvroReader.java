package io.streamfit.schemas;

import io.streamfit.schemas.avro.TimestepRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.SchemaNormalization;

/**
 * Reads Avro single-object encoding of {@link TimestepRecord} straight into a {@link Timestep}, within
 * {@link TimestepLimits}.
 *
 * <p>Why not Avro's own reader: it decodes a whole record before anyone can look at it (200,000
 * objects before {@code max.objects} could reject them; arrays in one-item blocks grow item by item,
 * 8 MB of input took 643 MB), and it replaces malformed UTF-8 in strings. Here every declared string
 * length and block count is checked against the bytes left before anything is allocated (an item takes
 * at least its smallest encoding: a float 4 bytes, an object 5), the limits are checked before each
 * block is read, ids must be well-formed UTF-8 ({@link StrictUtf8}), and arrays grow by doubling, so a
 * decoded record holds at most a few times its own bytes.
 *
 * <p>The binary layout is that of {@code TimestepRecord.avsc}; only that exact writer schema (its
 * fingerprint) is read, anything else is {@code unknown-schema}. A change to the schema changes the
 * fingerprint, and {@code TimestepAvroReaderTest} compares this reader with Avro's on random records.
 * One instance per value; not thread-safe.
 */
final class TimestepAvroReader {

    /** CRC-64-AVRO fingerprint of the one writer schema this reader knows. */
    static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema());

    private static final String TYPE = TimestepRecord.class.getSimpleName();
    private static final float[] NO_FLOATS = new float[0];
    private static final int[] NO_INTS = new int[0];
    private static final double[] NO_DOUBLES = new double[0];
    /** The smallest object: empty id, dense branch, empty array, null target, null label. */
    private static final int MIN_OBJECT_BYTES = 5;

    private final byte[] data;
    private final int end;
    private final TimestepLimits limits;
    private int pos;
    /** Where the reader is, for messages: the object index (-1 outside {@code objects}) and the field. */
    private int object = -1;
    private String field = "$";

    private TimestepAvroReader(byte[] data, TimestepLimits limits) {
        this.data = data;
        this.end = data.length;
        this.limits = limits;
        this.pos = AvroSerde.HEADER;
    }

    /**
     * Decodes one value.
     *
     * @throws InvalidRecordException {@code empty}, {@code unknown-schema}, {@code unparsable} (malformed,
     *                                truncated, trailing bytes, malformed UTF-8), {@code length-mismatch},
     *                                or a limit's code ({@code too-many-objects}, {@code too-large},
     *                                {@code wrong-feature-count})
     */
    static Timestep read(byte[] data, TimestepLimits limits) {
        long fingerprint = AvroSerde.fingerprint(data, TYPE);
        if (fingerprint != FINGERPRINT) {
            throw AvroSerde.unknownSchema(TYPE, fingerprint);
        }
        return new TimestepAvroReader(data, limits).record();
    }

    private Timestep record() {
        at("series");
        String series = switch (unionIndex(2)) {
            case 0 -> null;
            default -> id();
        };
        at("timestep");
        long timestep = readLong();
        List<Timestep.ObjectInput> objects = objects();
        at("sumTarget");
        double[] sumTarget = switch (unionIndex(3)) {
            case 0 -> null;
            case 1 -> new double[] {readDouble()};
            default -> doubles(limits.maxSumTargets(), limits.maxSumTargets() + " values");
        };
        if (pos < end) {
            throw new InvalidRecordException(InvalidRecordException.UNPARSABLE, "$",
                    (end - pos) + " trailing bytes after the Avro " + TYPE);
        }
        return new Timestep(series, timestep, objects, sumTarget);
    }

    private List<Timestep.ObjectInput> objects() {
        at("objects");
        List<Timestep.ObjectInput> objects = null;
        for (long count = blockCount(MIN_OBJECT_BYTES); count > 0; count = blockCount(MIN_OBJECT_BYTES)) {
            int n = objects == null ? 0 : objects.size();
            if (n + count > limits.maxObjects()) {
                throw new InvalidRecordException(InvalidRecordException.TOO_MANY_OBJECTS, "objects",
                        "more than max.objects=" + limits.maxObjects() + " objects");
            }
            if (objects == null) {
                objects = new ArrayList<>((int) Math.min(count, 1024));
            }
            for (long k = 0; k < count; k++) {
                object = n++;
                objects.add(object());
            }
            object = -1;
            at("objects");
        }
        return objects == null ? List.of() : objects;
    }

    private Timestep.ObjectInput object() {
        at("id");
        String id = id();
        at("features");
        FeatureVector features = unionIndex(2) == 0 ? dense() : sparse();
        at("target");
        Double target = unionIndex(2) == 0 ? null : readDouble();
        at("label");
        Integer label = unionIndex(2) == 0 ? null : readInt();
        return new Timestep.ObjectInput(id, features, target, label);
    }

    private FeatureVector dense() {
        if (!limits.checksFeatures()) {
            return new FeatureVector.Dense(floats(Integer.MAX_VALUE, null));
        }
        int m = limits.features();
        float[] values = floats(m, "m=" + m + " values");
        if (values.length != m) {
            throw error(InvalidRecordException.WRONG_FEATURE_COUNT, values.length + " values, the model takes m=" + m);
        }
        return new FeatureVector.Dense(values);
    }

    private FeatureVector sparse() {
        int max = limits.checksFeatures() ? limits.features() : Integer.MAX_VALUE;
        at("features.indices");
        int[] indices = ints(max, "m=" + max + " indices");
        at("features.values");
        float[] values = floats(max, "m=" + max + " values");
        at("features");
        if (indices.length != values.length) {
            throw error(InvalidRecordException.LENGTH_MISMATCH, indices.length + " indices but " + values.length
                    + " values");
        }
        return new FeatureVector.Sparse(indices, values);
    }

    // ---- arrays: blocks of items, each block's count checked before it is read -----------------

    /** An {@code array<float>} of at most {@code max} items ("more than {@code limit}" beyond). */
    private float[] floats(int max, String limit) {
        float[] out = NO_FLOATS;
        int n = 0;
        for (long count = blockCount(Float.BYTES); count > 0; count = blockCount(Float.BYTES)) {
            int size = grow(n, count, out.length, max, limit);
            if (size != out.length) {
                out = Arrays.copyOf(out, size);
            }
            for (long k = 0; k < count; k++) {
                out[n++] = Float.intBitsToFloat(fixed32());
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private int[] ints(int max, String limit) {
        int[] out = NO_INTS;
        int n = 0;
        for (long count = blockCount(1); count > 0; count = blockCount(1)) {
            int size = grow(n, count, out.length, max, limit);
            if (size != out.length) {
                out = Arrays.copyOf(out, size);
            }
            for (long k = 0; k < count; k++) {
                out[n++] = readInt();
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private double[] doubles(int max, String limit) {
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
    private int grow(int n, long count, int capacity, int max, String limit) {
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
    private long blockCount(int minItemBytes) {
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

    private String id() {
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

    private int unionIndex(int branches) {
        int i = readInt();
        if (i < 0 || i >= branches) {
            throw malformed("union branch " + i + " does not exist");
        }
        return i;
    }

    /** A zig-zag varint of at most 10 bytes whose last byte has no bits beyond 64. */
    private long readLong() {
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
    private int readInt() {
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

    private double readDouble() {
        long lo = fixed32() & 0xFFFFFFFFL;
        long hi = fixed32() & 0xFFFFFFFFL;
        return Double.longBitsToDouble(hi << 32 | lo);
    }

    /** Four little-endian bytes. */
    private int fixed32() {
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

    private void at(String name) {
        field = name;
    }

    private String path() {
        return object < 0 ? field : "objects[" + object + "]." + field;
    }

    private InvalidRecordException error(String reason, String detail) {
        return new InvalidRecordException(reason, path(), detail);
    }

    private InvalidRecordException malformed(String detail) {
        return error(InvalidRecordException.UNPARSABLE, "malformed Avro " + TYPE + ": " + detail);
    }

    private InvalidRecordException truncated() {
        return malformed("the value ends inside this field");
    }
}
