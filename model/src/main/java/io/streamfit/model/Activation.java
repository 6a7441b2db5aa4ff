package io.streamfit.model;

import java.util.Arrays;
import java.util.Locale;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Hidden-layer activations by their configuration name ({@code model.activation}).
 */
public enum Activation {
    /** max(0, z); weights start with He initialisation. */
    RELU("relu"),
    /** tanh(z), values in (-1, 1). */
    TANH("tanh"),
    /** 1 / (1 + e^-z), values in (0, 1). */
    SIGMOID("sigmoid"),
    /** z unchanged: stacked linear layers stay a linear model. */
    LINEAR("linear");

    private final String configName;

    Activation(String configName) {
        this.configName = configName;
    }

    /** The name used in configuration and specs. */
    public String configName() {
        return configName;
    }

    /**
     * The activation called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Activation of(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Activation a : values()) {
            if (a.configName.equals(wanted)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Activation::configName).toList());
    }

    /** Adds this activation applied to {@code z} to the graph of {@code tf}. */
    Operand<TFloat32> apply(Ops tf, Operand<TFloat32> z) {
        return switch (this) {
            case RELU -> tf.nn.relu(z);
            case TANH -> tf.math.tanh(z);
            case SIGMOID -> tf.math.sigmoid(z);
            case LINEAR -> z;
        };
    }
}
