package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Model kind {@code regressor}: one MLP with one set of weights applied to every object of every
 * timestep (objects are the batch dimension), predicting a real number per object; the
 * per-timestep sum of those predictions is the sum prediction.
 *
 * <h2>Network</h2>
 * Input x is [N, m] (N objects of all timesteps of the micro-batch, m features), dense or, when
 * {@link ModelSpec#sparseInput()}, COO triples gathered row by row ({@link InputLayer}). Each
 * hidden layer i of {@link ModelSpec#hidden()} is {@code h = act(h W_i + b_i)}; then a linear
 * output unit {@code p = h W_out + b_out}. Kernels start Glorot-uniform (He-uniform for relu
 * hidden layers) from the spec seed (layer i uses seed + i), biases start at zero, so equal specs
 * start equal ({@link FeedForwardModel}).
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
 *   int32     format version (1; 2 when the learning-rate scale is not 1)
 *   int32     L, then L bytes: the spec fingerprint, UTF-8 ({@link ModelSpec#fingerprint()})
 *   int64     update count (the model version)
 *   int32     V, the number of variables; then V times, in name order:
 *               int32 L, then L bytes: variable name, UTF-8
 *               int32 dtype, TensorFlow's DataType number (1 = float32)
 *               int32 rank, then rank x int64: the dimensions
 *               int32 L, then L bytes: the values, row-major, TensorFlow's host layout
 *                     (little-endian on the x86-64 and aarch64 builds TensorFlow Java ships)
 *   float64   version 2 only: the runtime learning-rate scale, in (0, 1]
 *   int32     CRC-32 of every byte before it
 * </pre>
 * All numbers are little-endian.
 *
 * <h2>Threads and reproducibility</h2>
 * {@link ModelSpec#intraOpThreads()} and {@link ModelSpec#interOpThreads()} configure the session
 * (0 = TensorFlow's choice). An inter-op count of 1 runs the ops one after another in the calling
 * thread. With 1 and 1, two models of the same spec fed the same batches stay bit-identical.
 *
 * <p>The TensorFlow graph is built once; every {@link #step} is a single session run with no new
 * operations. Not thread-safe: one model belongs to one thread at a time.
 */
public final class SharedWeightRegressor extends FeedForwardModel {

    /** Signature key and tag of {@link #exportSavedModel}. */
    public static final String SERVE = FeedForwardModel.SERVE;
    /** Input name of the {@code serve} signature of a dense-input model: float32 [n, m]. */
    public static final String SERVE_INPUT = FeedForwardModel.SERVE_INPUT;
    /** Output name of the {@code serve} signature: float32 [n]. */
    public static final String SERVE_OUTPUT = "predictions";

    private final Placeholder<TFloat32> objectTarget;
    private final Placeholder<TFloat32> objectMask;
    private final Placeholder<TFloat32> sumTarget;
    private final Placeholder<TFloat32> sumMask;

    private final Fetch predictions;
    private final Fetch sumPredictions;

    private final FeedTensor<TFloat32> objectTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> objectMaskFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumMaskFeed = new FeedTensor<>(TFloat32.class);

    /**
     * Builds the graph and a session for {@code spec} and initialises the weights from its seed.
     *
     * @throws IllegalArgumentException if the spec is not a regressor, or names an unknown
     *                                  activation or optimizer, or has negative thread counts
     */
    public SharedWeightRegressor(ModelSpec spec) {
        super(spec, ModelSpec.KIND_REGRESSOR, 1);
        Operand<TFloat32> loss;
        try {
            objectTarget = tf.withName("object_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            objectMask = tf.withName("object_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumTarget = tf.withName("sum_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumMask = tf.withName("sum_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            Operand<TFloat32> p = tf.withName("prediction").reshape(output, tf.constant(new int[] {-1}));
            Operand<TFloat32> sums = tf.withName("sum_prediction").math.unsortedSegmentSum(p, segment, timesteps);
            loss = CombinedLoss.build(tf, (float) spec.lossWeight(), spec.loss(), p, sums, objectTarget, objectMask,
                    sumTarget, sumMask, segment, timesteps);
            predictions = stepFetch(p);
            sumPredictions = stepFetch(sums);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
        open(loss);
    }

    @Override
    protected void feedTargets(Session.Runner runner, ObjectBatch batch) {
        int n = batch.objects();
        int b = batch.timesteps();
        runner.feed(objectTarget, FeedTensor.write(objectTargetFeed, batch.objectTarget(), n, n))
                .feed(objectMask, FeedTensor.write(objectMaskFeed, batch.objectMask(), n, n))
                .feed(sumTarget, FeedTensor.write(sumTargetFeed, batch.sumTarget(), b, b))
                .feed(sumMask, FeedTensor.write(sumMaskFeed, batch.sumMask(), b, b));
    }

    @Override
    protected StepResult result(Result result, ObjectBatch batch, double loss, boolean updated, String skipped,
                                boolean clipped) {
        return new StepResult(predictions.floats(result, batch.objects()),
                sumPredictions.floats(result, batch.timesteps()), loss, updated, skipped, clipped);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Output {@code predictions} (float32 [n], one per object); sum predictions are the sum of
     * those per timestep.
     */
    @Override
    public void exportSavedModel(Path directory) throws IOException {
        super.exportSavedModel(directory);
    }

    @Override
    protected Map<String, Operand<TFloat32>> servingOutputs(Ops tf, Operand<TFloat32> out) {
        return Map.of(SERVE_OUTPUT, tf.withName(SERVE_OUTPUT).reshape(out, tf.constant(new int[] {-1})));
    }

    @Override
    protected void closeTargetFeeds() {
        for (FeedTensor<?> f : List.of(objectTargetFeed, objectMaskFeed, sumTargetFeed, sumMaskFeed)) {
            f.close();
        }
    }
}
