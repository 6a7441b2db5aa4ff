package io.streamfit.model;

import java.util.Arrays;

/**
 * The features of an {@link ObjectBatch}'s objects in the layout chosen for the batch: a row-major
 * [N, m] matrix (dense), or COO triples (object row, feature index, value) that never allocate
 * [N, m] (sparse). Either layout takes dense and sparse objects; see {@link ObjectBatch}. Buffers
 * grow as needed and are reused after {@link #clear()}.
 */
final class BatchFeatures {

    private final int features;
    private final boolean sparse;

    /** Dense layout: [N, m] row-major; null in the sparse layout. */
    private float[] x;
    /** Sparse layout: COO triples; null in the dense layout. */
    private int[] cooRows;
    private int[] cooCols;
    private float[] cooValues;
    private int nnz;

    BatchFeatures(int features, boolean sparse) {
        this.features = features;
        this.sparse = sparse;
        if (sparse) {
            this.cooRows = new int[64];
            this.cooCols = new int[64];
            this.cooValues = new float[64];
        } else {
            this.x = new float[16 * features];
        }
    }

    boolean sparse() {
        return sparse;
    }

    void clear() {
        nnz = 0;
    }

    /** Makes room for {@code objects} objects: the dense matrix grows with the objects, triples as they come. */
    void growObjects(int objects) {
        if (!sparse) {
            // Exact: a wrapped product would size x too small, and i * features would then wrap into
            // another object's row instead of failing.
            x = Arrays.copyOf(x, Math.multiplyExact(objects, features));
        }
    }

    /** Checks a dense object's arguments, before the batch changes. */
    void checkDense(float[] values, int offset) {
        if (offset < 0 || offset + features > values.length) {
            throw new IllegalArgumentException("dense object needs " + features + " values from offset " + offset
                    + ", the array has " + values.length);
        }
    }

    /** Checks a sparse object's arguments, before the batch changes. */
    void checkSparse(int[] indices, float[] values) {
        if (indices.length != values.length) {
            throw new IllegalArgumentException("sparse object has " + indices.length + " indices but "
                    + values.length + " values");
        }
        for (int idx : indices) {
            if (idx < 0 || idx >= features) {
                throw new IllegalArgumentException("sparse index " + idx + " out of range [0, " + features + ")");
            }
        }
    }

    /** Sets object {@code row}'s features to {@code values[offset, offset + m)} (checked). */
    void putDense(int row, float[] values, int offset) {
        if (sparse) {
            for (int j = 0; j < features; j++) {
                float v = values[offset + j];
                // Zeros add nothing to x W, so only the nonzero values are kept.
                if (v != 0f) {
                    appendTriple(row, j, v);
                }
            }
        } else {
            System.arraycopy(values, offset, x, row * features, features);
        }
    }

    /** Sets object {@code row}'s features to {@code values} at {@code indices} (checked), zero elsewhere. */
    void putSparse(int row, int[] indices, float[] values) {
        if (sparse) {
            for (int j = 0; j < indices.length; j++) {
                appendTriple(row, indices[j], values[j]);
            }
        } else {
            int at = row * features;
            Arrays.fill(x, at, at + features, 0f);
            for (int j = 0; j < indices.length; j++) {
                x[at + indices[j]] += values[j];
            }
        }
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

    /** See {@link ObjectBatch#x()}. */
    float[] x() {
        if (sparse) {
            throw new IllegalStateException("a sparse batch has no dense [N, m] matrix; read cooRows(), cooCols() "
                    + "and cooValues()");
        }
        return x;
    }

    int nnz() {
        requireSparse();
        return nnz;
    }

    int[] cooRows() {
        requireSparse();
        return cooRows;
    }

    int[] cooCols() {
        requireSparse();
        return cooCols;
    }

    float[] cooValues() {
        requireSparse();
        return cooValues;
    }

    private void requireSparse() {
        if (!sparse) {
            throw new IllegalStateException("a dense batch has no COO triples; read x()");
        }
    }

    /** Bytes of the buffers' capacity. */
    long allocatedBytes() {
        return 4L * (sparse ? (long) cooRows.length + cooCols.length + cooValues.length : x.length);
    }
}
