package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * What every TensorFlow model of streamfit shares: the graph, the trained layers as the optimizers
 * see them ({@link DenseParams}), the guarded training step ({@link GuardedUpdate}), the session,
 * the checkpoint ({@link GraphCheckpoint}), the version, and the one {@link #step} of every kind.
 * A subclass builds its network and loss in its constructor, registering each layer with
 * {@link #register} and declaring the outputs a step fetches with {@link #stepFetch}, then calls
 * {@link #open}; for the step it feeds the batch ({@link #feedInputs}, {@link #feedTargets}) and
 * turns the fetched outputs into a {@link StepResult} ({@link #result}).
 *
 * <p>Not thread-safe: one model belongs to one thread at a time.
 */
abstract class GraphModel implements OnlineModel {

    protected final ModelSpec spec;
    protected final Graph graph;
    protected final Ops tf;
    /** Every trained layer in build order, as the optimizers see them. */
    private final List<DenseParams> layers = new ArrayList<>();
    private final FeedTensor<TInt64> updateCountFeed = new FeedTensor<>(TInt64.class);
    private Placeholder<TInt64> updateCount;
    private final FeedTensor<TFloat32> learningRateScaleFeed = new FeedTensor<>(TFloat32.class);
    /** Multiplies the scheduled learning rate; 1 unless fed, so an unscaled model runs the graph it always did. */
    private PlaceholderWithDefault<TFloat32> learningRateScaleInput;
    private double learningRateScale = 1.0;
    private GuardedUpdate update;
    /** What every step run fetches: the subclass's {@link #stepFetch}es. */
    private final Fetches predicting = new Fetches();
    /**
     * What a training step run fetches: those of {@link #predicting} at the same positions, then
     * the loss (when reported), the guard's checks and the state the run leaves.
     */
    private Fetches training;
    private Fetch lossFetch;
    private Fetch lossFinite;
    private Fetch gradientsFinite;
    private Fetch clipped;

    private Session session;
    private GraphCheckpoint checkpoint;
    private long version;
    private boolean closed;

    /**
     * Checks the kind and thread counts, then starts an empty graph.
     *
     * @throws IllegalArgumentException if {@code spec} is not of {@code kind} or has negative
     *                                  thread counts
     */
    protected GraphModel(ModelSpec spec, String kind) {
        if (!kind.equals(spec.kind())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs model.kind '" + kind + "', got '"
                    + spec.kind() + "'");
        }
        if (spec.intraOpThreads() < 0 || spec.interOpThreads() < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0, got intra " + spec.intraOpThreads()
                    + ", inter " + spec.interOpThreads());
        }
        this.spec = spec;
        // The process's intra-op pool is sized by whoever makes TensorFlow's CPU device first
        // (the weight initializers would, with defaults): make it this spec's size.
        SessionConfig.sizeThreadPools(spec);
        this.graph = new Graph();
        this.tf = Ops.create(graph);
    }

    /** Registers a trained layer: its kernel and bias get updated by the optimizer, in registration order. */
    protected DenseParams register(String layer, Variable<TFloat32> kernel, Variable<TFloat32> bias, int in, int out) {
        DenseParams p = new DenseParams(layer, kernel, bias, in, out);
        layers.add(p);
        return p;
    }

    /** The trained layers in build order. */
    protected List<DenseParams> layers() {
        return Collections.unmodifiableList(layers);
    }

    /**
     * Declares an operand that every {@link #step} run fetches (the predictions, whether or not it
     * trains); read it from the result given to {@link #result}. Call before {@link #open}.
     */
    protected Fetch stepFetch(Operand<?> operand) {
        return predicting.add(operand);
    }

    /**
     * Builds the guarded training step for {@code loss} with the spec's optimizer, regularisation
     * and learning-rate schedule ({@link GuardedUpdate}), then the checkpoint and the session, and
     * initialises the variables. Call once, last in the subclass constructor; it closes the graph
     * when it fails.
     *
     * @param reportLoss whether a training step fetches {@code loss} for {@link StepResult#loss()};
     *                   false: the subclass computes the reported loss itself ({@link #result} gets NaN)
     */
    protected void open(Operand<TFloat32> loss, boolean reportLoss) {
        try {
            PairOptimizer optimizer = Optimizers.create(spec.optimizer(), SessionConfig.fusedKernels(spec));
            Regularization regularization = Optimizers.regularization(spec.optimizer());
            LearningRateSchedule schedule = Optimizers.schedule(spec.optimizer());
            updateCount = tf.withName("update_count").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
            Operand<TFloat32> scheduled = schedule.build(tf.withSubScope("schedule"),
                    (float) spec.optimizer().learningRate(), tf.dtypes.cast(updateCount, TFloat32.class));
            learningRateScaleInput = tf.withName("learning_rate_scale").placeholderWithDefault(tf.constant(1f),
                    Shape.scalar());
            // x * 1.0f == x exactly, so the default changes no number of an unscaled model.
            Operand<TFloat32> learningRate = tf.withName("scaled_learning_rate").math.mul(scheduled,
                    learningRateScaleInput);
            update = new GuardedUpdate(tf, loss, layers, optimizer, regularization, learningRate);
            java.util.Set<String> weights = new java.util.HashSet<>();
            for (DenseParams layer : layers) {
                weights.add(layer.weightsName());
                weights.add(layer.biasName());
            }
            checkpoint = new GraphCheckpoint(graph, tf, spec.fingerprint(), update.settled, weights);
            training = predicting.extended();
            lossFetch = reportLoss ? training.add(loss) : null;
            lossFinite = training.add(update.lossFinite);
            gradientsFinite = training.add(update.gradientsFinite);
            clipped = training.add(update.clipped);
            checkpoint.fetchAfterUpdate(training);
            session = new Session(graph, SessionConfig.of(spec));
            session.initialize();
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    /** {@link #open(Operand, boolean) open(loss, true)}: the reported loss is {@code loss}. */
    protected void open(Operand<TFloat32> loss) {
        open(loss, true);
    }

    /**
     * {@inheritDoc}
     *
     * <p>One session run: the predictions and, when training, the loss and the guarded update
     * ({@link GuardedUpdate}), whose skip and clipping the result reports. The predictions come
     * from the forward pass that the update's gradients were computed on, so they are the model's
     * predictions before the update. The same run fetches the state it leaves, so that the next
     * {@link #exportState} needs no run of its own.
     *
     * @throws IllegalArgumentException if the batch does not fit the model ({@link #checkBatch})
     */
    @Override
    public final StepResult step(ObjectBatch batch, boolean train) {
        ensureOpen();
        checkBatch(batch);
        if (nothingToRun(batch)) {
            return result(null, batch, Double.NaN, false, null, false);
        }
        boolean updating = train && supervised(batch);
        Session.Runner runner = session.runner();
        feedInputs(runner, batch);
        if (updating) {
            feedTargets(runner, batch);
            runner.feed(updateCount, FeedTensor.scalar(updateCountFeed, version));
            if (learningRateScale != 1.0) {
                runner.feed(learningRateScaleInput, FeedTensor.scalar(learningRateScaleFeed, (float) learningRateScale));
            }
            training.addTo(runner).addTarget(update.train);
            checkpoint.beforeUpdateRun();
        } else {
            predicting.addTo(runner);
        }
        try (Result result = runner.run()) {
            double loss = Double.NaN;
            String skipped = null;
            boolean wasClipped = false;
            if (updating) {
                loss = lossFetch == null ? Double.NaN : lossFetch.scalarFloat(result);
                if (!lossFinite.scalarBoolean(result)) {
                    skipped = StepResult.SKIP_NON_FINITE_LOSS;
                } else if (!gradientsFinite.scalarBoolean(result)) {
                    skipped = StepResult.SKIP_NON_FINITE_GRADIENT;
                }
                wasClipped = skipped == null && clipped.scalarBoolean(result);
                checkpoint.captureAfterUpdate(result);
            }
            boolean applied = updating && skipped == null;
            if (applied) {
                version++;
            }
            return result(result, batch, loss, applied, skipped, wasClipped);
        }
    }

    /** Checks that {@code batch} fits the model before anything runs; throws IllegalArgumentException with context. */
    protected abstract void checkBatch(ObjectBatch batch);

    /** Whether {@code batch} holds nothing to run the session on; its result is that of {@link #result} without one. */
    protected boolean nothingToRun(ObjectBatch batch) {
        return batch.timesteps() == 0;
    }

    /** Whether a training step on {@code batch} updates: when it holds any target. */
    protected boolean supervised(ObjectBatch batch) {
        return batch.anySupervised();
    }

    /** Feeds what the forward pass reads of {@code batch}. */
    protected abstract void feedInputs(Session.Runner runner, ObjectBatch batch);

    /** Feeds the targets and masks of {@code batch} that the loss reads (training runs only). */
    protected abstract void feedTargets(Session.Runner runner, ObjectBatch batch);

    /**
     * The step's result from the run's {@link #stepFetch} fetches; {@code result} is null when
     * there was no run ({@link #nothingToRun}), and is closed after this returns.
     *
     * @param loss    the fetched loss of a training run, else NaN (always NaN without
     *                {@code reportLoss}, see {@link #open(Operand, boolean)})
     * @param updated whether the update was applied
     * @param skipped why a training run's update was not applied, or null
     * @param clipped whether the applied gradients were clipped
     */
    protected abstract StepResult result(Result result, ObjectBatch batch, double loss, boolean updated,
                                         String skipped, boolean clipped);

    /** The session; valid after {@link #open}. */
    protected Session session() {
        ensureOpen();
        return session;
    }

    /**
     * Every float variable of the graph by its TensorFlow name, in checkpoint order, copied: the
     * weights and the optimizer's slots and counters. For tests and diagnostics.
     */
    public Map<String, float[]> variables() {
        ensureOpen();
        return Collections.unmodifiableMap(checkpoint.readFloats(session));
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
     * <p>After a step, this copies the state that the step's own session run fetched (one
     * concatenated tensor per dtype, {@link GraphCheckpoint}); after an import, or before the first
     * training step, it runs the session once. Only training {@link #step} runs and imports write
     * variables, which is what makes the kept state current.
     */
    @Override
    public byte[] exportState() {
        ensureOpen();
        return checkpoint.export(session, version, learningRateScale);
    }

    @Override
    public void rollBackTo(byte[] state, long minVersion) {
        importState(state);
        version = Math.max(minVersion, version);
    }

    @Override
    public boolean stateFinite() {
        ensureOpen();
        return checkpoint.allFinite(session);
    }

    @Override
    public double learningRateScale() {
        return learningRateScale;
    }

    @Override
    public void setLearningRateScale(double scale) {
        if (!(scale > 0 && scale <= 1)) {
            throw new IllegalArgumentException("learning-rate scale must be in (0, 1], got " + scale);
        }
        learningRateScale = scale;
    }

    /** The checkpoint (for tests). */
    GraphCheckpoint checkpoint() {
        ensureOpen();
        return checkpoint;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The version becomes the checkpoint's update count, the learning-rate scale the
     * checkpoint's (1 in a version-1 checkpoint, and 1 when the state was written under another
     * learning rate). A state of this spec's shape but other training settings imports too: its
     * weights, and its optimizer state when the same optimizer wrote it ({@link SpecFingerprint});
     * the spec's settings apply from the next update. Nothing changes when the state is rejected.
     */
    @Override
    public void importState(byte[] state) {
        ensureOpen();
        GraphCheckpoint.Imported imported = checkpoint.importInto(session, state);
        version = imported.updates();
        learningRateScale = imported.learningRateScale();
    }

    /**
     * Checks that {@code state} would import ({@link #importState}) without touching the graph:
     * header, CRC, fingerprint and every variable's name, dtype and shape.
     *
     * @return the update count the state holds and the learning-rate scale an import goes on with
     * @throws IllegalArgumentException as {@link #importState} would
     */
    GraphCheckpoint.Imported checkState(byte[] state) {
        ensureOpen();
        return checkpoint.check(state);
    }

    /** Raises the version to {@code minVersion} if it is lower (see {@link #rollBackTo}). */
    void keepVersionAtLeast(long minVersion) {
        version = Math.max(minVersion, version);
    }

    protected void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    /** Closes the subclass's own feed tensors. */
    protected abstract void closeFeeds();

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            updateCountFeed.close();
            learningRateScaleFeed.close();
            closeFeeds();
            if (session != null) {
                session.close();
            }
            graph.close();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + spec + ", version=" + version + "}";
    }
}
