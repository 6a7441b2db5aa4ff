package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Model kind {@code classifier}: one network with one set of weights applied to every object of
 * every timestep, giving each object a probability for each of C classes
 * ({@link ModelSpec#classes()}). Without hidden layers it is softmax (multinomial logistic)
 * regression with weights [m, C] and bias [C]; with hidden layers, an MLP with the spec's
 * activation and a softmax head. Inputs dense or sparse as {@link FeedForwardModel} and
 * {@link InputLayer} describe.
 *
 * <h2>Outputs</h2>
 * {@code p_i = softmax(z_i)} for the head's logits {@code z_i} [C]; the expected class counts of
 * timestep t are {@code E_t = sum_{i in t} p_i} [C]. The object prediction of the contract is the
 * probability of the predicted class (the argmax, lowest index on ties) and the sum prediction the
 * sum of those per timestep ({@link StepResult}).
 *
 * <h2>Loss</h2>
 * With the object loss the cross-entropy of the labelled objects and the sum loss the mean
 * squared error of the expected counts against the count targets {@code K_t} (explicit, or the
 * labels' class counts when every object of the timestep has a label; see {@link ObjectBatch}):
 * <pre>
 *   l_i    = -log p_i[y_i] = logsumexp(z_i) - z_i[y_i]     (a log-softmax: stable for any z)
 *   L_t    = (1/C) sum_c (E_t[c] - K_t[c])^2
 *   loss_t = w mean_{labelled i in t} l_i + (1 - w) L_t
 *   loss   = mean of loss_t over the supervised timesteps
 * </pre>
 * exactly {@link CombinedLoss}'s weighting (the same as the regressor's), so a term without
 * supervision contributes 0 and does not dilute the mean. With one timestep per batch the object
 * term is the mean cross-entropy over the labelled objects.
 *
 * <h2>Training, checkpoints, threads</h2>
 * As {@link SharedWeightRegressor}: one guarded update per supervised batch by the spec's
 * optimizer, the same checkpoint format (variables {@code dense_i_kernel}, {@code dense_i_bias},
 * {@code output_kernel} [in, C], {@code output_bias} [C] and the optimizer's slots), deterministic
 * with 1/1 threads.
 */
public final class Classifier extends FeedForwardModel {

    /** Output name of the {@code serve} signature: float32 [n, C], each row summing to 1. */
    public static final String SERVE_OUTPUT = "probabilities";

    private final int classes;

    private final Placeholder<TInt32> labels;
    private final Placeholder<TFloat32> labelMask;
    private final Placeholder<TFloat32> countTarget;
    private final Placeholder<TFloat32> countMask;

    private final Fetch probabilities;
    private final Fetch expectedCounts;

    private final FeedTensor<TInt32> labelsFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TFloat32> labelMaskFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> countTargetFeed = new FeedTensor<>(TFloat32.class);
    private final FeedTensor<TFloat32> countMaskFeed = new FeedTensor<>(TFloat32.class);
    private float[] countBuffer = new float[0];

    /**
     * Builds the graph and a session for {@code spec} and initialises the weights from its seed.
     *
     * @throws IllegalArgumentException if the spec is not a classifier, or names an unknown
     *                                  activation or optimizer, or has negative thread counts
     */
    public Classifier(ModelSpec spec) {
        super(spec, ModelSpec.KIND_CLASSIFIER, spec.classes());
        this.classes = spec.classes();
        Operand<TFloat32> loss;
        try {
            labels = tf.withName("label").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            labelMask = tf.withName("label_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
            countTarget = tf.withName("count_target").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, classes)));
            countMask = tf.withName("count_mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));

            Operand<TFloat32> p = tf.withName("probabilities").nn.softmax(output);
            Operand<TFloat32> expected = tf.withName("expected_counts").math.unsortedSegmentSum(p, segment, timesteps);

            Ops l = tf.withSubScope("cross_entropy");
            Operand<TInt32> axis1 = l.constant(1);
            // one_hot(-1) is a zero row, so unlabelled objects get a finite 0 that the mask drops.
            Operand<TFloat32> oneHot = l.oneHot(labels, l.constant(classes), l.constant(1f), l.constant(0f));
            Operand<TFloat32> crossEntropy = l.math.neg(
                    l.reduceSum(l.math.mul(oneHot, l.nn.logSoftmax(output)), axis1));
            Operand<TFloat32> countError = l.math.mean(
                    l.math.square(l.math.sub(expected, countTarget)), axis1);
            loss = CombinedLoss.weighted(tf, (float) spec.lossWeight(), crossEntropy, labelMask, countError, countMask,
                    segment, timesteps);
            probabilities = stepFetch(p);
            expectedCounts = stepFetch(expected);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
        open(loss);
    }

    /** C, the number of classes. */
    public int classes() {
        return classes;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the batch has another feature count than the spec, a
     *                                  label is not in [0, C) or explicit class counts are not C
     *                                  numbers
     */
    @Override
    protected void checkBatch(ObjectBatch batch) {
        super.checkBatch(batch);
        int[] y = batch.labels();
        float[] mask = batch.labelMask();
        int[] segment = batch.segment();
        for (int i = 0; i < batch.objects(); i++) {
            if (mask[i] != 0f && y[i] >= classes) {
                throw new IllegalArgumentException("object " + i + " (timestep " + segment[i] + " of the batch) has "
                        + "label " + y[i] + ", the classifier has " + classes + " classes [0, " + classes + ")");
            }
        }
        for (int t = 0; t < batch.timesteps(); t++) {
            if (batch.explicitSumCounts(t) && batch.sumCountsLength(t) != classes) {
                throw new IllegalArgumentException("timestep " + t + " of the batch has " + batch.sumCountsLength(t)
                        + " class counts, the classifier has " + classes + " classes");
            }
        }
    }

    @Override
    protected void feedTargets(Session.Runner runner, ObjectBatch batch) {
        int n = batch.objects();
        int b = batch.timesteps();
        if (countBuffer.length < b * classes) {
            countBuffer = new float[b * classes];
        }
        // Derived counts may be shorter than C (max label + 1): the rest stays zero.
        Arrays.fill(countBuffer, 0, b * classes, 0f);
        for (int t = 0; t < b; t++) {
            batch.copySumCounts(t, countBuffer, t * classes);
        }
        runner.feed(labels, FeedTensor.write(labelsFeed, batch.labels(), n, n))
                .feed(labelMask, FeedTensor.write(labelMaskFeed, batch.labelMask(), n, n))
                .feed(countTarget, FeedTensor.write(countTargetFeed, countBuffer, b * classes, b, classes))
                .feed(countMask, FeedTensor.write(countMaskFeed, batch.sumCountMask(), b, b));
    }

    @Override
    protected StepResult result(Result result, ObjectBatch batch, double loss, boolean updated, String skipped,
                                boolean clipped) {
        int n = batch.objects();
        int b = batch.timesteps();
        float[] p = probabilities.floats(result, n * classes);
        float[] expected = expectedCounts.floats(result, b * classes);
        float[] predicted = new float[n];
        float[] sums = new float[b];
        for (int i = 0; i < n; i++) {
            predicted[i] = p[i * classes + StepResult.argmax(p, i * classes, classes)];
        }
        for (int t = 0; t < b; t++) {
            for (int i = batch.firstObject(t); i < batch.firstObject(t + 1); i++) {
                sums[t] += predicted[i];
            }
        }
        return new StepResult(predicted, sums, loss, updated, skipped, clipped, classes, p, expected);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Output {@code probabilities} (float32 [n, C]).
     */
    @Override
    public void exportSavedModel(java.nio.file.Path directory) throws java.io.IOException {
        super.exportSavedModel(directory);
    }

    @Override
    protected Map<String, Operand<TFloat32>> servingOutputs(Ops tf, Operand<TFloat32> out) {
        return Map.of(SERVE_OUTPUT, tf.withName(SERVE_OUTPUT).nn.softmax(out));
    }

    @Override
    protected void closeTargetFeeds() {
        for (FeedTensor<?> f : List.of(labelsFeed, labelMaskFeed, countTargetFeed, countMaskFeed)) {
            f.close();
        }
    }
}
