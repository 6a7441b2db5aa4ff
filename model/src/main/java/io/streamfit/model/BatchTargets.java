package io.streamfit.model;

import java.util.Arrays;

/**
 * What an {@link ObjectBatch} holds to learn from: per object a target and a class label with
 * their masks, per timestep a sum target and class-count targets with their masks, and the rules
 * that derive a timestep's sum and counts from its objects ({@link ObjectBatch}, "Supervision").
 * Objects and timesteps are indexed as in the batch, which does the bookkeeping of which object
 * belongs to which timestep. Buffers grow as needed and are reused after {@link #clear()}.
 */
final class BatchTargets {

    private float[] objectTarget = new float[16];
    private float[] objectMask = new float[16];
    private int[] labels = new int[16];
    private float[] labelMask = new float[16];

    private float[] sumTarget = new float[4];
    private float[] sumMask = new float[4];
    private boolean[] explicitSum = new boolean[4];

    /** Class counts of every timestep that has them, back to back; timestep t's at countOffset[t]. */
    private float[] counts = new float[16];
    private int countsUsed;
    private int[] countOffset = new int[4];
    private int[] countLength = new int[4];
    private float[] countMask = new float[4];
    private boolean[] explicitCounts = new boolean[4];

    void clear() {
        countsUsed = 0;
    }

    /** Makes room for {@code objects} objects. */
    void growObjects(int objects) {
        objectTarget = Arrays.copyOf(objectTarget, objects);
        objectMask = Arrays.copyOf(objectMask, objects);
        labels = Arrays.copyOf(labels, objects);
        labelMask = Arrays.copyOf(labelMask, objects);
    }

    /** Makes room for {@code timesteps} timesteps. */
    void growTimesteps(int timesteps) {
        sumTarget = Arrays.copyOf(sumTarget, timesteps);
        sumMask = Arrays.copyOf(sumMask, timesteps);
        explicitSum = Arrays.copyOf(explicitSum, timesteps);
        countOffset = Arrays.copyOf(countOffset, timesteps);
        countLength = Arrays.copyOf(countLength, timesteps);
        countMask = Arrays.copyOf(countMask, timesteps);
        explicitCounts = Arrays.copyOf(explicitCounts, timesteps);
    }

    /** Timestep {@code t} starts without supervision. */
    void beginTimestep(int t) {
        sumTarget[t] = 0f;
        sumMask[t] = 0f;
        explicitSum[t] = false;
        countLength[t] = 0;
        countMask[t] = 0f;
        explicitCounts[t] = false;
    }

    /** Object {@code i} starts with {@code target} when it has one, and without a label. */
    void beginObject(int i, boolean hasTarget, float target) {
        objectTarget[i] = hasTarget ? target : 0f;
        objectMask[i] = hasTarget ? 1f : 0f;
        labels[i] = -1;
        labelMask[i] = 0f;
    }

    void setLabel(int i, int label) {
        labels[i] = label;
        labelMask[i] = 1f;
    }

    void setSumTarget(int t, float value) {
        sumTarget[t] = value;
        sumMask[t] = 1f;
        explicitSum[t] = true;
    }

    /** Timestep {@code t}'s explicit class counts (copied; not empty). */
    void setSumCounts(int t, float[] classCounts) {
        int at = reserveCounts(classCounts.length);
        System.arraycopy(classCounts, 0, counts, at, classCounts.length);
        countOffset[t] = at;
        countLength[t] = classCounts.length;
        countMask[t] = 1f;
        explicitCounts[t] = true;
    }

    /**
     * Derives timestep {@code t}'s sum target and class counts from its objects
     * {@code [from, to)} (not empty) where no explicit ones were set and every object has a target,
     * or a label.
     */
    void deriveSums(int t, int from, int to) {
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

    private int reserveCounts(int length) {
        if (countsUsed + length > counts.length) {
            counts = Arrays.copyOf(counts, Math.max(countsUsed + length, counts.length * 2));
        }
        int at = countsUsed;
        countsUsed += length;
        return at;
    }

    /** Whether timestep {@code t}, of objects {@code [from, to)}, has any supervision. */
    boolean supervised(int t, int from, int to) {
        if (sumMask[t] != 0f || countMask[t] != 0f) {
            return true;
        }
        for (int i = from; i < to; i++) {
            if (objectMask[i] != 0f || labelMask[i] != 0f) {
                return true;
            }
        }
        return false;
    }

    float[] objectTarget() {
        return objectTarget;
    }

    float[] objectMask() {
        return objectMask;
    }

    int[] labels() {
        return labels;
    }

    float[] labelMask() {
        return labelMask;
    }

    float[] sumTarget() {
        return sumTarget;
    }

    float[] sumMask() {
        return sumMask;
    }

    float[] sumCounts(int t) {
        return Arrays.copyOfRange(counts, countOffset[t], countOffset[t] + countLength[t]);
    }

    float[] sumCountMask() {
        return countMask;
    }

    int sumCountsLength(int t) {
        return countLength[t];
    }

    boolean explicitSumCounts(int t) {
        return explicitCounts[t];
    }

    void copySumCounts(int t, float[] dest, int offset) {
        System.arraycopy(counts, countOffset[t], dest, offset, countLength[t]);
    }

    /** Bytes of the buffers' capacity. */
    long allocatedBytes() {
        long ints = (long) labels.length + countOffset.length + countLength.length;
        long floats = (long) objectTarget.length + objectMask.length + labelMask.length + sumTarget.length
                + sumMask.length + counts.length + countMask.length;
        return 4 * (ints + floats) + explicitSum.length + explicitCounts.length;
    }
}
