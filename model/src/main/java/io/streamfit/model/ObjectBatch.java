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
 */
public final class ObjectBatch {

    private final int features;
    private final boolean sparse;

    private int timesteps;
    private int objects;

    /** Dense layout: [N, m] row-major; null in the sparse layout. */
    private float[] x;
    /** Sparse layout: COO triples; null in the dense layout. */
    private int[] cooRows;
    private int[] cooCols;
    private float[] cooValues;
    private int nnz;

    private int[] segment;
    private float[] objectTarget;
    private float[] objectMask;
    private int[] labels;
    private float[] labelMask;

    private float[] sumTarget;
    private float[] sumMask;
    private boolean[] explicitSum;
    private int[] firstObject;

    /** Class counts of every timestep that has them, back to back; timestep t's at countOffset[t]. */
    private float[] counts;
    private int countsUsed;
    private int[] countOffset;
    private int[] countLength;
    private float[] countMask;
    private boolean[] explicitCounts;

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
        this.sparse = sparse;
        if (sparse) {
            this.cooRows = new int[64];
            this.cooCols = new int[64];
            this.cooValues = new float[64];
        } else {
            this.x = new float[16 * features];
        }
        this.segment = new int[16];
        this.objectTarget = new float[16];
        this.objectMask = new float[16];
        this.labels = new int[16];
        this.labelMask = new float[16];
        this.sumTarget = new float[4];
        this.sumMask = new float[4];
        this.explicitSum = new boolean[4];
        this.firstObject = new int[5];
        this.counts = new float[16];
        this.countOffset = new int[4];
        this.countLength = new int[4];
        this.countMask = new float[4];
        this.explicitCounts = new boolean[4];
    }

    /** Empties the batch, keeping its buffers. */
    public void clear() {
        timesteps = 0;
        objects = 0;
        nnz = 0;
        countsUsed = 0;
    }

    /**
     * Starts a new timestep; the objects added next belong to it.
     *
     * @return the index of the new timestep within this batch
     */
    public int beginTimestep() {
        ensureTimesteps(timesteps + 1);
        int t = timesteps++;
        sumTarget[t] = 0f;
        sumMask[t] = 0f;
        explicitSum[t] = false;
        countLength[t] = 0;
        countMask[t] = 0f;
        explicitCounts[t] = false;
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
        if (offset < 0 || offset + features > values.length) {
            throw new IllegalArgumentException("dense object needs " + features + " values from offset " + offset
                    + ", the array has " + values.length);
        }
        int i = startObject(hasTarget, target);
        if (sparse) {
            for (int j = 0; j < features; j++) {
                float v = values[offset + j];
                // Zeros add nothing to x W, so only the nonzero values are kept.
                if (v != 0f) {
                    appendTriple(i, j, v);
                }
            }
        } else {
            System.arraycopy(values, offset, x, i * features, features);
        }
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
        if (indices.length != values.length) {
            throw new IllegalArgumentException("sparse object has " + indices.length + " indices but "
                    + values.length + " values");
        }
        for (int idx : indices) {
            if (idx < 0 || idx >= features) {
                throw new IllegalArgumentException("sparse index " + idx + " out of range [0, " + features + ")");
            }
        }
        int i = startObject(hasTarget, target);
        if (sparse) {
            for (int j = 0; j < indices.length; j++) {
                appendTriple(i, indices[j], values[j]);
            }
        } else {
            int row = i * features;
            Arrays.fill(x, row, row + features, 0f);
            for (int j = 0; j < indices.length; j++) {
                x[row + indices[j]] += values[j];
            }
        }
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
        labels[objects - 1] = label;
        labelMask[objects - 1] = 1f;
    }

    /** Sets an explicit sum target for the current timestep (it wins over the sum of object targets). */
    public void setSumTarget(float value) {
        int t = currentTimestep();
        sumTarget[t] = value;
        sumMask[t] = 1f;
        explicitSum[t] = true;
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
        int at = reserveCounts(classCounts.length);
        System.arraycopy(classCounts, 0, counts, at, classCounts.length);
        countOffset[t] = at;
        countLength[t] = classCounts.length;
        countMask[t] = 1f;
        explicitCounts[t] = true;
    }

    /**
     * Ends the current timestep: derives its sum target from the object targets when no explicit
     * one was set and every object has a target, and its class counts from the labels when no
     * explicit ones were set and every object has a label.
     */
    public void endTimestep() {
        int t = currentTimestep();
        firstObject[t + 1] = objects;
        int from = firstObject[t];
        int to = objects;
        if (to == from) {
            return;
        }
        if (!explicitSum[t] && allMarked(objectMask, from, to)) {
            float s = 0f;
            for (int i = from; i < to; i++) {
                s += objectTarget[i];
            }
            sumTarget[t] = s;
            sumMask[t] = 1f;
        }
        if (!explicitCounts[t] && allMarked(labelMask, from, to)) {
            int width = 0;
            for (int i = from; i < to; i++) {
                width = Math.max(width, labels[i] + 1);
            }
            int at = reserveCounts(width);
            Arrays.fill(counts, at, at + width, 0f);
            for (int i = from; i < to; i++) {
                counts[at + labels[i]] += 1f;
            }
            countOffset[t] = at;
            countLength[t] = width;
            countMask[t] = 1f;
        }
    }

    private static boolean allMarked(float[] mask, int from, int to) {
        for (int i = from; i < to; i++) {
            if (mask[i] == 0f) {
                return false;
            }
        }
        return true;
    }

    private int startObject(boolean hasTarget, float target) {
        currentTimestep();
        ensureObjects(objects + 1);
        int i = objects++;
        segment[i] = timesteps - 1;
        objectTarget[i] = hasTarget ? target : 0f;
        objectMask[i] = hasTarget ? 1f : 0f;
        labels[i] = -1;
        labelMask[i] = 0f;
        firstObject[timesteps] = objects;
        return i;
    }

    private void appendTriple(int row, int col, float value) {
        if (nnz == cooRows.length) {
            int cap = cooRows.length * 2;
            cooRows = Arrays.copyOf(cooRows, cap);
            cooCols = Arrays.copyOf(cooCols, cap);
            cooValues = Arrays.copyOf(cooValues, cap);
        }
        cooRows[nnz] = row;
        cooCols[nnz] = col;
        cooValues[nnz] = value;
        nnz++;
    }

    private int reserveCounts(int length) {
        if (countsUsed + length > counts.length) {
            counts = Arrays.copyOf(counts, Math.max(countsUsed + length, counts.length * 2));
        }
        int at = countsUsed;
        countsUsed += length;
        return at;
    }

    private int currentTimestep() {
        if (timesteps == 0) {
            throw new IllegalStateException("beginTimestep() first");
        }
        return timesteps - 1;
    }

    private void ensureObjects(int n) {
        if (n > segment.length) {
            int cap = Math.max(n, segment.length * 2);
            if (!sparse) {
                // Exact: a wrapped product would size x too small, and i * features would then wrap
                // into another object's row instead of failing.
                x = Arrays.copyOf(x, Math.multiplyExact(cap, features));
            }
            segment = Arrays.copyOf(segment, cap);
            objectTarget = Arrays.copyOf(objectTarget, cap);
            objectMask = Arrays.copyOf(objectMask, cap);
            labels = Arrays.copyOf(labels, cap);
            labelMask = Arrays.copyOf(labelMask, cap);
        }
    }

    private void ensureTimesteps(int n) {
        if (n > sumTarget.length) {
            int cap = Math.max(n, sumTarget.length * 2);
            sumTarget = Arrays.copyOf(sumTarget, cap);
            sumMask = Arrays.copyOf(sumMask, cap);
            explicitSum = Arrays.copyOf(explicitSum, cap);
            firstObject = Arrays.copyOf(firstObject, cap + 1);
            countOffset = Arrays.copyOf(countOffset, cap);
            countLength = Arrays.copyOf(countLength, cap);
            countMask = Arrays.copyOf(countMask, cap);
            explicitCounts = Arrays.copyOf(explicitCounts, cap);
        }
    }

    /** m, features per object. */
    public int features() {
        return features;
    }

    /** Whether this batch holds its features as COO triples ({@link #sparse(int)}). */
    public boolean isSparse() {
        return sparse;
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
        if (sparse) {
            throw new IllegalStateException("a sparse batch has no dense [N, m] matrix; read cooRows(), cooCols() "
                    + "and cooValues()");
        }
        return x;
    }

    /**
     * The number of COO triples (sparse layout).
     *
     * @throws IllegalStateException in the dense layout
     */
    public int nnz() {
        requireSparse();
        return nnz;
    }

    /** The object (row) of each triple, in [0, N); only the first {@link #nnz()} entries are valid. */
    public int[] cooRows() {
        requireSparse();
        return cooRows;
    }

    /** The feature index (column) of each triple, in [0, m); only the first {@link #nnz()} are valid. */
    public int[] cooCols() {
        requireSparse();
        return cooCols;
    }

    /** The value of each triple; only the first {@link #nnz()} entries are valid. */
    public float[] cooValues() {
        requireSparse();
        return cooValues;
    }

    private void requireSparse() {
        if (!sparse) {
            throw new IllegalStateException("a dense batch has no COO triples; read x()");
        }
    }

    /** Timestep index per object; only the first N entries are valid. */
    public int[] segment() {
        return segment;
    }

    public float[] objectTarget() {
        return objectTarget;
    }

    /** 1 where the object has a target, else 0. */
    public float[] objectMask() {
        return objectMask;
    }

    /** The class label per object, -1 where it has none; only the first N entries are valid. */
    public int[] labels() {
        return labels;
    }

    /** 1 where the object has a label, else 0; only the first N entries are valid. */
    public float[] labelMask() {
        return labelMask;
    }

    public float[] sumTarget() {
        return sumTarget;
    }

    /** 1 where the timestep has a sum target (explicit or derived), else 0. */
    public float[] sumMask() {
        return sumMask;
    }

    /**
     * The class-count targets of timestep {@code t} (a copy): the explicit ones, or those derived
     * from the labels (max label + 1 entries); empty when the timestep has none.
     */
    public float[] sumCounts(int t) {
        return Arrays.copyOfRange(counts, countOffset[t], countOffset[t] + countLength[t]);
    }

    /** 1 where the timestep has class-count targets (explicit or derived), else 0; first B entries valid. */
    public float[] sumCountMask() {
        return countMask;
    }

    /** How many class counts timestep {@code t} has (0 when none). */
    int sumCountsLength(int t) {
        return countLength[t];
    }

    /** Whether timestep {@code t}'s class counts were set explicitly rather than derived from labels. */
    boolean explicitSumCounts(int t) {
        return explicitCounts[t];
    }

    /** Copies timestep {@code t}'s class counts to {@code dest} from {@code offset}. */
    void copySumCounts(int t, float[] dest, int offset) {
        System.arraycopy(counts, countOffset[t], dest, offset, countLength[t]);
    }

    /** Whether timestep {@code t} has any supervision (an object target or label, a sum target or class counts). */
    public boolean supervised(int t) {
        if (sumMask[t] != 0f || countMask[t] != 0f) {
            return true;
        }
        for (int i = firstObject[t]; i < firstObject[t + 1]; i++) {
            if (objectMask[i] != 0f || labelMask[i] != 0f) {
                return true;
            }
        }
        return false;
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
        long ints = (long) segment.length + labels.length + firstObject.length + countOffset.length
                + countLength.length + (sparse ? cooRows.length + cooCols.length : 0);
        long floats = (long) objectTarget.length + objectMask.length + labelMask.length + sumTarget.length
                + sumMask.length + counts.length + countMask.length + (sparse ? cooValues.length : x.length);
        return 4 * (ints + floats) + explicitSum.length + explicitCounts.length;
    }
}
