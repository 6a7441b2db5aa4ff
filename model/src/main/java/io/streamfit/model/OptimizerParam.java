package io.streamfit.model;

import java.util.Objects;

/**
 * One optimizer hyperparameter as {@link Optimizers} declares it: the model checks a value
 * against it, and the service derives its configuration key {@code optimizer.<key>}, type,
 * validator and documentation from it. Which optimizers take it, and with which default, is in
 * the optimizers' own parameter lists in {@link Optimizers}.
 *
 * @param key      the parameter's name in {@link ModelSpec.OptimizerSpec#params()}, e.g. {@code beta1}
 * @param type     a number or an on/off flag (a flag travels in the spec as 0 or 1)
 * @param range    the valid numbers; {@code null} for a flag
 * @param advanced fine-tuning that most setups leave at its default (listed as less important)
 * @param doc      one line saying what it does, without the range or the defaults (those are
 *                 added from the declaration)
 */
public record OptimizerParam(String key, Type type, Range range, boolean advanced, String doc) {

    /** How a parameter is given. */
    public enum Type {
        /** Any number in {@link #range()}. */
        NUMBER,
        /** Off or on: 0 or 1 in a spec. */
        FLAG
    }

    public OptimizerParam {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
        if ((type == Type.NUMBER) != (range != null)) {
            throw new IllegalArgumentException("parameter " + key + ": a number needs a range, a flag has none");
        }
    }

    /** A number parameter. */
    public static OptimizerParam number(String key, Range range, boolean advanced, String doc) {
        return new OptimizerParam(key, Type.NUMBER, range, advanced, doc);
    }

    /** An on/off parameter. */
    public static OptimizerParam flag(String key, boolean advanced, String doc) {
        return new OptimizerParam(key, Type.FLAG, null, advanced, doc);
    }

    /** Whether {@code value} is valid: inside the range for a number, 0 or 1 for a flag. */
    public boolean accepts(double value) {
        return type == Type.FLAG ? value == 0.0 || value == 1.0 : range.contains(value);
    }

    /** What a valid value is, for messages and documentation: {@code in [0.0, 1.0)}, {@code > 0}, ... */
    public String describeValid() {
        return type == Type.FLAG ? "0 or 1" : range.toString();
    }

    /**
     * An interval of finite numbers, each end open or closed. An upper end of
     * {@link Double#POSITIVE_INFINITY} means unbounded; one of {@link Double#MAX_VALUE} is
     * unbounded too, except that configuration validation then rejects {@code Infinity} itself
     * instead of leaving that to the model (which rejects it either way).
     *
     * @param min           the lower end
     * @param minInclusive  whether {@code min} itself is valid
     * @param max           the upper end
     * @param maxInclusive  whether {@code max} itself is valid
     */
    public record Range(double min, boolean minInclusive, double max, boolean maxInclusive) {

        public Range {
            if (!(min <= max)) {
                throw new IllegalArgumentException("empty range: min " + min + " > max " + max);
            }
        }

        /** [lo, hi). */
        public static Range closedOpen(double lo, double hi) {
            return new Range(lo, true, hi, false);
        }

        /** [lo, hi]. */
        public static Range closed(double lo, double hi) {
            return new Range(lo, true, hi, true);
        }

        /** &gt;= lo. */
        public static Range atLeast(double lo) {
            return new Range(lo, true, Double.POSITIVE_INFINITY, false);
        }

        /** &gt; 0, finite; configuration validation rejects {@code Infinity} too. */
        public static Range positive() {
            return new Range(0.0, false, Double.MAX_VALUE, true);
        }

        /** Whether {@code v} is finite and inside. */
        public boolean contains(double v) {
            return !Double.isInfinite(v)
                    && (minInclusive ? v >= min : v > min)
                    && (maxInclusive ? v <= max : v < max);
        }

        /** Whether the upper end bounds nothing in practice (see {@link Range}). */
        public boolean unboundedAbove() {
            return max >= Double.MAX_VALUE;
        }

        /** {@code >= 0}, {@code > 0}, {@code in [0.0, 1.0)}: the form of the model's error messages. */
        @Override
        public String toString() {
            if (unboundedAbove()) {
                return (minInclusive ? ">= " : "> ") + number(min);
            }
            return "in " + (minInclusive ? "[" : "(") + min + ", " + max + (maxInclusive ? "]" : ")");
        }

        /** 0 rather than 0.0 in a one-sided bound ({@code > 0}), as the messages always said. */
        private static String number(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }
    }
}
