package io.streamfit.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.RawTensor;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Exports and imports every variable of a finished graph (model weights and optimizer slots and
 * step counters alike) together with the model's update count, as one self-checking byte array.
 *
 * <p>Variables are found generically, as the graph's {@code VariableV2} operations sorted by name,
 * so optimizer state that tensorflow-framework keeps in variables is included without knowing the
 * optimizer. One placeholder and one {@code Assign} per variable are added when this object is
 * built, so an import adds no operations to the graph. Build it after the optimizer.
 *
 * <p>Byte format, version 1 (also in {@link SharedWeightRegressor}'s public doc: change both
 * together, and bump {@link #FORMAT_VERSION}); every number little-endian:
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
 * <p>Not thread-safe; use it under the owning model's single thread.
 */
final class GraphCheckpoint {

    static final byte[] MAGIC = {'S', 'F', 'C', 'K'};
    static final int FORMAT_VERSION = 1;

    private record Slot(String name, Output<?> variable, DataType dtype, Shape shape,
                        Placeholder<?> value, Assign<?> assign) {
    }

    private final String fingerprint;
    private final byte[] fingerprintBytes;
    private final List<Slot> slots = new ArrayList<>();

    /**
     * @param graph       the finished graph (model and optimizer built)
     * @param tf          ops of {@code graph}; the restore ops go under its sub-scope {@code checkpoint}
     * @param fingerprint written into every export and required of every import
     */
    GraphCheckpoint(Graph graph, Ops tf, String fingerprint) {
        this.fingerprint = fingerprint;
        this.fingerprintBytes = fingerprint.getBytes(StandardCharsets.UTF_8);
        List<GraphOperation> variables = new ArrayList<>();
        graph.operations().forEachRemaining(op -> {
            if (Optimizer.VARIABLE_V2.equals(op.type())) {
                variables.add(op);
            }
        });
        // Names are assigned deterministically while building, so this order is the same in every
        // model of the same spec, which is what lets a checkpoint move between processes.
        variables.sort(Comparator.comparing(GraphOperation::name));
        Ops restore = tf.withSubScope("checkpoint");
        for (GraphOperation op : variables) {
            slots.add(slot(restore, op));
        }
    }

    private static Slot slot(Ops restore, GraphOperation op) {
        DataType dtype = op.attributes().getAttrType("dtype");
        Shape shape = op.attributes().getAttrShape("shape");
        Output<?> variable = op.output(0);
        return slotOf(restore, op.name(), variable, dtype, shape);
    }

    private static <T extends TType> Slot slotOf(Ops restore, String name, Output<T> variable, DataType dtype,
                                                 Shape shape) {
        Placeholder<T> value = restore.placeholder(variable.type(), Placeholder.shape(shape));
        Assign<T> assign = restore.assign(variable, value);
        return new Slot(name, variable, dtype, shape, value, assign);
    }

    /** The variable names in checkpoint order. */
    List<String> names() {
        return slots.stream().map(Slot::name).toList();
    }

    /** Serialises all variables and {@code updates} in the format of the class doc. */
    byte[] export(Session session, long updates) {
        Session.Runner runner = session.runner();
        for (Slot s : slots) {
            runner.fetch(s.variable);
        }
        try (Result result = runner.run()) {
            byte[][] names = new byte[slots.size()][];
            int size = MAGIC.length + 4 + 4 + fingerprintBytes.length + 8 + 4;
            for (int i = 0; i < slots.size(); i++) {
                names[i] = slots.get(i).name.getBytes(StandardCharsets.UTF_8);
                size += 4 + names[i].length + 4 + 4 + 8 * slots.get(i).shape.numDimensions() + 4
                        + Math.toIntExact(result.get(i).numBytes());
            }
            size += 4;
            ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            out.put(MAGIC).putInt(FORMAT_VERSION).putInt(fingerprintBytes.length).put(fingerprintBytes);
            out.putLong(updates).putInt(slots.size());
            for (int i = 0; i < slots.size(); i++) {
                Slot s = slots.get(i);
                out.putInt(names[i].length).put(names[i]);
                out.putInt(s.dtype.getNumber()).putInt(s.shape.numDimensions());
                for (long d : s.shape.asArray()) {
                    out.putLong(d);
                }
                // The fetched tensor may alias the live variable buffer: copy it out now, before
                // any later run can update the variable in place.
                RawTensor raw = result.get(i).asRawTensor();
                byte[] bytes = new byte[Math.toIntExact(raw.numBytes())];
                raw.data().read(bytes);
                out.putInt(bytes.length).put(bytes);
            }
            out.putInt(crc(out.array(), out.position()));
            return out.array();
        }
    }

    /**
     * Assigns every variable from {@code state} in one run. Nothing is assigned unless the whole
     * state is valid.
     *
     * @return the update count stored in {@code state}
     * @throws IllegalArgumentException if {@code state} is corrupt, of another format version, of
     *                                  another spec fingerprint, or of other variables
     */
    long importInto(Session session, byte[] state) {
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        if (state.length < MAGIC.length + 8 || !Arrays.equals(state, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException("not a streamfit model checkpoint (bad magic bytes, "
                    + state.length + " bytes)");
        }
        in.position(MAGIC.length);
        int format = in.getInt();
        if (format != FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported checkpoint format version " + format
                    + "; this build reads version " + FORMAT_VERSION);
        }
        int stored = in.getInt(state.length - 4);
        int actual = crc(state, state.length - 4);
        if (stored != actual) {
            throw new IllegalArgumentException("corrupt checkpoint: CRC-32 mismatch (" + state.length + " bytes)");
        }
        String otherFingerprint = new String(bytes(in), StandardCharsets.UTF_8);
        if (!otherFingerprint.equals(fingerprint)) {
            throw new IllegalArgumentException("checkpoint is of another model: its spec fingerprint is '"
                    + otherFingerprint + "', this model's is '" + fingerprint + "'");
        }
        long updates = in.getLong();
        int count = in.getInt();
        if (count != slots.size()) {
            throw new IllegalArgumentException("checkpoint holds " + count + " variables, the model has "
                    + slots.size());
        }
        List<Tensor> tensors = new ArrayList<>(count);
        try {
            Session.Runner runner = session.runner();
            for (Slot s : slots) {
                Tensor t = readVariable(in, s);
                tensors.add(t);
                runner.feed(s.value, t).addTarget(s.assign);
            }
            runner.run().close();
        } finally {
            for (Tensor t : tensors) {
                t.close();
            }
        }
        return updates;
    }

    private Tensor readVariable(ByteBuffer in, Slot s) {
        String name = new String(bytes(in), StandardCharsets.UTF_8);
        int dtype = in.getInt();
        long[] dims = new long[in.getInt()];
        for (int d = 0; d < dims.length; d++) {
            dims[d] = in.getLong();
        }
        if (!name.equals(s.name) || dtype != s.dtype.getNumber() || !Arrays.equals(dims, s.shape.asArray())) {
            throw new IllegalArgumentException("checkpoint variable '" + name + "' (dtype " + dtype + ", shape "
                    + Arrays.toString(dims) + ") does not match the model's '" + s.name + "' (dtype "
                    + s.dtype.getNumber() + ", shape " + s.shape + ")");
        }
        byte[] values = bytes(in);
        return newTensor(s.variable.type(), s.shape, values);
    }

    private static <T extends TType> T newTensor(Class<T> type, Shape shape, byte[] values) {
        T t = Tensor.of(type, shape);
        if (t.numBytes() != values.length) {
            t.close();
            throw new IllegalArgumentException("checkpoint variable of shape " + shape + " holds " + values.length
                    + " bytes, expected " + t.numBytes());
        }
        t.asRawTensor().data().write(values);
        return t;
    }

    /**
     * The current values of every float32 variable, in checkpoint order (copies).
     */
    Map<String, float[]> readFloats(Session session) {
        Session.Runner runner = session.runner();
        List<Slot> floats = slots.stream().filter(s -> s.dtype == DataType.DT_FLOAT).toList();
        for (Slot s : floats) {
            runner.fetch(s.variable);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Result result = runner.run()) {
            for (int i = 0; i < floats.size(); i++) {
                values.put(floats.get(i).name, copy((TFloat32) result.get(i)));
            }
        }
        return values;
    }

    static float[] copy(TFloat32 t) {
        float[] values = new float[Math.toIntExact(t.shape().size())];
        t.asRawTensor().data().asFloats().read(values);
        return values;
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
