package io.streamfit.model;

import java.util.Arrays;

/**
 * A micro-batch of B timesteps with N objects in all, laid out as the shared-weight network takes
 * it: the features of every object (objects are the batch dimension), the timestep index of every
 * object (segment ids for the per-timestep sums), per-object targets and class labels with masks,
 * and per-timestep sum targets and class-count targets with masks.
 *
 * <h2>Feature layouts</h2>
 * Chosen at construction. {@link #ObjectBatch(int) Dense}: a row-major [N, m] matrix ({@link #x()}).
 * {@link #sparse(int) Sparse}: COO triples (object row, feature index, value), {@link #nnz()} of
 * them ({@link #cooRows()}, {@link #cooCols()}, {@link #cooValues()}); it never allocates [N, m], so
 * its memory is O(N + nnz) however large m is. Both layouts take both kinds of objects: a dense
 * object added to a sparse batch keeps its nonzero values, a sparse object added to a dense batch
 * is scattered into its row. Repeated indices of one sparse object add up in both layouts.
 *
 * <h2>Supervision</h2>
 * The sum target of a timestep is the explicit {@code sumTarget} when one was given, else the
 * sum of the object targets when every object of the timestep has one; otherwise the timestep
 * has no sum supervision. Class counts follow the same rule: the explicit counts when given
 * ({@link #setSumCounts}), else, when every object of the timestep has a label, the number of
 * objects of each class (so the derived counts have max label + 1 entries; the model pads them
 * with zeros to C). A timestep is supervised when it has an object target, a label, a sum target
 * or class counts.
 *
 * <p>Buffers grow as needed and are reused after {@link #clear()}, so a long-lived batch does not
 * allocate on the per-record path. Not thread-safe.
 *
 * <p>This class keeps which object belongs to which timestep, checks the calls, and is the
 * batch's public face; the features live in {@link BatchFeatures}, the targets, labels and sums in
 * {@link BatchTargets}. Why it is still over 300 lines: that face is some two dozen documented
 * accessors that the models, the service and the tests read, each delegating in one line to a
 * part; moving them too would make every caller reach into the parts.
 */
public final class ObjectBatch {

    private final int features;
    private final BatchFeatures featureValues;
    private final BatchTargets targets = new BatchTargets();

    private int timesteps;
    private int objects;
    /** The timestep of each object. */
    private int[] segment = new int[16];
    /** Timestep t's objects are [firstObject[t], firstObject[t + 1]). */
    private int[] firstObject = new int[5];

    /**
     * A batch in the dense layout.
     *
     * @param features m, the number of features per object (at least 1)
     */
    public ObjectBatch(int features) {
        this(features, false);
    }

    /**
     * A batch in the sparse (COO) layout, for large m: nothing it holds scales with N * m.
     *
     * @param features m, the number of features per object (at least 1)
     */
    public static ObjectBatch sparse(int features) {
        return new ObjectBatch(features, true);
    }

    private ObjectBatch(int features, boolean sparse) {
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        this.features = features;
        this.featureValues = new BatchFeatures(features, sparse);
    }

    /** Empties the batch, keeping its buffers. */
    public void clear() {
        timesteps = 0;
        objects = 0;
        featureValues.clear();
        targets.clear();
    }

    /**
     * Starts a new timestep; the objects added next belong to it.
     *
     * @return the index of the new timestep within this batch
     */
    public int beginTimestep() {
        if (timesteps + 1 > firstObject.length - 1) {
            int cap = Math.max(timesteps + 1, 2 * (firstObject.length - 1));
            firstObject = Arrays.copyOf(firstObject, cap + 1);
            targets.growTimesteps(cap);
        }
        int t = timesteps++;
        targets.beginTimestep(t);
        firstObject[t] = objects;
        firstObject[t + 1] = objects;
        return t;
    }

    /**
     * Adds a dense object to the current timestep.
     *
     * @param values    m feature values, read from {@code offset}
     * @param offset    where this object's features start in {@code values}
     * @param hasTarget whether {@code target} is a label for this object
     * @param target    the object's target (ignored when {@code hasTarget} is false)
     * @return the index of the object within this batch
     */
    public int addDense(float[] values, int offset, boolean hasTarget, float target) {
        featureValues.checkDense(values, offset);
        int i = startObject(hasTarget, target);
        featureValues.putDense(i, values, offset);
        return i;
    }

    /**
     * Adds a sparse object to the current timestep; the features not listed are zero.
     *
     * @param indices feature indices in [0, m); a repeated index adds its values up
     * @param values  the values at those indices (same length as {@code indices})
     * @throws IllegalArgumentException if an index is out of range or the lengths differ; the
     *                                  batch is unchanged then
     */
    public int addSparse(int[] indices, float[] values, boolean hasTarget, float target) {
        featureValues.checkSparse(indices, values);
        int i = startObject(hasTarget, target);
        featureValues.putSparse(i, indices, values);
        return i;
    }

    private int startObject(boolean hasTarget, float target) {
        currentTimestep();
        if (objects + 1 > segment.length) {
            int cap = Math.max(objects + 1, segment.length * 2);
            segment = Arrays.copyOf(segment, cap);
            featureValues.growObjects(cap);
            targets.growObjects(cap);
        }
        int i = objects++;
        segment[i] = timesteps - 1;
        targets.beginObject(i, hasTarget, target);
        firstObject[timesteps] = objects;
        return i;
    }

    /**
     * Gives the object added last a class label; the model checks it against its number of classes.
     *
     * @param label the class index, at least 0
     * @throws IllegalStateException if the current timestep has no object yet
     */
    public void setLabel(int label) {
        int t = currentTimestep();
        if (objects == firstObject[t]) {
            throw new IllegalStateException("setLabel applies to the object added last; timestep " + t
                    + " has no object yet");
        }
        if (label < 0) {
            throw new IllegalArgumentException("class label must be >= 0, got " + label);
        }
        targets.setLabel(objects - 1, label);
    }

    /** Sets an explicit sum target for the current timestep (it wins over the sum of object targets). */
    public void setSumTarget(float value) {
        targets.setSumTarget(currentTimestep(), value);
    }

    /**
     * Sets explicit class-count targets for the current timestep (they win over counts derived
     * from labels); the model checks that there are C of them.
     *
     * @param classCounts the target number of objects of each class (copied)
     */
    public void setSumCounts(float[] classCounts) {
        int t = currentTimestep();
        if (classCounts.length == 0) {
            throw new IllegalArgumentException("class counts of timestep " + t + " are empty");
        }
        targets.setSumCounts(t, classCounts);
    }

    /**
     * Ends the current timestep: derives its sum target from the object targets when no explicit
     * one was set and every object has a target, and its class counts from the labels when no
     * explicit ones were set and every object has a label.
     */
    public void endTimestep() {
        int t = currentTimestep();
        firstObject[t + 1] = objects;
        if (objects > firstObject[t]) {
            targets.deriveSums(t, firstObject[t], objects);
        }
    }

    private int currentTimestep() {
        if (timesteps == 0) {
            throw new IllegalStateException("beginTimestep() first");
        }
        return timesteps - 1;
    }

    /** m, features per object. */
    public int features() {
        return features;
    }

    /** Whether this batch holds its features as COO triples ({@link #sparse(int)}). */
    public boolean isSparse() {
        return featureValues.sparse();
    }

    /** B, timesteps in the batch. */
    public int timesteps() {
        return timesteps;
    }

    /** N, objects in the batch (over all timesteps). */
    public int objects() {
        return objects;
    }

    /** Objects of timestep {@code t}: indices [firstObject(t), firstObject(t + 1)). */
    public int firstObject(int t) {
        return firstObject[t];
    }

    /**
     * Row-major [N, m] features; only the first N*m entries are valid.
     *
     * @throws IllegalStateException in the sparse layout, which has no such matrix
     */
    public float[] x() {
        return featureValues.x();
    }

    /**
     * The number of COO triples (sparse layout).
     *
     * @throws IllegalStateException in the dense layout
     */
    public int nnz() {
        return featureValues.nnz();
    }

    /** The object (row) of each triple, in [0, N); only the first {@link #nnz()} entries are valid. */
    public int[] cooRows() {
        return featureValues.cooRows();
    }

    /** The feature index (column) of each triple, in [0, m); only the first {@link #nnz()} are valid. */
    public int[] cooCols() {
        return featureValues.cooCols();
    }

    /** The value of each triple; only the first {@link #nnz()} entries are valid. */
    public float[] cooValues() {
        return featureValues.cooValues();
    }

    /** Timestep index per object; only the first N entries are valid. */
    public int[] segment() {
        return segment;
    }

    public float[] objectTarget() {
        return targets.objectTarget();
    }

    /** 1 where the object has a target, else 0. */
    public float[] objectMask() {
        return targets.objectMask();
    }

    /** The class label per object, -1 where it has none; only the first N entries are valid. */
    public int[] labels() {
        return targets.labels();
    }

    /** 1 where the object has a label, else 0; only the first N entries are valid. */
    public float[] labelMask() {
        return targets.labelMask();
    }

    public float[] sumTarget() {
        return targets.sumTarget();
    }

    /** 1 where the timestep has a sum target (explicit or derived), else 0. */
    public float[] sumMask() {
        return targets.sumMask();
    }

    /**
     * The class-count targets of timestep {@code t} (a copy): the explicit ones, or those derived
     * from the labels (max label + 1 entries); empty when the timestep has none.
     */
    public float[] sumCounts(int t) {
        return targets.sumCounts(t);
    }

    /** 1 where the timestep has class-count targets (explicit or derived), else 0; first B entries valid. */
    public float[] sumCountMask() {
        return targets.sumCountMask();
    }

    /** How many class counts timestep {@code t} has (0 when none). */
    int sumCountsLength(int t) {
        return targets.sumCountsLength(t);
    }

    /** Whether timestep {@code t}'s class counts were set explicitly rather than derived from labels. */
    boolean explicitSumCounts(int t) {
        return targets.explicitSumCounts(t);
    }

    /** Copies timestep {@code t}'s class counts to {@code dest} from {@code offset}. */
    void copySumCounts(int t, float[] dest, int offset) {
        targets.copySumCounts(t, dest, offset);
    }

    /** Whether timestep {@code t} has any supervision (an object target or label, a sum target or class counts). */
    public boolean supervised(int t) {
        return targets.supervised(t, firstObject[t], firstObject[t + 1]);
    }

    /** Whether any timestep of the batch is supervised. */
    public boolean anySupervised() {
        for (int t = 0; t < timesteps; t++) {
            if (supervised(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Bytes held by this batch's buffers (their capacity, not just the valid part): O(N * m) in the
     * dense layout, O(N + nnz) in the sparse one. For memory checks.
     */
    public long allocatedBytes() {
        return 4L * (segment.length + firstObject.length) + featureValues.allocatedBytes() + targets.allocatedBytes();
    }
}
