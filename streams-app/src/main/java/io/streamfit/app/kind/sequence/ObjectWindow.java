package io.streamfit.app.kind.sequence;

import io.streamfit.app.state.WindowCodec;

/**
 * One object's sliding window: its last W timesteps of m features, oldest first, and how many
 * timesteps the object has had. The value of the window store (logged, so a restarted task
 * continues every window where the committed input left it).
 *
 * <p>Store value: {@code ObjectWindowState.avsc} through {@link WindowCodec} (count, W, m, then
 * the W * m values row-major [W, m], oldest timestep first); while {@code count < W} only the last
 * {@code count} rows hold data (the others are zero).
 */
final class ObjectWindow {

    /** Separates the series from the object id in window store keys. */
    private static final char KEY_SEPARATOR = '\u0000';

    private final int window;
    private final int features;
    private final float[] values;
    private long count;

    /** An empty window of {@code window} timesteps of {@code features} values. */
    ObjectWindow(int window, int features) {
        this.window = window;
        this.features = features;
        this.values = new float[window * features];
    }

    /** The window store key of an object of a series. */
    static String key(String series, String objectId) {
        return series + KEY_SEPARATOR + objectId;
    }

    /**
     * Decodes a store value, or returns an empty window for null.
     *
     * @throws IllegalStateException if the stored window has another shape (the configuration changed)
     */
    static ObjectWindow decode(byte[] bytes, int window, int features) {
        ObjectWindow w = new ObjectWindow(window, features);
        if (bytes == null) {
            return w;
        }
        var stored = WindowCodec.decode(bytes);
        if (stored.getWindow() != window || stored.getFeatures() != features) {
            throw new IllegalStateException("stored window is " + stored.getWindow() + " x " + stored.getFeatures()
                    + " but the configuration says " + window + " x " + features
                    + " (model.window, model.features): set them back, use a new application.id, or delete the "
                    + "saved state with 'streamfit reset'");
        }
        WindowCodec.copyValues(stored, w.values);
        w.count = stored.getCount();
        return w;
    }

    byte[] encode() {
        return WindowCodec.encode(count, window, features, values);
    }

    /** Appends one timestep (m values), dropping the oldest. */
    void append(float[] timestep) {
        System.arraycopy(values, features, values, 0, values.length - features);
        System.arraycopy(timestep, 0, values, values.length - features, features);
        count++;
    }

    /** Timesteps appended in the object's life. */
    long count() {
        return count;
    }

    /**
     * Whether the window is full and, counting from the timestep that filled it, this is a
     * stride-th timestep: the windows that end at count W, W + stride, W + 2 stride, ...
     */
    boolean ready(int stride) {
        return count >= window && (count - window) % stride == 0;
    }

    /** The W * m values, oldest timestep first (the array itself: do not modify). */
    float[] values() {
        return values;
    }
}
