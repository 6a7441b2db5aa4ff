package io.streamfit.bench;

import java.util.Locale;

/**
 * The shape of one update step: {@code timesteps} timesteps of {@code objects} objects each, with
 * {@code features} features per object, through one hidden layer of {@code hidden} units. The
 * network sees N = objects * timesteps rows.
 *
 * @param objects   k, objects per timestep (at least 1)
 * @param features  m, features per object (at least 1)
 * @param hidden    units of the one hidden layer (at least 1)
 * @param timesteps timesteps per update step (at least 1)
 */
public record StepShape(int objects, int features, int hidden, int timesteps) {

    public StepShape {
        if (objects < 1 || features < 1 || hidden < 1 || timesteps < 1) {
            throw new IllegalArgumentException("every dimension must be >= 1, got " + this);
        }
    }

    /**
     * Parses {@code KxMxHxT}, e.g. {@code 32x16x64x1} (the JMH parameter form).
     *
     * @throws IllegalArgumentException when the text is not four positive integers joined by 'x'
     */
    public static StepShape parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x");
        if (parts.length != 4) {
            throw new IllegalArgumentException("shape must be KxMxHxT (objects x features x hidden x timesteps), got '"
                    + text + "'");
        }
        try {
            return new StepShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]),
                    Integer.parseInt(parts[3]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shape must be KxMxHxT with integers, got '" + text + "'", e);
        }
    }

    /** N, the rows the network sees per step. */
    public int rows() {
        return objects * timesteps;
    }

    @Override
    public String toString() {
        return objects + "x" + features + "x" + hidden + "x" + timesteps;
    }
}
