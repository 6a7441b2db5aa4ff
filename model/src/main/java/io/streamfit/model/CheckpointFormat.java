package io.streamfit.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.tensorflow.ndarray.Shape;

/**
 * The byte layout of a model checkpoint: the one place that writes and parses it.
 * {@link GraphCheckpoint} moves the values between it and the graph.
 *
 * <p>Byte format, version 1 (also in {@link SharedWeightRegressor}'s public doc and in
 * {@code docs/state-format.md}: change all together, and bump {@link #FORMAT_VERSION}); every
 * number little-endian:
 * <pre>
 *   4 bytes   magic "SFCK" (0x53 0x46 0x43 0x4B)
 *   int32     format version (1)
 *   int32     L, then L bytes: the spec fingerprint, UTF-8 ({@link ModelSpec#fingerprint()})
 *   int64     update count (the model version)
 *   int32     V, the number of variables; then V times, in name order:
 *               int32 L, then L bytes: variable name, UTF-8
 *               int32 dtype, TensorFlow's DataType number (1 = float32)
 *               int32 rank, then rank x int64: the dimensions
 *               int32 L, then L bytes: the values, row-major, TensorFlow's host layout
 *                     (little-endian on the x86-64 and aarch64 builds TensorFlow Java ships)
 *   int32     CRC-32 of every byte before it
 * </pre>
 *
 * <p>Version 2 is version 1 with one more field before the CRC: {@code float64} the runtime
 * learning-rate scale in (0, 1] ({@link GraphModel#learningRateScale()}), which divergence recovery
 * lowers. It is written only when the scale is not 1, so a model that never diverged writes the
 * very bytes of version 1 and older readers keep reading it; a version-2 blob is refused by them
 * with the version message, which is the point of the number.
 *
 * <p>Since a model's variables have fixed names, dtypes and shapes, every byte but the values, the
 * update count and the CRC is known when the model is built: this object holds one preformatted
 * image, headers written once, whose value ranges the exporter fills, and {@link #encode} adds the
 * rest. Not thread-safe.
 */
final class CheckpointFormat {

    static final byte[] MAGIC = {'S', 'F', 'C', 'K'};
    static final int FORMAT_VERSION = 1;
    /** {@link #FORMAT_VERSION} with the learning-rate scale before the CRC. */
    static final int SCALED_FORMAT_VERSION = 2;
    /** DataType number of float32, the only dtype {@link #allFinite} needs to look at. */
    private static final int DT_FLOAT = 1;

    /**
     * One variable as the format holds it.
     *
     * @param dtype  TensorFlow's DataType number
     * @param shape  fully known
     * @param length bytes of its values
     */
    record Entry(String name, int dtype, Shape shape, int length) {
    }

    private final String fingerprint;
    private final List<Entry> entries;
    /** The whole checkpoint; values as last filled in, update count and CRC written per export. */
    private final byte[] image;
    private final int updatesAt;
    /** Where each entry's values start in {@link #image}. */
    private final int[] valuesAt;

    /** Lays out the image of a checkpoint of {@code entries}, in their order, and writes its headers. */
    CheckpointFormat(String fingerprint, List<Entry> entries) {
        this.fingerprint = fingerprint;
        this.entries = List.copyOf(entries);
        byte[] fingerprintBytes = fingerprint.getBytes(StandardCharsets.UTF_8);
        int at = MAGIC.length + 4 + 4 + fingerprintBytes.length;
        this.updatesAt = at;
        at += 8 + 4;
        this.valuesAt = new int[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            at += 4 + e.name.getBytes(StandardCharsets.UTF_8).length + 4 + 4 + 8 * e.shape.numDimensions() + 4;
            valuesAt[i] = at;
            at += e.length;
        }
        this.image = new byte[at + 4];
        ByteBuffer out = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(FORMAT_VERSION).putInt(fingerprintBytes.length).put(fingerprintBytes);
        out.putLong(0L).putInt(entries.size());
        for (Entry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            out.putInt(name.length).put(name);
            out.putInt(e.dtype).putInt(e.shape.numDimensions());
            for (long d : e.shape.asArray()) {
                out.putLong(d);
            }
            out.putInt(e.length);
            out.position(out.position() + e.length);
        }
    }

    /** The image to fill: entry i's values go to {@code [valuesAt(i), valuesAt(i) + length)}. */
    byte[] image() {
        return image;
    }

    /** Where entry {@code i}'s values start in {@link #image()}. */
    int valuesAt(int i) {
        return valuesAt[i];
    }

    /** A checkpoint: a copy of the image with {@code updates} and the CRC written. */
    byte[] encode(long updates) {
        byte[] out = image.clone();
        ByteBuffer buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(updatesAt, updates);
        buffer.putInt(out.length - 4, crc(out, out.length - 4));
        return out;
    }

    /**
     * A checkpoint with a learning-rate scale: {@link #encode(long)} itself when {@code lrScale} is
     * 1 (version 1), else version 2 with the scale before the CRC.
     */
    byte[] encode(long updates, double lrScale) {
        if (lrScale == 1.0) {
            return encode(updates);
        }
        byte[] out = new byte[image.length + 8];
        System.arraycopy(image, 0, out, 0, image.length - 4);
        ByteBuffer buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(MAGIC.length, SCALED_FORMAT_VERSION);
        buffer.putLong(updatesAt, updates);
        buffer.putDouble(image.length - 4, lrScale);
        buffer.putInt(out.length - 4, crc(out, out.length - 4));
        return out;
    }

    /**
     * Whether every float32 value of the image is finite. Divergence recovery rolls back to the
     * stored checkpoint, so a checkpoint must never hold a NaN or an infinity.
     */
    boolean allFinite() {
        ByteBuffer in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.dtype != DT_FLOAT) {
                continue;
            }
            for (int at = valuesAt[i], end = at + e.length; at < end; at += 4) {
                if (!Float.isFinite(in.getFloat(at))) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The learning-rate scale of a checkpoint that {@link #read} accepted: 1 in version 1.
     */
    static double learningRateScale(byte[] state) {
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        return in.getInt(MAGIC.length) == SCALED_FORMAT_VERSION ? in.getDouble(state.length - 12) : 1.0;
    }

    /**
     * Checks {@code state}'s header (magic, version, CRC, learning-rate scale) and reads its
     * fingerprint, update count and variable count; read its variables from the returned reader,
     * in order: {@link Reader#nextValues()} when {@link Reader#fingerprint()} is this format's (the
     * very layout, checked entry by entry), {@link Reader#nextStored()} to take them as they are.
     *
     * @throws IllegalArgumentException if {@code state} is corrupt or of another format version
     */
    Reader read(byte[] state) {
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        if (state.length < MAGIC.length + 8 || !Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException("not a streamfit model checkpoint (bad magic bytes, "
                    + state.length + " bytes)");
        }
        in.position(MAGIC.length);
        int format = in.getInt();
        if (format != FORMAT_VERSION && format != SCALED_FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported checkpoint format version " + format
                    + "; this build reads versions " + FORMAT_VERSION + " and " + SCALED_FORMAT_VERSION);
        }
        int stored = in.getInt(state.length - 4);
        int actual = crc(state, state.length - 4);
        if (stored != actual) {
            throw new IllegalArgumentException("corrupt checkpoint: CRC-32 mismatch (" + state.length + " bytes)");
        }
        if (format == SCALED_FORMAT_VERSION) {
            double scale = in.getDouble(state.length - 12);
            if (!(scale > 0 && scale <= 1)) {
                throw new IllegalArgumentException("corrupt checkpoint: learning-rate scale " + scale
                        + " is not in (0, 1]");
            }
        }
        String otherFingerprint = new String(bytes(in), StandardCharsets.UTF_8);
        long updates = in.getLong();
        int count = in.getInt();
        if (count < 0) {
            throw new IllegalArgumentException("corrupt checkpoint: " + count + " variables");
        }
        return new Reader(in, otherFingerprint, updates, count);
    }

    /** This format's fingerprint: the one every export writes. */
    String fingerprint() {
        return fingerprint;
    }

    /**
     * A variable as a checkpoint holds it, whichever model wrote it.
     *
     * @param dims   its dimensions
     * @param values its values, row-major
     */
    record Stored(String name, int dtype, long[] dims, byte[] values) {

        /** Whether it has the name, dtype and shape of {@code e}. */
        boolean fits(Entry e) {
            return name.equals(e.name) && dtype == e.dtype && Arrays.equals(dims, e.shape.asArray());
        }
    }

    /** The variables of a checkpoint whose header {@link #read} checked. */
    final class Reader {

        private final ByteBuffer in;
        private final String fingerprint;
        private final long updates;
        private final int count;
        private int next;

        private Reader(ByteBuffer in, String fingerprint, long updates, int count) {
            this.in = in;
            this.fingerprint = fingerprint;
            this.updates = updates;
            this.count = count;
        }

        /** The spec fingerprint the checkpoint was written under. */
        String fingerprint() {
            return fingerprint;
        }

        /** The update count stored in the checkpoint. */
        long updates() {
            return updates;
        }

        /** How many variables the checkpoint holds. */
        int count() {
            return count;
        }

        /**
         * The values of the next variable, after checking that its name, dtype and shape are those
         * of the next entry (and, at the first, that the checkpoint holds as many variables as the
         * format).
         *
         * @throws IllegalArgumentException if they are not, or the checkpoint is corrupt
         */
        byte[] nextValues() {
            if (next == 0 && count != entries.size()) {
                throw new IllegalArgumentException("checkpoint holds " + count + " variables, the model has "
                        + entries.size());
            }
            Entry e = entries.get(next++);
            Stored s = stored();
            if (!s.fits(e)) {
                throw new IllegalArgumentException("checkpoint variable '" + s.name + "' (dtype " + s.dtype + ", shape "
                        + Arrays.toString(s.dims) + ") does not match the model's '" + e.name + "' (dtype "
                        + e.dtype + ", shape " + e.shape + ")");
            }
            return s.values;
        }

        /**
         * Every variable of the checkpoint as it holds it, by name.
         *
         * @throws IllegalArgumentException if the checkpoint is corrupt
         */
        Map<String, Stored> allStored() {
            Map<String, Stored> out = new LinkedHashMap<>();
            while (next < count) {
                next++;
                Stored s = stored();
                out.put(s.name, s);
            }
            return out;
        }

        private Stored stored() {
            String name = new String(bytes(in), StandardCharsets.UTF_8);
            int dtype = in.getInt();
            int rank = in.getInt();
            if (rank < 0 || rank > in.remaining() / 8) {
                throw new IllegalArgumentException("corrupt checkpoint: variable '" + name + "' of rank " + rank);
            }
            long[] dims = new long[rank];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = in.getLong();
            }
            return new Stored(name, dtype, dims, bytes(in));
        }
    }

    /** The entries, in checkpoint order. */
    List<Entry> entries() {
        return entries;
    }

    private static byte[] bytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("corrupt checkpoint: length " + n + " at offset "
                    + (in.position() - 4) + " exceeds the " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static int crc(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
