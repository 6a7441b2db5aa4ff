package io.streamfit.model;

import java.util.Objects;

/**
 * The options of the sequence models ({@code seq-autoencoder}, {@code lstm-regressor}) that the
 * other kinds do not have. The LSTM layer sizes are {@link ModelSpec#hidden()} (one entry per
 * stacked layer, at least one).
 *
 * <p>A sequence model takes each object's window as one row of an {@link ObjectBatch} of
 * {@code window * m} features: the W timesteps row-major, oldest first, i.e. element
 * {@code t * m + j} is feature j of the t-th oldest timestep.
 *
 * @param window              W, timesteps per window (at least 2: a window of one has no order)
 * @param bidirectional       whether every encoder layer also reads the window backwards (the
 *                            layer's output is then the concatenation, twice as wide)
 * @param reverse             autoencoder: reconstruct the window newest first (the decoder starts
 *                            where the encoder stopped); ignored by the regressor
 * @param difference          feed {@code x[0], x[1] - x[0], ..., x[W-1] - x[W-2]} instead of the
 *                            raw window (the autoencoder then reconstructs, and scores, the
 *                            differenced window)
 * @param activation          the LSTM's cell input and cell output activation ({@code tanh} by
 *                            default; {@code linear} lets the cell state grow without bound)
 * @param recurrentActivation the LSTM's gate activation ({@code sigmoid} by default)
 */
public record SequenceOptions(int window, boolean bidirectional, boolean reverse, boolean difference,
                              String activation, String recurrentActivation) {

    /** {@code model.window} default. */
    public static final int WINDOW_DEFAULT = 16;
    /** {@code model.lstm.activation} default. */
    public static final String ACTIVATION_DEFAULT = "tanh";
    /** {@code model.lstm.recurrent.activation} default. */
    public static final String RECURRENT_ACTIVATION_DEFAULT = "sigmoid";

    /** Window 16, one direction, in order, raw values, tanh/sigmoid. */
    public static final SequenceOptions DEFAULT = new SequenceOptions(WINDOW_DEFAULT, false, false, false,
            ACTIVATION_DEFAULT, RECURRENT_ACTIVATION_DEFAULT);

    /**
     * @throws IllegalArgumentException for a window under 2 or an unknown activation
     */
    public SequenceOptions {
        if (window < 2) {
            throw new IllegalArgumentException("window must be >= 2 timesteps, got " + window);
        }
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(recurrentActivation, "recurrentActivation");
        activation = Activation.fromConfig(activation).configName();
        recurrentActivation = Activation.fromConfig(recurrentActivation).configName();
    }

    /** These options with window {@code w}. */
    public SequenceOptions withWindow(int w) {
        return new SequenceOptions(w, bidirectional, reverse, difference, activation, recurrentActivation);
    }

    /** These options with differencing on or off. */
    public SequenceOptions withDifference(boolean on) {
        return new SequenceOptions(window, bidirectional, reverse, on, activation, recurrentActivation);
    }

    /** These options with reverse-order reconstruction on or off. */
    public SequenceOptions withReverse(boolean on) {
        return new SequenceOptions(window, bidirectional, on, difference, activation, recurrentActivation);
    }

    /** These options with a bidirectional encoder on or off. */
    public SequenceOptions withBidirectional(boolean on) {
        return new SequenceOptions(window, on, reverse, difference, activation, recurrentActivation);
    }

    /** These options with the given cell and gate activations. */
    public SequenceOptions withActivations(String cell, String gate) {
        return new SequenceOptions(window, bidirectional, reverse, difference, cell, gate);
    }

    @Override
    public String toString() {
        return "W=" + window + ",bidi=" + bidirectional + ",rev=" + reverse + ",diff=" + difference
                + ",act=" + activation + ",rec=" + recurrentActivation;
    }
}
