package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A model of a {@link ModelPool}: its state as bytes, run on the pool's one graph when it needs
 * it. While the model is resident and a run changed it ({@link #engineAhead}), the engine holds its
 * newest state; otherwise {@link #state} does (null: the pool's initial state).
 */
final class PooledModel implements OnlineModel {

    private final ModelPool pool;
    /** The state when the engine is not ahead of it; null for the pool's initial state. */
    private byte[] state;
    private long version;
    private double learningRateScale = 1.0;
    /** Resident, and the engine's state is newer than {@link #state}. */
    private boolean engineAhead;
    /** A run failed while the engine held the only copy of the newest state: it is lost. */
    private String lost;
    private boolean closed;

    PooledModel(ModelPool pool) {
        this.pool = pool;
    }

    @Override
    public ModelSpec spec() {
        return pool.spec();
    }

    @Override
    public ObjectBatch newBatch() {
        ensureUsable();
        return pool.engine().newBatch();
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public StepResult step(ObjectBatch batch, boolean train) {
        OnlineModel engine = bind();
        StepResult result;
        try {
            result = engine.step(batch, train);
        } catch (RuntimeException | Error e) {
            failed(e);
            throw e;
        }
        // Only an applied update writes (a skipped one writes nothing at all, GuardedUpdate), and
        // an applied update is what moves the version.
        if (engine.version() != version) {
            version = engine.version();
            engineAhead = true;
        }
        return result;
    }

    @Override
    public byte[] exportState() {
        ensureUsable();
        if (engineAhead) {
            state = pool.engine().exportState();
            engineAhead = false;
        }
        return storedState();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Checks the state without a session run and keeps it; it is loaded into the graph when the
     * model next runs.
     */
    @Override
    public void importState(byte[] newState) {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
        GraphCheckpoint.Imported imported = pool.accept(this, newState);
        engineAhead = false;
        lost = null;
        state = newState;
        version = imported.updates();
        learningRateScale = imported.learningRateScale();
    }

    @Override
    public void rollBackTo(byte[] newState, long minVersion) {
        importState(newState);
        if (version < minVersion) {
            ensureUsable();
            try {
                pool.keepVersionAtLeast(this, newState, minVersion);
            } catch (RuntimeException | Error e) {
                failed(e);
                throw e;
            }
            version = pool.engine().version();
            engineAhead = true;
        }
    }

    @Override
    public boolean stateFinite() {
        OnlineModel engine = bind();
        try {
            return engine.stateFinite();
        } catch (RuntimeException | Error e) {
            failed(e);
            throw e;
        }
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
        if (scale == learningRateScale) {
            return;
        }
        OnlineModel engine = bind();
        engine.setLearningRateScale(scale);
        learningRateScale = scale;
        engineAhead = true;
    }

    @Override
    public void exportSavedModel(Path directory) throws IOException {
        bind().exportSavedModel(directory);
    }

    @Override
    public void exportSavedModel(Path directory, InputScaling scaling) throws IOException {
        bind().exportSavedModel(directory, scaling);
    }

    /** The state as bytes, when the engine is not ahead of it. */
    byte[] storedState() {
        return state != null ? state : pool.initialState();
    }

    /** Called by the pool before another model takes the engine: keeps the engine's newer state. */
    void leaveEngine(OnlineModel engine) {
        if (engineAhead) {
            state = engine.exportState();
            engineAhead = false;
        }
    }

    private OnlineModel bind() {
        ensureUsable();
        try {
            return pool.bind(this);
        } catch (RuntimeException | Error e) {
            failed(e);
            throw e;
        }
    }

    /** A run on the engine failed: what it holds is no longer trusted. */
    private void failed(Throwable e) {
        if (engineAhead) {
            lost = e.getClass().getSimpleName() + ": " + e.getMessage();
            engineAhead = false;
        }
        pool.release(this);
    }

    private void ensureUsable() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
        if (lost != null) {
            throw new IllegalStateException("the model's newest state was lost when a run failed (" + lost
                    + "); import a saved state or use a new model");
        }
    }

    @Override
    public void close() {
        closed = true;
        pool.release(this);
    }

    @Override
    public String toString() {
        return "PooledModel{" + pool.spec() + ", version=" + version + "}";
    }
}
