package io.streamfit.app.kind;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How object predictions leave ({@code output.objects}, design.md "Output layout"): one record per
 * object, or one record per input timestep holding every object's prediction. The kinds emit one
 * prediction per object either way; the layout is the stream processor's outputs' business.
 */
public enum ObjectLayout {
    /** One {@code object-predictions} record per object per input timestep (the default). */
    PER_OBJECT("per-object"),
    /** One {@code object-predictions} record per input timestep, every object's prediction in it. */
    PER_TIMESTEP("per-timestep");

    private final String configName;

    ObjectLayout(String configName) {
        this.configName = configName;
    }

    /** The value of {@code output.objects}. */
    public String configName() {
        return configName;
    }

    /** Every value of {@code output.objects}, in declaration order. */
    public static String[] configNames() {
        return Arrays.stream(values()).map(ObjectLayout::configName).toArray(String[]::new);
    }

    /**
     * @throws IllegalArgumentException for a name that is none of {@link #configNames()}
     */
    public static ObjectLayout of(String configName) {
        for (ObjectLayout l : values()) {
            if (l.configName.equals(configName)) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown output layout '" + configName + "'; one of "
                + Arrays.stream(values()).map(ObjectLayout::configName).collect(Collectors.joining(", ")));
    }
}
