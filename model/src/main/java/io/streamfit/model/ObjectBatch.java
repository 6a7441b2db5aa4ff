package io.streamfit.model;

import java.util.Arrays;

/**
 * A micro-batch of B timesteps with N objects in all, laid out as the shared-weight network takes
 * it: a dense [N, m] feature matrix (objects are the batch dimension), the timestep index of every
 * object (segment ids for the per-timestep sums), per-object targets with a mask, and per-timestep
 * sum targets with a mask.
 *
 * <p>The sum target of a timestep is the explicit {@code sumTarget} when one was given, else the
 * sum of the object targets when every object of the timestep has one; otherwise the timestep
 * has no sum supervision. A timestep is supervised when it has an object target or a sum target.
 *
 * <p>Buffers grow as needed and are reused after {@link #clear()}, so a long-lived batch does not
 * allocate on the per-record path. Not thread-safe.
 */
public final class ObjectBatch {

    private final int features;

    private int timesteps;
    private int objects;

    private float[] x;
    private int[] segment;
    private float[] objectTarget;
    private float[] objectMask;

    private float[] sumTarget;
    private float[] sumMask;
    private boolean[] explicitSum;
    private int[] firstObject;

    /**
     * @param features m, the number of features per object (at least 1)
     */
    public ObjectBatch(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        this.features = features;
        this.x = new float[16 * features];
        this.segment = new int[16];
        this.objectTarget = new float[16];
        this.objectMask = new float[16];
        this.sumTarget = new float[4];
        this.sumMask = new float[4];
        this.explicitSum = new boolean[4];
        this.firstObject = new int[5];
    }

    /** Empties the batch, keeping its buffers. */
    public void clear() {
        timesteps = 0;
        objects = 0;
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
        int i = startObject(hasTarget, target);
        System.arraycopy(values, offset, x, i * features, features);
        return i;
    }

    /**
     * Adds a sparse object to the current timestep; the features not listed are zero.
     *
     * @param indices feature indices in [0, m)
     * @param values  the values at those indices (same length as {@code indices})
     */
    public int addSparse(int[] indices, float[] values, boolean hasTarget, float target) {
        int i = startObject(hasTarget, target);
        int row = i * features;
        Arrays.fill(x, row, row + features, 0f);
        for (int j = 0; j < indices.length; j++) {
            int idx = indices[j];
            if (idx < 0 || idx >= features) {
                throw new IllegalArgumentException("sparse index " + idx + " out of range [0, " + features + ")");
            }
            x[row + idx] += values[j];
        }
        return i;
    }

    /** Sets an explicit sum target for the current timestep (it wins over the sum of object targets). */
    public void setSumTarget(float value) {
        int t = currentTimestep();
        sumTarget[t] = value;
        sumMask[t] = 1f;
        explicitSum[t] = true;
    }

    /**
     * Ends the current timestep: derives its sum target from the object targets when no explicit
     * one was set and every object has a target.
     */
    public void endTimestep() {
        int t = currentTimestep();
        firstObject[t + 1] = objects;
        if (explicitSum[t]) {
            return;
        }
        int from = firstObject[t];
        int to = objects;
        if (to == from) {
            return;
        }
        float s = 0f;
        for (int i = from; i < to; i++) {
            if (objectMask[i] == 0f) {
                return;
            }
            s += objectTarget[i];
        }
        sumTarget[t] = s;
        sumMask[t] = 1f;
    }

    private int startObject(boolean hasTarget, float target) {
        currentTimestep();
        ensureObjects(objects + 1);
        int i = objects++;
        segment[i] = timesteps - 1;
        objectTarget[i] = hasTarget ? target : 0f;
        objectMask[i] = hasTarget ? 1f : 0f;
        firstObject[timesteps] = objects;
        return i;
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
            x = Arrays.copyOf(x, cap * features);
            segment = Arrays.copyOf(segment, cap);
            objectTarget = Arrays.copyOf(objectTarget, cap);
            objectMask = Arrays.copyOf(objectMask, cap);
        }
    }

    private void ensureTimesteps(int n) {
        if (n > sumTarget.length) {
            int cap = Math.max(n, sumTarget.length * 2);
            sumTarget = Arrays.copyOf(sumTarget, cap);
            sumMask = Arrays.copyOf(sumMask, cap);
            explicitSum = Arrays.copyOf(explicitSum, cap);
            firstObject = Arrays.copyOf(firstObject, cap + 1);
        }
    }

    /** m, features per object. */
    public int features() {
        return features;
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

    /** Row-major [N, m] features; only the first N*m entries are valid. */
    public float[] x() {
        return x;
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

    public float[] sumTarget() {
        return sumTarget;
    }

    /** 1 where the timestep has a sum target (explicit or derived), else 0. */
    public float[] sumMask() {
        return sumMask;
    }

    /** Whether timestep {@code t} has any supervision (an object target or a sum target). */
    public boolean supervised(int t) {
        if (sumMask[t] != 0f) {
            return true;
        }
        for (int i = firstObject[t]; i < firstObject[t + 1]; i++) {
            if (objectMask[i] != 0f) {
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
}
