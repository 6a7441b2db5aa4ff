package io.streamfit.schemas;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the values of streamfit's Kafka topics are encoded ({@code value.format}).
 *
 * <ul>
 *   <li>{@link #JSON}: input JSON or Avro single-object encoding, detected per record; outputs JSON
 *       (the contract's default).</li>
 *   <li>{@link #AVRO}: the same input; outputs Avro single-object encoding of the output records.</li>
 *   <li>{@link #AVRO_REGISTRY}: input and outputs in the Confluent wire format (magic byte 0, a
 *       4-byte big-endian schema id, the Avro binary body), the schemas in a schema registry
 *       ({@link ConfluentWire}).</li>
 * </ul>
 */
public enum ValueFormat {
    JSON("json"),
    AVRO("avro"),
    AVRO_REGISTRY("avro-registry");

    private final String configName;

    ValueFormat(String configName) {
        this.configName = configName;
    }

    /** The name in {@code value.format}. */
    public String configName() {
        return configName;
    }

    /** The format named {@code name} ({@code json}, {@code avro}, {@code avro-registry}). */
    public static ValueFormat of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (ValueFormat f : values()) {
            if (f.configName.equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("value.format '" + name + "' is none of "
                + Arrays.stream(values()).map(ValueFormat::configName).toList());
    }

    /** The names, for config validation and docs. */
    public static String[] names() {
        return Arrays.stream(values()).map(ValueFormat::configName).toArray(String[]::new);
    }

    @Override
    public String toString() {
        return configName;
    }
}
