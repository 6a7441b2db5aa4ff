package io.streamfit.model;

import java.util.function.Supplier;

/**
 * Many models of one spec on one compiled graph. Each model the pool hands out
 * ({@link #newModel}) is a small handle whose whole state (weights, optimizer slots, update count,
 * learning-rate scale) is a byte array in the layout of {@link OnlineModel#exportState}; the
 * pool's one TensorFlow graph and session (the <em>engine</em>, built on first use) holds the
 * state of at most one handle at a time, the <em>resident</em> one. A handle that is not resident
 * is loaded into the engine when it next needs it (one session run that assigns every variable)
 * and the resident one's state is copied out first if the engine changed it.
 *
 * <p>So a new model costs no graph build and no native memory: its state is the engine's initial
 * state ({@link #initialState}), the state every fresh model of the spec starts from (the spec's
 * seed makes them all equal). A handle predicts and trains bit for bit like a model of its own
 * would, since export and import carry the whole state ({@link OnlineModel#exportState}).
 *
 * <p>Not thread-safe: a pool and all its handles belong to one thread (a stream task).
 */
public final class ModelPool implements AutoCloseable {

    private final ModelSpec spec;
    private final Supplier<OnlineModel> factory;
    private OnlineModel engine;
    private byte[] initial;
    private PooledModel resident;
    private long loads;
    private boolean closed;

    /**
     * @param spec    the spec of every model of the pool
     * @param factory builds the engine, a fresh model of {@code spec}, on first use; a model of
     *                {@link Models#create} (a TensorFlow graph model) lets an import be checked
     *                without a session run, any other is loaded at once
     */
    public ModelPool(ModelSpec spec, Supplier<OnlineModel> factory) {
        this.spec = spec;
        this.factory = factory;
    }

    /** A pool whose engine is {@link Models#create}{@code (spec)}. */
    public ModelPool(ModelSpec spec) {
        this(spec, () -> Models.create(spec));
    }

    /** The spec of every model of the pool. */
    public ModelSpec spec() {
        return spec;
    }

    /** A new model of the spec, in its initial state; costs no TensorFlow work. */
    public OnlineModel newModel() {
        ensureOpen();
        return new PooledModel(this);
    }

    /**
     * The state every new model of the spec starts from ({@link OnlineModel#exportState} of a
     * fresh model); the same array every time, never to be modified.
     */
    public byte[] initialState() {
        engine();
        return initial;
    }

    /** How many times a model's state was loaded into the engine (a session run each); for tests and metrics. */
    public long loads() {
        return loads;
    }

    /** Whether the engine (one graph and session, its native memory) has been built. */
    public boolean engineBuilt() {
        return engine != null;
    }

    OnlineModel engine() {
        ensureOpen();
        if (engine == null) {
            OnlineModel built = factory.get();
            if (!built.spec().fingerprint().equals(spec.fingerprint())) {
                built.close();
                throw new IllegalArgumentException("the pool's factory built a model of another spec: "
                        + built.spec() + ", expected " + spec);
            }
            try {
                initial = built.exportState();
            } catch (RuntimeException | Error e) {
                built.close();
                throw e;
            }
            engine = built;
        }
        return engine;
    }

    /**
     * Takes {@code state} as {@code model}'s new state, or throws without changing anything of
     * {@code model}: a graph engine checks it without a session run (it loads when the model next
     * runs), any other engine loads it now and {@code model} becomes resident.
     *
     * @return the update count of {@code state} and the learning-rate scale {@code model} goes on with
     * @throws IllegalArgumentException if {@code state} is not a state of this spec's shape
     */
    GraphCheckpoint.Imported accept(PooledModel model, byte[] state) {
        OnlineModel e = engine();
        if (e instanceof GraphModel graph) {
            GraphCheckpoint.Imported imported = graph.checkState(state);
            release(model);
            return imported;
        }
        if (resident != null && resident != model) {
            resident.leaveEngine(e);
        }
        resident = null;
        e.importState(state);
        loads++;
        resident = model;
        return new GraphCheckpoint.Imported(e.version(), e.learningRateScale());
    }

    /** Raises the resident {@code model}'s version to {@code minVersion} (its state is {@code state}). */
    void keepVersionAtLeast(PooledModel model, byte[] state, long minVersion) {
        OnlineModel e = bind(model);
        if (e instanceof GraphModel graph) {
            graph.keepVersionAtLeast(minVersion);
        } else {
            e.rollBackTo(state, minVersion);
        }
    }

    /**
     * Makes {@code model} the resident one: the resident before it keeps its state first (when the
     * engine changed it), then {@code model}'s state is loaded. When that fails, no model is resident.
     */
    OnlineModel bind(PooledModel model) {
        OnlineModel e = engine();
        if (resident == model) {
            return e;
        }
        if (resident != null) {
            resident.leaveEngine(e);
            resident = null;
        }
        e.importState(model.storedState());
        loads++;
        resident = model;
        return e;
    }

    boolean isResident(PooledModel model) {
        return resident == model;
    }

    /** The engine no longer holds {@code model}'s state (it is closed, replaced, or a run on it failed). */
    void release(PooledModel model) {
        if (resident == model) {
            resident = null;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model pool is closed");
        }
    }

    /** Closes the engine; the pool's models can no longer be used. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            resident = null;
            if (engine != null) {
                engine.close();
            }
        }
    }

    @Override
    public String toString() {
        return "ModelPool{" + spec + ", loads=" + loads + "}";
    }
}
