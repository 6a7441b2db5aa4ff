package io.streamfit.model;

import java.util.List;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The learning rate as a function of the number of applied updates t (the model version before
 * the update: 0 for the first update). Because t is the model's update count, which every
 * checkpoint holds, a restored model continues the schedule exactly where it stopped, and a
 * skipped update does not advance it.
 * <pre>
 *   constant      lr_t = lr
 *   exponential   lr_t = lr * rate^(t / steps)
 *   inverse-time  lr_t = lr / (1 + rate * t / steps)
 * </pre>
 *
 * @param kind  {@code constant}, {@code exponential} or {@code inverse-time}
 * @param rate  decay rate: in (0, 1] for exponential, &gt;= 0 for inverse-time; ignored for constant
 * @param steps updates per decay period (&gt; 0); ignored for constant
 */
public record LearningRateSchedule(String kind, double rate, double steps) {

    // The spellings of Kind, which takes them from here: compile-time constants serve annotations and case labels.
    public static final String CONSTANT = "constant";
    public static final String EXPONENTIAL = "exponential";
    public static final String INVERSE_TIME = "inverse-time";

    /** The schedule kinds by their configuration name ({@code optimizer.schedule}). */
    public enum Kind implements ConfigEnum {
        /** lr_t = lr. */
        CONSTANT(LearningRateSchedule.CONSTANT),
        /** lr_t = lr * rate^(t / steps). */
        EXPONENTIAL(LearningRateSchedule.EXPONENTIAL),
        /** lr_t = lr / (1 + rate * t / steps). */
        INVERSE_TIME(LearningRateSchedule.INVERSE_TIME);

        private final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        @Override
        public String configName() {
            return configName;
        }

        /**
         * The kind called {@code name} (case-insensitive); {@code null} is {@link #CONSTANT}.
         *
         * @throws IllegalArgumentException for an unknown name, listing the known ones
         */
        public static Kind fromConfig(String name) {
            return name == null ? CONSTANT : ConfigEnum.fromConfig(Kind.class, "learning-rate schedule", name);
        }

        /** Every kind's configuration name: constant, exponential, inverse-time. */
        public static List<String> configNames() {
            return ConfigEnum.configNames(Kind.class);
        }
    }

    /** The known kinds' names. */
    public static final Set<String> KINDS = Set.copyOf(Kind.configNames());

    public static final double RATE_DEFAULT = 0.96;
    public static final double STEPS_DEFAULT = 1000;

    public LearningRateSchedule {
        kind = Kind.fromConfig(kind).configName();
        if (!CONSTANT.equals(kind)) {
            if (!(steps > 0) || Double.isInfinite(steps)) {
                throw new IllegalArgumentException("schedule " + kind + ": decay.steps must be > 0, got " + steps);
            }
            boolean ok = EXPONENTIAL.equals(kind) ? rate > 0 && rate <= 1 : rate >= 0 && !Double.isInfinite(rate);
            if (!ok) {
                throw new IllegalArgumentException("schedule " + kind + ": decay.rate must be "
                        + (EXPONENTIAL.equals(kind) ? "in (0, 1]" : ">= 0") + ", got " + rate);
            }
        }
    }

    /** The constant schedule. */
    public static LearningRateSchedule constant() {
        return new LearningRateSchedule(CONSTANT, RATE_DEFAULT, STEPS_DEFAULT);
    }

    /** The learning rate of update {@code t} (plain Java, for references and documentation). */
    public double at(double learningRate, long t) {
        return switch (kindEnum()) {
            case EXPONENTIAL -> learningRate * Math.pow(rate, t / steps);
            case INVERSE_TIME -> learningRate / (1 + rate * t / steps);
            case CONSTANT -> learningRate;
        };
    }

    /** The graph's learning rate from the update count {@code t} (float32 scalar). */
    Operand<TFloat32> build(Ops tf, float learningRate, Operand<TFloat32> t) {
        Operand<TFloat32> lr = tf.constant(learningRate);
        return switch (kindEnum()) {
            case EXPONENTIAL -> tf.math.mul(lr, tf.math.pow(tf.constant((float) rate),
                    tf.math.div(t, tf.constant((float) steps))));
            case INVERSE_TIME -> tf.math.div(lr, tf.math.add(tf.constant(1f),
                    tf.math.mul(tf.constant((float) rate), tf.math.div(t, tf.constant((float) steps)))));
            case CONSTANT -> lr;
        };
    }

    /** {@link #kind()} as its enum. */
    public Kind kindEnum() {
        return Kind.fromConfig(kind);
    }

    @Override
    public String toString() {
        return CONSTANT.equals(kind) ? CONSTANT : kind + "(rate=" + rate + ", steps=" + steps + ")";
    }
}
