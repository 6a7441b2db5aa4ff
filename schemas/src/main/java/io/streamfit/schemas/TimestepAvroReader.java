package io.streamfit.schemas;

import io.streamfit.schemas.avro.TimestepRecord;
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
final class TimestepAvroReader extends BoundedAvroReader {

    /** CRC-64-AVRO fingerprint of the one writer schema this reader knows. */
    static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema());

    private static final String TYPE = TimestepRecord.class.getSimpleName();
    private static final float[] NO_FLOATS = new float[0];
    private static final int[] NO_INTS = new int[0];
    /** The smallest object: empty id, dense branch, empty array, null target, null label. */
    private static final int MIN_OBJECT_BYTES = 5;

    private TimestepAvroReader(byte[] data, TimestepLimits limits) {
        super(data, limits, TYPE);
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
        checkFingerprint(data, TYPE, FINGERPRINT);
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
        double[] sumTarget = sumTarget();
        atEnd();
        return new Timestep(series, timestep, objects, sumTarget);
    }

    private List<Timestep.ObjectInput> objects() {
        List<Timestep.ObjectInput> objects = null;
        for (long count = objectBlock(0, MIN_OBJECT_BYTES); count > 0;
                count = objectBlock(objects.size(), MIN_OBJECT_BYTES)) {
            int n = objects == null ? 0 : objects.size();
            if (objects == null) {
                objects = new ArrayList<>((int) Math.min(count, 1024));
            }
            for (long k = 0; k < count; k++) {
                object = n++;
                objects.add(object());
            }
            object = -1;
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
}
