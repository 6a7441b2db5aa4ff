package io.streamfit.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * How objects enter the first layer of a shared-weight network, {@code h = x W + b} for N objects
 * of m features, and how a batch is fed to it.
 *
 * <ul>
 *   <li>Dense: x is a float32 [N, m] placeholder and {@code h} a matrix product.</li>
 *   <li>Sparse (embedding-style): x arrives as COO triples (row, col, value) in three [nnz]
 *       placeholders plus the scalar N, and {@code h[n] = sum over the triples of row n of
 *       W[col] * value}: a gather of the rows of W, a product with the values and an unsorted
 *       segment sum by row into [N, out]. Memory and time are O(nnz * out + N * out), whatever m
 *       is; the gradient by W is the same segment sum taken back (GatherV2 and UnsortedSegmentSum
 *       both have gradients in TensorFlow's C++ gradient registry, which TensorFlow Java uses).</li>
 * </ul>
 * Either mode takes batches of either layout: a dense batch fed to the sparse mode is scanned for
 * its nonzeros, a sparse batch fed to the dense mode is scattered into [N, m] (the one place that
 * allocates N * m, only when a dense model is given a sparse batch).
 *
 * <p>Not thread-safe: the feeds and conversion buffers belong to the owning model's thread.
 */
final class InputLayer implements AutoCloseable {

    /** Input names of the sparse mode (placeholders and serving signature alike). */
    static final String ROWS = "rows";
    static final String COLS = "cols";
    static final String VALUES = "values";
    static final String OBJECTS = "objects";

    private final int features;
    private final boolean sparse;
    private final Map<String, Operand<?>> inputs = new LinkedHashMap<>();

    private Placeholder<TFloat32> x;
    /** What the first layer multiplies in the dense mode: {@link #x}, or its standardization. */
    private Operand<TFloat32> xIn;
    private Placeholder<TInt32> rows;
    private Placeholder<TInt32> cols;
    private Placeholder<TFloat32> values;
    private Placeholder<TInt32> objects;

    private final FeedTensor<TFloat32> xFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TInt32> rowsFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TInt32> colsFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TFloat32> valuesFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TInt32> objectsFeed = new FeedTensor<>(TInt32.class);
    private final int[] objectCount = new int[1];

    /** Conversion buffers, grown on demand, for a batch of the other layout. */
    private float[] denseScratch = new float[0];
    private int[] rowScratch = new int[0];
    private int[] colScratch = new int[0];
    private float[] valueScratch = new float[0];

    /**
     * Adds the input placeholders to the graph of {@code tf}.
     *
     * @param features  m, at least 1
     * @param sparse    whether x arrives as COO triples
     * @param denseName the name of the dense placeholder (unused in the sparse mode)
     */
    InputLayer(Ops tf, int features, boolean sparse, String denseName) {
        this(tf, features, sparse, denseName, null);
    }

    /**
     * Adds the input placeholders to the graph of {@code tf}, and with {@code scaling} the ops that
     * standardize the dense input before the first layer, {@code (x - mean) / scale} in float32
     * (for an export that takes raw features).
     *
     * @param scaling null, or m means and scales (dense mode only)
     * @throws IllegalArgumentException for scaling in the sparse mode (centring would make the input
     *                                  dense) or of another m
     */
    InputLayer(Ops tf, int features, boolean sparse, String denseName, InputScaling scaling) {
        if (scaling != null && (sparse || scaling.features() != features)) {
            throw new IllegalArgumentException(sparse ? "a sparse input takes no input scaling"
                    : "input scaling of " + scaling.features() + " features for an input of " + features);
        }
        this.features = features;
        this.sparse = sparse;
        if (sparse) {
            rows = tf.withName(ROWS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            cols = tf.withName(COLS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            values = tf.withName(VALUES).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            objects = tf.withName(OBJECTS).placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
            inputs.put(ROWS, rows);
            inputs.put(COLS, cols);
            inputs.put(VALUES, values);
            inputs.put(OBJECTS, objects);
        } else {
            x = tf.withName(denseName).placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, features)));
            inputs.put(denseName, x);
            xIn = scaling == null ? x : standardize(tf.withSubScope("input_scaling"), x, scaling);
        }
    }

    private static Operand<TFloat32> standardize(Ops scope, Operand<TFloat32> x, InputScaling scaling) {
        double[] mean = scaling.mean();
        double[] scale = scaling.scale();
        float[] m = new float[mean.length];
        float[] s = new float[scale.length];
        for (int j = 0; j < m.length; j++) {
            m[j] = (float) mean[j];
            s[j] = (float) scale[j];
        }
        return scope.math.div(scope.math.sub(x, scope.withName("mean").constant(m)),
                scope.withName("scale").constant(s));
    }

    /** The placeholders by name, for a serving signature. */
    Map<String, Operand<?>> inputs() {
        return inputs;
    }

    /**
     * {@code x kernel + bias}, [N, out], built under {@code scope}.
     *
     * @param kernel [m, out]
     * @param bias   [out]
     */
    Operand<TFloat32> apply(Ops scope, Operand<TFloat32> kernel, Operand<TFloat32> bias) {
        if (!sparse) {
            return scope.math.add(scope.linalg.matMul(xIn, kernel), bias);
        }
        Operand<TFloat32> picked = scope.gather(kernel, cols, scope.constant(0));
        Operand<TFloat32> weighted = scope.math.mul(picked, scope.expandDims(values, scope.constant(-1)));
        return scope.math.add(scope.math.unsortedSegmentSum(weighted, rows, objects), bias);
    }

    /** Feeds the first {@code batch.objects()} objects of {@code batch}, of either layout. */
    void feed(Session.Runner runner, ObjectBatch batch) {
        int n = batch.objects();
        if (!sparse) {
            float[] dense = batch.isSparse() ? scatter(batch) : batch.x();
            runner.feed(x, FeedTensor.write(xFeed, dense, n * features, n, features));
            return;
        }
        int nnz;
        int[] r;
        int[] c;
        float[] v;
        if (batch.isSparse()) {
            nnz = batch.nnz();
            r = batch.cooRows();
            c = batch.cooCols();
            v = batch.cooValues();
        } else {
            nnz = gatherNonzeros(batch);
            r = rowScratch;
            c = colScratch;
            v = valueScratch;
        }
        objectCount[0] = n;
        runner.feed(rows, FeedTensor.write(rowsFeed, r, nnz, nnz))
                .feed(cols, FeedTensor.write(colsFeed, c, nnz, nnz))
                .feed(values, FeedTensor.write(valuesFeed, v, nnz, nnz))
                .feed(objects, FeedTensor.write(objectsFeed, objectCount, 1));
    }

    private float[] scatter(ObjectBatch batch) {
        int size = batch.objects() * features;
        if (denseScratch.length < size) {
            denseScratch = new float[size];
        } else {
            java.util.Arrays.fill(denseScratch, 0, size, 0f);
        }
        int[] r = batch.cooRows();
        int[] c = batch.cooCols();
        float[] v = batch.cooValues();
        for (int k = 0; k < batch.nnz(); k++) {
            denseScratch[r[k] * features + c[k]] += v[k];
        }
        return denseScratch;
    }

    private int gatherNonzeros(ObjectBatch batch) {
        float[] dense = batch.x();
        int size = batch.objects() * features;
        int nnz = 0;
        for (int k = 0; k < size; k++) {
            if (dense[k] != 0f) {
                nnz++;
            }
        }
        if (rowScratch.length < nnz) {
            rowScratch = new int[nnz];
            colScratch = new int[nnz];
            valueScratch = new float[nnz];
        }
        int at = 0;
        for (int k = 0; k < size; k++) {
            if (dense[k] != 0f) {
                rowScratch[at] = k / features;
                colScratch[at] = k % features;
                valueScratch[at] = dense[k];
                at++;
            }
        }
        return nnz;
    }

    @Override
    public void close() {
        for (FeedTensor<?> f : List.of(xFeed, rowsFeed, colsFeed, valuesFeed, objectsFeed)) {
            f.close();
        }
    }
}
