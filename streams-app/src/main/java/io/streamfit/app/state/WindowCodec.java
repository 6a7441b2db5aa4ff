package io.streamfit.app.state;

import java.nio.ByteBuffer;
import java.util.List;

import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ObjectWindowState;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * The window store's value: writes {@code ObjectWindowState.avsc} (Avro single-object encoding);
 * reads that and the legacy byte layout of earlier versions.
 *
 * <p>Legacy layout (big-endian, no version marker): int64 count, int32 W, int32 m, then W * m
 * float32, row-major [W, m], oldest timestep first; exactly {@code 16 + 4 W m} bytes.
 *
 * <p>Telling them apart: a value that starts with {@code 0xC3 0x01} is Avro; anything else is
 * read as the legacy layout, and must then be exactly as long as its W and m say. This is
 * unambiguous because a legacy value starts with the object's timestep count, big-endian, which is
 * never negative (it starts at 0 and only grows), so its first byte has the top bit clear (0x00 to
 * 0x7F), while 0xC3 has it set. The same store and changelog hold both forms until every old
 * window has been rewritten (each object's window is rewritten with its next timestep).
 */
public final class WindowCodec {

    /** {@code formatVersion} this build writes and reads. */
    public static final int FORMAT = 1;
    /** {@code formatVersion} of a value decoded from the legacy byte layout, which had none. */
    public static final int LEGACY = 0;

    private static final Schema VALUES_SCHEMA = ObjectWindowState.getClassSchema().getField("values").schema();
    private static final int LEGACY_HEADER = 8 + 4 + 4;

    private WindowCodec() {
    }

    /**
     * The store value of a window.
     *
     * @param values {@code window * features} values, row-major, oldest timestep first
     */
    public static byte[] encode(long count, int window, int features, float[] values) {
        if (values.length != window * features) {
            throw new IllegalArgumentException(values.length + " values for a window of " + window + " x " + features);
        }
        PrimitivesArrays.FloatArray list = new PrimitivesArrays.FloatArray(values.length, VALUES_SCHEMA);
        for (float v : values) {
            list.add(list.size(), v); // (index, float): no boxing
        }
        return StreamfitSerdes.objectWindowState().encode(new ObjectWindowState(FORMAT, count, window, features, list));
    }

    /**
     * Decodes a store value of either form; its {@code values} hold exactly {@code window * features}
     * values.
     *
     * @return the fields, with {@code formatVersion} {@link #LEGACY} for the legacy layout
     * @throws IllegalArgumentException            for bytes of neither form, or inconsistent fields
     * @throws IllegalStateException               for an Avro value of an unknown format version
     * @throws io.streamfit.schemas.InvalidRecordException for a corrupt Avro value
     */
    public static ObjectWindowState decode(byte[] value) {
        if (AvroSerde.isSingleObjectEncoded(value)) {
            ObjectWindowState w = StreamfitSerdes.objectWindowState().decode(value);
            FormatVersion.require("window store value", w.getFormatVersion(), FORMAT);
            if (w.getWindow() < 1 || w.getFeatures() < 1 || w.getCount() < 0
                    || w.getValues().size() != (long) w.getWindow() * w.getFeatures()) {
                throw new IllegalArgumentException("corrupt window store value: count " + w.getCount() + ", "
                        + w.getWindow() + " x " + w.getFeatures() + " with " + w.getValues().size() + " values");
            }
            return w;
        }
        return decodeLegacy(value);
    }

    /** Copies the window's values into {@code into} (at least {@code window * features} long). */
    public static void copyValues(ObjectWindowState w, float[] into) {
        List<Float> values = w.getValues();
        int n = values.size();
        if (values instanceof PrimitivesArrays.FloatArray floats) {
            for (int i = 0; i < n; i++) {
                into[i] = floats.getFloat(i);
            }
        } else {
            for (int i = 0; i < n; i++) {
                into[i] = values.get(i);
            }
        }
    }

    private static ObjectWindowState decodeLegacy(byte[] value) {
        if (value.length < LEGACY_HEADER || value[0] < 0) {
            throw new IllegalArgumentException("not a window store value: " + value.length
                    + " bytes, neither Avro (0xC3 0x01) nor the legacy layout (non-negative count, W, m)");
        }
        ByteBuffer buf = ByteBuffer.wrap(value);
        long count = buf.getLong();
        int window = buf.getInt();
        int features = buf.getInt();
        if (window < 1 || features < 1 || (long) window * features * 4 != buf.remaining()) {
            throw new IllegalArgumentException("corrupt legacy window store value: " + window + " x " + features
                    + " with " + buf.remaining() + " bytes of values");
        }
        PrimitivesArrays.FloatArray list = new PrimitivesArrays.FloatArray(window * features, VALUES_SCHEMA);
        while (buf.hasRemaining()) {
            list.add(list.size(), buf.getFloat());
        }
        return new ObjectWindowState(LEGACY, count, window, features, list);
    }
}
