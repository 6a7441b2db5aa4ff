package io.streamfit.model;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Hidden-layer activations by their configuration name ({@code model.activation}).
 */
public enum Activation implements ConfigEnum {
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
    @Override
    public String configName() {
        return configName;
    }

    /**
     * The activation called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Activation fromConfig(String name) {
        return ConfigEnum.fromConfig(Activation.class, "activation", name);
    }

    /** {@link #fromConfig(String)} under its earlier name, for callers written before it. */
    public static Activation of(String name) {
        return fromConfig(name);
    }

    /** Every activation's configuration name: relu, tanh, sigmoid, linear. */
    public static List<String> configNames() {
        return ConfigEnum.configNames(Activation.class);
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
