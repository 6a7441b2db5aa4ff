package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.RawTensor;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Exports and imports every variable of a finished graph (model weights and optimizer slots and
 * step counters alike) together with the model's update count, as one self-checking byte array in
 * the layout of {@link CheckpointFormat}; this class holds the graph side, the ops that read and
 * write the variables.
 *
 * <p>Variables are found generically, as the graph's {@code VariableV2} operations sorted by name,
 * so optimizer state that tensorflow-framework keeps in variables is included without knowing the
 * optimizer. One placeholder and one {@code Assign} per variable are added when this object is
 * built, so an import adds no operations to the graph. Build it after the optimizer.
 *
 * <p>Export is one fetch per dtype (in practice one: every variable is float32): the graph holds a
 * snapshot op per dtype that concatenates that dtype's variables, flattened, in checkpoint order.
 * A second set of snapshot ops waits for the update ({@link GuardedUpdate#settled}) so that a
 * training run fetches the state it leaves behind ({@link #fetchAfterUpdate}); an export after it
 * ({@link #captureAfterUpdate}) then needs no session run, only copying into the format's
 * preformatted image and the CRC.
 *
 * <p>Not thread-safe; use it under the owning model's single thread.
 */
final class GraphCheckpoint {

    private record Slot(String name, Output<?> variable, DataType dtype, Shape shape,
                        Placeholder<?> value, Assign<?> assign) {
    }

    /**
     * Where one variable's values lie: bytes {@code [from, from + length)} of its dtype's snapshot
     * tensor ({@code group}).
     */
    private record Place(int group, long from, int length) {
    }

    /**
     * What an import took from a state: its update count, and the learning-rate scale the model
     * goes on with (the state's, unless it was written under another learning rate).
     */
    record Imported(long updates, double learningRateScale) {
    }

    /**
     * How a state of another fingerprint (same shape, other training settings) is imported: its
     * weights always; its optimizer state when the same optimizer wrote it (and its slots are
     * this model's); its learning-rate scale when the learning rate is the same.
     */
    private record Adaptation(boolean sameOptimizer, boolean sameLearningRate) {
    }

    /** Adaptations decided, by stored fingerprint: a handful at most (the settings of earlier runs). */
    private static final int ADAPTATIONS_KEPT = 16;

    private final Graph graph;
    private final CheckpointFormat format;
    /** The model's weights by variable name (everything else is optimizer state); null: all are weights. */
    private final java.util.Set<String> weights;
    private final Map<String, Adaptation> adaptations = new java.util.HashMap<>();
    /** Per optimizer variable, the initializer that gives it its first value; found when first needed. */
    private Map<String, GraphOperation> resets;
    private final List<Slot> slots = new ArrayList<>();
    private final List<Place> places = new ArrayList<>();
    /** Per dtype group, in order of first appearance in checkpoint order: the bytes of its snapshot. */
    private final long[] groupBytes;
    /** A run that reads the state as it is: the snapshot per dtype group. */
    private final Fetches snapshot = new Fetches();
    private final Fetch[] snapshotFetches;
    /** The snapshot per dtype group, read after the run's update ({@link GuardedUpdate#settled}). */
    private final List<Operand<?>> snapshotAfterUpdate = new ArrayList<>();
    /** Where the training run's plan holds {@link #snapshotAfterUpdate}; see {@link #fetchAfterUpdate}. */
    private Fetch[] afterUpdateFetches;
    /** Whether the format's image holds the variables' current values. */
    private boolean imageCurrent;
    /** Exports that had to run the session (for tests: an export after a step must not). */
    private long exportRuns;

    /**
     * @param graph       the finished graph (model and optimizer built)
     * @param tf          ops of {@code graph}; the restore and snapshot ops go under its sub-scope
     *                    {@code checkpoint}
     * @param fingerprint written into every export and required of every import
     * @param settled     an op that runs after every write of a training run, and runs (is never
     *                    dead) in every run that updates ({@link GuardedUpdate#settled})
     * @throws IllegalArgumentException if a variable's shape is not fully known or its dtype has no
     *                                  fixed element size (strings): such values have no byte
     *                                  layout in the format
     */
    GraphCheckpoint(Graph graph, Ops tf, String fingerprint, Op settled) {
        this(graph, tf, fingerprint, settled, null);
    }

    /**
     * @param weights the names of the variables that are the model's weights (its layers' kernels
     *                and biases); every other variable is the optimizer's (slots, step counters).
     *                With them a state of the same shape but other training settings imports
     *                ({@link SpecFingerprint}); null: only states of {@code fingerprint} import
     */
    GraphCheckpoint(Graph graph, Ops tf, String fingerprint, Op settled, java.util.Set<String> weights) {
        this.graph = graph;
        this.weights = weights == null ? null : java.util.Set.copyOf(weights);
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

        // Group by dtype, keeping checkpoint order inside each group, and lay out the image.
        Map<DataType, Integer> groups = new LinkedHashMap<>();
        List<List<Slot>> members = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<CheckpointFormat.Entry> entries = new ArrayList<>();
        for (Slot s : slots) {
            int group = groups.computeIfAbsent(s.dtype, d -> {
                members.add(new ArrayList<>());
                sizes.add(0L);
                return members.size() - 1;
            });
            int length = Math.toIntExact(elementBytes(s) * s.shape.size());
            entries.add(new CheckpointFormat.Entry(s.name, s.dtype.getNumber(), s.shape, length));
            places.add(new Place(group, sizes.get(group), length));
            members.get(group).add(s);
            sizes.set(group, sizes.get(group) + length);
        }
        this.format = new CheckpointFormat(fingerprint, entries);
        this.groupBytes = sizes.stream().mapToLong(Long::longValue).toArray();

        Ops snap = restore.withSubScope("snapshot");
        Ops afterUpdate = restore.withSubScope("snapshot_after_update").withControlDependencies(List.of(settled));
        Operand<TInt32> flat = snap.constant(new int[] {-1});
        this.snapshotFetches = new Fetch[members.size()];
        for (int g = 0; g < members.size(); g++) {
            snapshotFetches[g] = snapshot.add(concatenated(snap, members.get(g), flat));
            snapshotAfterUpdate.add(concatenated(afterUpdate, members.get(g), flat));
        }
    }

    /** One dtype's variables, flattened and concatenated in checkpoint order: [sum of their sizes]. */
    private static Operand<?> concatenated(Ops tf, List<Slot> group, Operand<TInt32> flat) {
        return concatenatedOf(tf, group, group.get(0).variable.type(), flat);
    }

    @SuppressWarnings("unchecked")
    private static <T extends TType> Operand<T> concatenatedOf(Ops tf, List<Slot> group, Class<T> type,
                                                              Operand<TInt32> flat) {
        List<Operand<T>> parts = new ArrayList<>(group.size());
        for (Slot s : group) {
            // Reading a variable through a reshape in a scope with control dependencies reads it
            // when those have run, not when the variable op ran.
            parts.add(tf.reshape((Output<T>) s.variable, flat));
        }
        // ConcatV2 needs at least two inputs; a lone variable is copied out by the fetch itself.
        return parts.size() == 1 ? tf.identity(parts.get(0)) : tf.concat(parts, tf.constant(0));
    }

    /** Bytes of one element of {@code s}'s dtype, as TensorFlow lays it out on the host. */
    private static long elementBytes(Slot s) {
        if (s.shape.isUnknown() || s.shape.hasUnknownDimension()) {
            throw new IllegalArgumentException("variable '" + s.name + "' has shape " + s.shape
                    + ": a checkpoint needs every variable's shape fully known");
        }
        if (s.variable.type() == TString.class) {
            throw new IllegalArgumentException("variable '" + s.name + "' is a string variable: a checkpoint holds"
                    + " only variables of fixed-size elements");
        }
        try (Tensor one = Tensor.of(s.variable.type(), Shape.of(1))) {
            return one.numBytes();
        }
    }

    /** The variable of {@code op} with the placeholder and the assign that import it. */
    private static Slot slot(Ops restore, GraphOperation op) {
        return slotOf(restore, op.name(), op.output(0), op.attributes().getAttrShape("shape"),
                op.attributes().getAttrType("dtype"));
    }

    private static <T extends TType> Slot slotOf(Ops restore, String name, Output<T> variable, Shape shape,
                                                 DataType dtype) {
        Placeholder<T> value = restore.placeholder(variable.type(), Placeholder.shape(shape));
        return new Slot(name, variable, dtype, shape, value, restore.assign(variable, value));
    }

    /** The variable names in checkpoint order. */
    List<String> names() {
        return slots.stream().map(Slot::name).toList();
    }

    /**
     * Serialises all variables and {@code updates} in the format of {@link CheckpointFormat}. Needs
     * no session run when the last run that could change a variable was a training run whose state
     * was kept ({@link #captureAfterUpdate}); otherwise one run with one fetch per dtype.
     */
    byte[] export(Session session, long updates) {
        return export(session, updates, 1.0);
    }

    /** {@link #export(Session, long)} with a learning-rate scale ({@link CheckpointFormat#encode(long, double)}). */
    byte[] export(Session session, long updates, double lrScale) {
        makeCurrent(session);
        return format.encode(updates, lrScale);
    }

    /** Whether every float32 variable holds finite values now; as cheap as an export. */
    boolean allFinite(Session session) {
        makeCurrent(session);
        return format.allFinite();
    }

    private void makeCurrent(Session session) {
        if (!imageCurrent) {
            exportRuns++;
            try (Result result = snapshot.addTo(session.runner()).run()) {
                fill(result, snapshotFetches);
            }
            imageCurrent = true;
        }
    }

    /** How many {@link #export} calls ran the session (the others copied the state a step fetched). */
    long exportRuns() {
        return exportRuns;
    }

    /**
     * Adds to {@code training}, the plan of the model's training run, the fetches of the state that
     * run leaves (one per dtype); a run of it then calls {@link #beforeUpdateRun} and
     * {@link #captureAfterUpdate}. Call once, when the graph is built.
     */
    void fetchAfterUpdate(Fetches training) {
        Fetch[] fetches = new Fetch[snapshotAfterUpdate.size()];
        for (int g = 0; g < fetches.length; g++) {
            fetches[g] = training.add(snapshotAfterUpdate.get(g));
        }
        afterUpdateFetches = fetches;
    }

    /**
     * Call before a training run: until {@link #captureAfterUpdate} the state is taken to have
     * changed, so a run that fails leaves no stale export behind.
     */
    void beforeUpdateRun() {
        imageCurrent = false;
    }

    /**
     * Keeps the state that a training run ({@link #fetchAfterUpdate}) left, for the next
     * {@link #export}; call it before {@code result} is closed.
     */
    void captureAfterUpdate(Result result) {
        if (afterUpdateFetches == null) {
            throw new IllegalStateException("no training run fetches the state: fetchAfterUpdate first");
        }
        fill(result, afterUpdateFetches);
        imageCurrent = true;
    }

    /** Copies the snapshot of every dtype group, fetched as {@code groups}, into the image. */
    private void fill(Result result, Fetch[] groups) {
        ByteDataBuffer[] data = new ByteDataBuffer[groupBytes.length];
        for (int g = 0; g < data.length; g++) {
            RawTensor raw = groups[g].in(result).asRawTensor();
            if (raw.numBytes() != groupBytes[g]) {
                throw new IllegalStateException("checkpoint snapshot " + g + " holds " + raw.numBytes()
                        + " bytes, the variables " + groupBytes[g]);
            }
            // A lone variable's snapshot may alias the live buffer: it is copied out here, before
            // any later run can update it in place.
            data[g] = raw.data();
        }
        byte[] image = format.image();
        for (int i = 0; i < places.size(); i++) {
            Place p = places.get(i);
            data[p.group].slice(p.from, p.length).read(image, format.valuesAt(i), p.length);
        }
    }

    /**
     * Assigns every variable from {@code state} in one run. Nothing is assigned unless the whole
     * state is valid.
     *
     * <p>A state of this fingerprint is assigned whole. A state of another fingerprint with the
     * same shape ({@link ModelSpec#shapeFingerprint()}: written under other training settings)
     * gives the weights; the optimizer's variables take its values when the same optimizer wrote
     * them with the same slots, and start over (their initial values) otherwise.
     *
     * @return the update count stored in {@code state}, and the learning-rate scale to go on with
     * @throws IllegalArgumentException if {@code state} is corrupt, of another format version, of
     *                                  another shape, or of other variables
     */
    Imported importInto(Session session, byte[] state) {
        CheckpointFormat.Reader in = format.read(state);
        double scale = CheckpointFormat.learningRateScale(state);
        List<Tensor> tensors = new ArrayList<>(slots.size());
        if (in.fingerprint().equals(format.fingerprint())) {
            List<byte[]> values = new ArrayList<>(slots.size());
            for (int i = 0; i < slots.size(); i++) {
                values.add(in.nextValues());
            }
            // From here a failed run may have assigned some of the variables.
            imageCurrent = false;
            try {
                Session.Runner runner = session.runner();
                for (int i = 0; i < slots.size(); i++) {
                    Slot s = slots.get(i);
                    Tensor t = newTensor(s.variable.type(), s.shape, values.get(i));
                    tensors.add(t);
                    runner.feed(s.value, t).addTarget(s.assign);
                }
                runner.run().close();
            } finally {
                tensors.forEach(Tensor::close);
            }
            return new Imported(in.updates(), scale);
        }
        Adaptation a = adaptation(in.fingerprint());
        Map<String, CheckpointFormat.Stored> stored = in.allStored();
        boolean keepOptimizer = keepsOptimizerState(a, stored);
        Map<String, GraphOperation> initial = keepOptimizer ? Map.of() : resets();
        imageCurrent = false;
        try {
            Session.Runner runner = session.runner();
            for (int i = 0; i < slots.size(); i++) {
                Slot s = slots.get(i);
                if (keepOptimizer || weights.contains(s.name)) {
                    Tensor t = newTensor(s.variable.type(), s.shape, stored.get(s.name).values());
                    tensors.add(t);
                    runner.feed(s.value, t).addTarget(s.assign);
                } else {
                    runner.addTarget(initial.get(s.name));
                }
            }
            runner.run().close();
        } finally {
            tensors.forEach(Tensor::close);
        }
        return new Imported(in.updates(), a.sameLearningRate() ? scale : 1.0);
    }

    /**
     * Checks {@code state} as {@link #importInto} would, without a session: nothing is assigned.
     *
     * @return the update count stored in {@code state}, and the learning-rate scale an import
     *         would go on with
     */
    Imported check(byte[] state) {
        CheckpointFormat.Reader in = format.read(state);
        double scale = CheckpointFormat.learningRateScale(state);
        if (in.fingerprint().equals(format.fingerprint())) {
            for (int i = 0; i < slots.size(); i++) {
                int length = in.nextValues().length;
                if (length != places.get(i).length) {
                    throw new IllegalArgumentException("checkpoint variable '" + slots.get(i).name + "' holds "
                            + length + " bytes, expected " + places.get(i).length);
                }
            }
            return new Imported(in.updates(), scale);
        }
        Adaptation a = adaptation(in.fingerprint());
        Map<String, CheckpointFormat.Stored> stored = in.allStored();
        boolean keepOptimizer = keepsOptimizerState(a, stored);
        if (!keepOptimizer) {
            resets();
        }
        return new Imported(in.updates(), a.sameLearningRate() ? scale : 1.0);
    }

    /**
     * How a state of fingerprint {@code stored} imports.
     *
     * @throws IllegalArgumentException when its shape is not this model's (or this checkpoint
     *                                  knows no weights: it imports its own fingerprint only)
     */
    private Adaptation adaptation(String stored) {
        Adaptation a = adaptations.get(stored);
        if (a != null) {
            return a;
        }
        SpecFingerprint theirs = SpecFingerprint.parse(stored);
        SpecFingerprint mine = SpecFingerprint.parse(format.fingerprint());
        if (weights == null || !theirs.sameShape(mine)) {
            throw new IllegalArgumentException("checkpoint is of another model: its spec fingerprint is '" + stored
                    + "', this model's is '" + format.fingerprint() + "'" + (weights == null ? ""
                    : " (the settings that shape the weights differ: " + theirs.shapeChanges(mine) + ")"));
        }
        a = new Adaptation(theirs.sameOptimizer(mine), theirs.sameLearningRate(mine));
        if (adaptations.size() >= ADAPTATIONS_KEPT) {
            adaptations.clear();
        }
        adaptations.put(stored, a);
        return a;
    }

    /**
     * Checks that {@code stored} holds every weight of this model, as this model has it, and
     * decides whether its optimizer state is taken: when the same optimizer wrote it and it holds
     * exactly this model's optimizer variables.
     */
    private boolean keepsOptimizerState(Adaptation a, Map<String, CheckpointFormat.Stored> stored) {
        List<CheckpointFormat.Entry> entries = format.entries();
        boolean sameSlots = true;
        int optimizerVariables = 0;
        for (int i = 0; i < entries.size(); i++) {
            CheckpointFormat.Entry e = entries.get(i);
            CheckpointFormat.Stored s = stored.get(e.name());
            boolean fits = s != null && s.fits(e) && s.values().length == e.length();
            if (weights.contains(e.name())) {
                if (!fits) {
                    throw new IllegalArgumentException("checkpoint of the same shape lacks the weights '" + e.name()
                            + "' (dtype " + e.dtype() + ", shape " + e.shape() + ") or holds them otherwise: "
                            + (s == null ? "absent" : "dtype " + s.dtype() + ", shape " + Arrays.toString(s.dims())));
                }
            } else {
                optimizerVariables++;
                sameSlots &= fits;
            }
        }
        long theirOptimizerVariables = stored.keySet().stream().filter(n -> !weights.contains(n)).count();
        return a.sameOptimizer() && sameSlots && theirOptimizerVariables == optimizerVariables;
    }

    /** The initializer of every optimizer variable, which gives it its first value again. */
    private Map<String, GraphOperation> resets() {
        if (resets == null) {
            Map<String, GraphOperation> found = new java.util.HashMap<>();
            graph.operations().forEachRemaining(op -> {
                if ("Assign".equals(op.type()) && graph.isInitializer(op)) {
                    found.put(op.input(0).op().name(), op);
                }
            });
            Map<String, GraphOperation> out = new java.util.HashMap<>();
            for (Slot s : slots) {
                if (!weights.contains(s.name)) {
                    GraphOperation init = found.get(s.name);
                    if (init == null) {
                        throw new IllegalStateException("optimizer variable '" + s.name + "' has no initializer to "
                                + "start it over");
                    }
                    out.put(s.name, init);
                }
            }
            resets = out;
        }
        return resets;
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

    /** The current values of every float32 variable, in checkpoint order (copies). */
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
}
