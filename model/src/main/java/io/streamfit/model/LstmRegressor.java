package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Model kind {@code lstm-regressor}: predicts a real number per object from the object's window,
 * with one set of weights for every object; the per-timestep sum of the object predictions is the
 * sum prediction, exactly as for {@code regressor}.
 *
 * <h2>Network</h2>
 * The encoder ({@link SequenceModel#encode()}: {@link ModelSpec#hidden()} stacked LSTM layers,
 * optionally bidirectional) reads the window (or its differences); a linear unit on its last
 * layer's final hidden state gives the prediction: {@code p = h_W K + b}. The cell and gate
 * activations are {@link SequenceOptions#activation()} and
 * {@link SequenceOptions#recurrentActivation()}: with {@code linear} for both a one-unit LSTM can
 * carry a running sum in its cell state without squashing it, so it can learn to add.
 *
 * <h2>Loss</h2>
 * The loss of {@link SharedWeightRegressor} (object and sum terms weighted by
 * {@link ModelSpec#lossWeight()}, averaged over the supervised timesteps); an object's window is
 * its input and the object's and timestep's targets are those of the window's last timestep.
 *
 * <p>Not thread-safe; the graph is built once and every {@link #step} is one session run.
 */
public final class LstmRegressor extends SequenceModel {

    private final Placeholder<TInt32> segment;
    private final Placeholder<TFloat32> objectTarget;
    private final Placeholder<TFloat32> objectMask;
    private final Placeholder<TFloat32> sumTarget;
    private final Placeholder<TFloat32> sumMask;
    private final Placeholder<TInt32> timesteps;

    /** What the {@code serve} signature returns. */
    private final Operand<TFloat32> predictions;
    private final Fetch predictionsFetch;
    private final Fetch sumPredictions;

    private final FeedTensor<TInt32> segmentFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TInt32> timestepsFeed = new FeedTensor<>(TInt32.class);
    private final int[] timestepCount = new int[1];
    private final FeedTensor<TFloat32> objectTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> objectMaskFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> sumMaskFeed = new FeedTensor<>(TFloat32.class);

    /**
     * @throws IllegalArgumentException if the spec is not an {@code lstm-regressor}, has no LSTM
     *                                  layer, or names an unknown activation or optimizer
     */
    public LstmRegressor(ModelSpec spec) {
        super(spec, ModelSpec.KIND_LSTM_REGRESSOR);
        Operand<TFloat32> loss;
        try {
            segment = tf.withName("segment").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            objectTarget = tf.withName("object_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            objectMask = tf.withName("object_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumTarget = tf.withName("sum_target").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            sumMask = tf.withName("sum_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            timesteps = tf.withName("timesteps").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));

            LstmCell.State s = encode();
            Dense output = dense("output", encodedWidth(), 1, spec.seed() + 1000);
            predictions = tf.withName("prediction").reshape(output.apply(tf, s.h()), tf.constant(new int[] {-1}));
            Operand<TFloat32> sums = tf.withName("sum_prediction").math.unsortedSegmentSum(predictions, segment,
                    timesteps);
            loss = CombinedLoss.build(tf, (float) spec.lossWeight(), spec.loss(), predictions, sums, objectTarget,
                    objectMask, sumTarget, sumMask, segment, timesteps);
            predictionsFetch = stepFetch(predictions);
            sumPredictions = stepFetch(sums);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
        open(loss);
    }

    /** The windows, the timestep of every object and the timestep count. */
    @Override
    protected void feedInputs(Session.Runner runner, ObjectBatch batch) {
        super.feedInputs(runner, batch);
        int n = batch.objects();
        timestepCount[0] = batch.timesteps();
        runner.feed(segment, FeedTensor.write(segmentFeed, batch.segment(), n, n))
                .feed(timesteps, FeedTensor.write(timestepsFeed, timestepCount, 1));
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
        return new StepResult(predictionsFetch.floats(result, batch.objects()),
                sumPredictions.floats(result, batch.timesteps()), loss, updated, skipped, clipped);
    }

    @Override
    protected Operand<TFloat32> servingOutput() {
        return predictions;
    }

    @Override
    protected String servingOutputName() {
        return "predictions";
    }

    @Override
    protected void closeSequenceFeeds() {
        for (FeedTensor<?> f : List.of(segmentFeed, timestepsFeed, objectTargetFeed, objectMaskFeed, sumTargetFeed,
                sumMaskFeed)) {
            f.close();
        }
    }
}
