package io.streamfit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * What every TensorFlow model of streamfit shares: the graph, the trained layers as the optimizers
 * see them ({@link DenseParams}), the guarded training step ({@link GuardedUpdate}), the session,
 * the checkpoint ({@link GraphCheckpoint}) and the version. A subclass builds its network and loss
 * in its constructor, registering each layer with {@link #register}, then calls {@link #open}.
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
    private GuardedUpdate update;

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
     * Builds the guarded training step for {@code loss} with the spec's optimizer, regularisation
     * and learning-rate schedule ({@link GuardedUpdate}), then the checkpoint and the session, and
     * initialises the variables. Call once, last in the subclass constructor; it closes the graph
     * when it fails.
     *
     * @return the op that applies one update
     */
    protected Op open(Operand<TFloat32> loss) {
        try {
            PairOptimizer optimizer = Optimizers.create(spec.optimizer(), SessionConfig.fusedKernels(spec));
            Regularization regularization = Optimizers.regularization(spec.optimizer());
            LearningRateSchedule schedule = Optimizers.schedule(spec.optimizer());
            updateCount = tf.withName("update_count").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
            Operand<TFloat32> learningRate = schedule.build(tf.withSubScope("schedule"),
                    (float) spec.optimizer().learningRate(), tf.dtypes.cast(updateCount, TFloat32.class));
            update = new GuardedUpdate(tf, loss, layers, optimizer, regularization, learningRate);
            checkpoint = new GraphCheckpoint(graph, tf, spec.fingerprint(), update.settled);
            session = new Session(graph, SessionConfig.of(spec));
            session.initialize();
            return update.train;
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    /**
     * Adds the update to {@code runner}: the update count feed, fetches after the caller's (loss
     * finite, gradients finite, clipped: read them with {@link #skipped} and {@link #clipped}; then
     * the state the run leaves: pass the result to {@link #keepState}) and the training target.
     * Add no fetches after these.
     */
    protected Session.Runner withUpdate(Session.Runner runner) {
        runner.feed(updateCount, FeedTensor.scalar(updateCountFeed, version()))
                .fetch(update.lossFinite)
                .fetch(update.gradientsFinite)
                .fetch(update.clipped);
        checkpoint.fetchAfterUpdate(runner);
        return runner.addTarget(update.train);
    }

    /**
     * Keeps the state a {@link #withUpdate} run left (updated or not) so that the next
     * {@link #exportState} needs no session run; call it before closing the result. Without it the
     * export runs the session itself. {@code first}: index of the run's first {@link #withUpdate}
     * fetch.
     */
    protected void keepState(Result result, int first) {
        checkpoint.captureAfterUpdate(result, first + 3);
    }

    /** Why the update of a {@link #withUpdate} run was skipped, or null; {@code first}: index of its first fetch. */
    protected static String skipped(Result result, int first) {
        if (!((TBool) result.get(first)).getBoolean()) {
            return StepResult.SKIP_NON_FINITE_LOSS;
        }
        if (!((TBool) result.get(first + 1)).getBoolean()) {
            return StepResult.SKIP_NON_FINITE_GRADIENT;
        }
        return null;
    }

    /** Whether the gradients of a {@link #withUpdate} run were clipped. */
    protected static boolean clipped(Result result, int first) {
        return ((TBool) result.get(first + 2)).getBoolean();
    }


    /** The session; valid after {@link #open}. */
    protected Session session() {
        ensureOpen();
        return session;
    }

    /** Records one applied update. */
    protected void updated() {
        version++;
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
     * training step, it runs the session once. Only {@link #withUpdate} runs and imports write
     * variables, which is what makes the kept state current.
     */
    @Override
    public byte[] exportState() {
        ensureOpen();
        return checkpoint.export(session, version);
    }

    /** The checkpoint (for tests). */
    GraphCheckpoint checkpoint() {
        ensureOpen();
        return checkpoint;
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
