package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.framework.initializers.Glorot;
import org.tensorflow.framework.initializers.He;
import org.tensorflow.framework.initializers.Initializer;
import org.tensorflow.framework.initializers.VarianceScaling;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Model kind {@code regressor}: one MLP with one set of weights applied to every object of every
 * timestep (objects are the batch dimension), predicting a real number per object; the
 * per-timestep sum of those predictions is the sum prediction.
 *
 * <h2>Network</h2>
 * Input x is [N, m] (N objects of all timesteps of the micro-batch, m features). Each hidden layer
 * i of {@link ModelSpec#hidden()} is {@code h = act(h W_i + b_i)}; then a linear output unit
 * {@code p = h W_out + b_out}. Kernels start Glorot-uniform (He-uniform for relu hidden layers)
 * from the spec seed (layer i uses seed + i), biases start at zero, so equal specs start equal.
 *
 * <h2>Loss</h2>
 * Squared error, for each timestep t of the micro-batch with object mask {@code mask_i},
 * {@code count_t = sum_{i in t} mask_i} and sum mask {@code s_t}:
 * <pre>
 *   objLoss_t = sum_{i in t} mask_i (p_i - y_i)^2 / max(count_t, 1)      (0 when count_t = 0)
 *   loss_t    = w objLoss_t + (1 - w) s_t (sum_{i in t} p_i - S_t)^2
 *   loss      = sum_t loss_t / max(1, number of supervised timesteps)
 * </pre>
 * so a timestep with only a sum target trains the shared network through the sum term alone,
 * and unsupervised timesteps neither contribute nor dilute the mean.
 *
 * <h2>Training</h2>
 * One update per supervised micro-batch, by the {@link PairOptimizer} of the spec (see
 * {@link Optimizers}) with its {@link Regularization} and {@link LearningRateSchedule} (the
 * schedule's position is the model version, so it survives export/import). When the loss or any
 * gradient is NaN or infinite, nothing is written (weights, slots, step counters and the version
 * stay as they were) and the {@link StepResult} says why; see {@link GuardedUpdate}.
 *
 * <h2>Checkpoint format</h2>
 * {@link #exportState()} writes every variable of the graph (weights, biases, optimizer slots
 * such as Adam's m and v, and the beta-power variables Adam keeps) and the update count (which is
 * also the position of the learning-rate schedule):
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
 * All numbers are little-endian.
 *
 * <h2>Threads and reproducibility</h2>
 * {@link ModelSpec#intraOpThreads()} and {@link ModelSpec#interOpThreads()} configure the session
 * (0 = TensorFlow's choice; see {@link SessionConfig}: the intra-op pool is per process, sized by
 * the first model). An inter-op count of 1 runs the ops one after another in the calling thread.
 * With 1 and 1, two models of the same spec fed the same batches stay bit-identical.
 *
 * <p>The TensorFlow graph is built once; every {@link #step} is a single session run with no new
 * operations. Not thread-safe: one model belongs to one thread at a time.
 */
public final class SharedWeightRegressor implements OnlineModel {

    private static final String OUTPUT_LAYER = "output";

    private final ModelSpec spec;
    private final int features;
    private final Graph graph;
    private final Session session;

    private final Placeholder<TFloat32> x;
    private final Placeholder<TInt32> segment;
    private final Placeholder<TFloat32> objectTarget;
    private final Placeholder<TFloat32> objectMask;
    private final Placeholder<TFloat32> sumTarget;
    private final Placeholder<TFloat32> sumMask;
    private final Placeholder<TInt32> timesteps;
    private final Placeholder<TInt64> updateCount;

    private final Operand<TFloat32> predictions;
    private final Operand<TFloat32> sumPredictions;
    private final Operand<TFloat32> loss;
    private final Op train;
    private final Operand<TBool> lossFinite;
    private final Operand<TBool> gradientsFinite;
    private final Operand<TBool> clipped;

    private final FeedTensor<TFloat32> xFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TInt32> segmentFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TInt32> timestepsFeed = new FeedTensor<>(TInt32.class);
    private final int[] timestepCount = new int[1];
    private final FeedTensor<TInt64> updateCountFeed = new FeedTensor<>(TInt64.class);
    private final FeedTensor<TFloat32> objectTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> objectMaskFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumMaskFeed = new FeedTensor<>(TFloat32.class);

    private final List<Variable<TFloat32>> weights = new ArrayList<>();
    private final List<String> weightNames = new ArrayList<>();
    private final List<DenseParams> layers = new ArrayList<>();
    private final Activation activation;
    private final GraphCheckpoint checkpoint;

    private long version;
    private boolean closed;

    /**
     * Builds the graph and a session for {@code spec} and initialises the weights from its seed.
     *
     * @throws IllegalArgumentException if the spec is not a regressor, or names an unknown
     *                                  activation or optimizer, or has negative thread counts
     */
    public SharedWeightRegressor(ModelSpec spec) {
        if (!ModelSpec.KIND_REGRESSOR.equals(spec.kind())) {
            throw new IllegalArgumentException("SharedWeightRegressor needs model.kind '"
                    + ModelSpec.KIND_REGRESSOR + "', got '" + spec.kind() + "'");
        }
        if (spec.intraOpThreads() < 0 || spec.interOpThreads() < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0, got intra " + spec.intraOpThreads()
                    + ", inter " + spec.interOpThreads());
        }
        this.activation = Activation.of(spec.activation());
        // Validated before any native resource exists.
        PairOptimizer optimizer = Optimizers.create(spec.optimizer(), SessionConfig.fusedKernels(spec));
        Regularization regularization = Optimizers.regularization(spec.optimizer());
        LearningRateSchedule schedule = Optimizers.schedule(spec.optimizer());
        this.spec = spec;
        this.features = spec.features();
        SessionConfig.sizeThreadPools(spec);
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);

            x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, features)));
            segment = tf.withName("segment").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            objectTarget = tf.withName("object_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            objectMask = tf.withName("object_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumTarget = tf.withName("sum_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumMask = tf.withName("sum_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            timesteps = tf.withName("timesteps").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
            updateCount = tf.withName("update_count").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));

            Operand<TFloat32> h = x;
            int in = features;
            int[] hidden = spec.hidden();
            for (int i = 0; i < hidden.length; i++) {
                Initializer<TFloat32> init = activation == Activation.RELU
                        ? new He<>(VarianceScaling.Distribution.UNIFORM, spec.seed() + i)
                        : new Glorot<>(VarianceScaling.Distribution.UNIFORM, spec.seed() + i);
                h = activation.apply(tf, dense(tf, "dense_" + i, h, in, hidden[i], init));
                in = hidden[i];
            }
            Initializer<TFloat32> outInit = new Glorot<>(VarianceScaling.Distribution.UNIFORM,
                    spec.seed() + hidden.length);
            Operand<TFloat32> out = dense(tf, OUTPUT_LAYER, h, in, 1, outInit);
            predictions = tf.withName("prediction").reshape(out, tf.constant(new int[] {-1}));

            sumPredictions = tf.withName("sum_prediction").math.unsortedSegmentSum(predictions, segment, timesteps);
            loss = CombinedLoss.build(tf, (float) spec.lossWeight(), predictions, sumPredictions, objectTarget, objectMask,
                    sumTarget, sumMask, segment, timesteps);

            Operand<TFloat32> learningRate = schedule.build(tf.withSubScope("schedule"),
                    (float) spec.optimizer().learningRate(), tf.dtypes.cast(updateCount, TFloat32.class));
            GuardedUpdate update = new GuardedUpdate(tf, loss, layers, optimizer, regularization, learningRate);
            train = update.train;
            lossFinite = update.lossFinite;
            gradientsFinite = update.gradientsFinite;
            clipped = update.clipped;
            checkpoint = new GraphCheckpoint(graph, tf, spec.fingerprint());

            session = new Session(graph, SessionConfig.of(spec));
            session.initialize();
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    private Operand<TFloat32> dense(Ops tf, String layer, Operand<TFloat32> input, int in, int out,
                                    Initializer<TFloat32> kernelInit) {
        // Flat variable names: tensorflow-framework names optimizer slots "<variable>-<slot>" and
        // rejects that name when the variable's name has a scope separator.
        String kernelName = layer + "_kernel";
        String biasName = layer + "_bias";
        // Initial values must live in the init scope: the session runs them once, at initialize().
        Ops init = tf.withInitScope();
        Variable<TFloat32> kernel = tf.withName(kernelName).variable(
                kernelInit.call(init, init.constant(Shape.of(in, out)), TFloat32.class));
        Variable<TFloat32> bias = tf.withName(biasName).variable(
                init.zeros(init.constant(Shape.of(out)), TFloat32.class));
        weights.add(kernel);
        weightNames.add(kernelName);
        weights.add(bias);
        weightNames.add(biasName);
        layers.add(new DenseParams(layer, kernel, bias, in, out));
        Ops scope = tf.withSubScope(layer);
        return scope.math.add(scope.linalg.matMul(input, kernel), bias);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public long version() {
        return version;
    }

    /**
     * {@inheritDoc}
     *
     * <p>One session run: the predictions and, when training, the loss and the update. The
     * predictions come from the forward pass that the update's gradients were computed on, so
     * they are the model's predictions before the update.
     *
     * @throws IllegalArgumentException if the batch has another feature count than the spec
     */
    @Override
    public StepResult step(ObjectBatch batch, boolean train) {
        ensureOpen();
        if (batch.features() != features) {
            throw new IllegalArgumentException("batch has " + batch.features() + " features per object, model has "
                    + features);
        }
        int n = batch.objects();
        int b = batch.timesteps();
        float[] objectPredictions = new float[n];
        float[] sums = new float[b];
        if (b == 0) {
            return new StepResult(objectPredictions, sums, Double.NaN, false);
        }
        boolean update = train && batch.anySupervised();
        timestepCount[0] = b;
        double lossValue = Double.NaN;
        Session.Runner runner = session.runner()
                .feed(x, FeedTensor.write(xFeed, batch.x(), n * features, n, features))
                .feed(segment, FeedTensor.write(segmentFeed, batch.segment(), n, n))
                .feed(timesteps, FeedTensor.write(timestepsFeed, timestepCount, 1))
                .fetch(predictions)
                .fetch(sumPredictions);
        if (update) {
            runner.feed(objectTarget, FeedTensor.write(objectTargetFeed, batch.objectTarget(), n, n))
                    .feed(objectMask, FeedTensor.write(objectMaskFeed, batch.objectMask(), n, n))
                    .feed(sumTarget, FeedTensor.write(sumTargetFeed, batch.sumTarget(), b, b))
                    .feed(sumMask, FeedTensor.write(sumMaskFeed, batch.sumMask(), b, b))
                    .feed(updateCount, FeedTensor.scalar(updateCountFeed, version))
                    .fetch(loss)
                    .fetch(lossFinite)
                    .fetch(gradientsFinite)
                    .fetch(clipped)
                    .addTarget(this.train);
        }
        String skipped = null;
        boolean wasClipped = false;
        try (Result result = runner.run()) {
            ((TFloat32) result.get(0)).asRawTensor().data().asFloats().read(objectPredictions, 0, n);
            ((TFloat32) result.get(1)).asRawTensor().data().asFloats().read(sums, 0, b);
            if (update) {
                lossValue = ((TFloat32) result.get(2)).getFloat();
                if (!((TBool) result.get(3)).getBoolean()) {
                    skipped = StepResult.SKIP_NON_FINITE_LOSS;
                } else if (!((TBool) result.get(4)).getBoolean()) {
                    skipped = StepResult.SKIP_NON_FINITE_GRADIENT;
                }
                wasClipped = skipped == null && ((TBool) result.get(5)).getBoolean();
            }
        }
        boolean applied = update && skipped == null;
        if (applied) {
            version++;
        }
        return new StepResult(objectPredictions, sums, lossValue, applied, skipped, wasClipped);
    }

    @Override
    public byte[] exportState() {
        ensureOpen();
        return checkpoint.export(session, version);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The version becomes the checkpoint's update count. Nothing changes when the state is
     * rejected.
     */
    @Override
    public void importState(byte[] state) {
        ensureOpen();
        version = checkpoint.importInto(session, state);
    }

    /**
     * The current weights in layer order, copied: {@code dense_i_kernel} [in_i, out_i] row-major
     * and {@code dense_i_bias} [out_i] for each hidden layer i (in_0 = m, out_i = hidden[i]), then
     * {@code output_kernel} [in, 1] and {@code output_bias} [1]. The names are the variables'
     * TensorFlow names.
     */
    public Map<String, float[]> weights() {
        ensureOpen();
        Session.Runner runner = session.runner();
        for (Variable<TFloat32> v : weights) {
            runner.fetch(v);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Result result = runner.run()) {
            for (int i = 0; i < weights.size(); i++) {
                values.put(weightNames.get(i), GraphCheckpoint.copy((TFloat32) result.get(i)));
            }
        }
        return Collections.unmodifiableMap(values);
    }

    /**
     * Every float variable of the graph by its TensorFlow name, in checkpoint order, copied: the
     * weights and the optimizer's slots and counters. For tests and diagnostics.
     */
    public Map<String, float[]> variables() {
        ensureOpen();
        return Collections.unmodifiableMap(checkpoint.readFloats(session));
    }

    /** Signature key and tag of {@link #exportSavedModel}. */
    public static final String SERVE = "serve";
    /** Input name of the {@code serve} signature: float32 [n, m]. */
    public static final String SERVE_INPUT = "features";
    /** Output name of the {@code serve} signature: float32 [n]. */
    public static final String SERVE_OUTPUT = "predictions";

    /**
     * {@inheritDoc}
     *
     * <p>The SavedModel holds an inference-only graph (no loss, no optimizer, no slots): the
     * network with the current weights as variables, under tag {@code serve}, with signatures
     * {@code serve} and {@code serving_default} (TensorFlow Serving's default key), both mapping
     * input {@code features} (float32 [n, m]) to output {@code predictions} (float32 [n], one per
     * object). Sum predictions are the sum of those per timestep.
     */
    @Override
    public void exportSavedModel(Path directory) throws IOException {
        ensureOpen();
        SavedModelDirectory.prepare(directory);
        Map<String, float[]> current = weights();
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Ops init = tf.withInitScope();
            Placeholder<TFloat32> in = tf.withName(SERVE_INPUT).placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, features)));
            Operand<TFloat32> h = in;
            for (int l = 0; l < layers.size(); l++) {
                DenseParams p = layers.get(l);
                Variable<TFloat32> w = tf.withName(p.weightsName()).variable(init.constant(
                        Shape.of(p.inputs(), p.outputs()), DataBuffers.of(current.get(p.weightsName()), true, false)));
                Variable<TFloat32> bias = tf.withName(p.biasName()).variable(init.constant(
                        Shape.of(p.outputs()), DataBuffers.of(current.get(p.biasName()), true, false)));
                Ops scope = tf.withSubScope(p.layer());
                h = scope.math.add(scope.linalg.matMul(h, w), bias);
                if (l < layers.size() - 1) {
                    h = activation.apply(tf, h);
                }
            }
            Operand<TFloat32> out = tf.withName(SERVE_OUTPUT).reshape(h, tf.constant(new int[] {-1}));
            try (Session s = new Session(g)) {
                s.initialize();
                Signature serve = Signature.builder(SERVE).input(SERVE_INPUT, in).output(SERVE_OUTPUT, out)
                        .methodName("tensorflow/serving/predict").build();
                Signature dflt = Signature.builder("serving_default").input(SERVE_INPUT, in)
                        .output(SERVE_OUTPUT, out).methodName("tensorflow/serving/predict").build();
                SavedModelBundle.exporter(directory.toString()).withTags(SERVE).withSession(s)
                        .withSignatures(serve, dflt).export();
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (FeedTensor<?> f : List.of(xFeed, segmentFeed, timestepsFeed, objectTargetFeed, objectMaskFeed,
                    sumTargetFeed, sumMaskFeed, updateCountFeed)) {
                f.close();
            }
            session.close();
            graph.close();
        }
    }

    @Override
    public String toString() {
        return "SharedWeightRegressor{" + spec + ", version=" + version + "}";
    }
}
