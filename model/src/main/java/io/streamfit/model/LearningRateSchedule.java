package io.streamfit.model;

import java.util.Locale;
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

    public static final String CONSTANT = "constant";
    public static final String EXPONENTIAL = "exponential";
    public static final String INVERSE_TIME = "inverse-time";

    /** The known kinds. */
    public static final Set<String> KINDS = Set.of(CONSTANT, EXPONENTIAL, INVERSE_TIME);

    public static final double RATE_DEFAULT = 0.96;
    public static final double STEPS_DEFAULT = 1000;

    public LearningRateSchedule {
        kind = kind == null ? CONSTANT : kind.trim().toLowerCase(Locale.ROOT);
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown learning-rate schedule '" + kind + "'; expected one of "
                    + KINDS);
        }
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
        return switch (kind) {
            case EXPONENTIAL -> learningRate * Math.pow(rate, t / steps);
            case INVERSE_TIME -> learningRate / (1 + rate * t / steps);
            default -> learningRate;
        };
    }

    /** The graph's learning rate from the update count {@code t} (float32 scalar). */
    Operand<TFloat32> build(Ops tf, float learningRate, Operand<TFloat32> t) {
        Operand<TFloat32> lr = tf.constant(learningRate);
        return switch (kind) {
            case EXPONENTIAL -> tf.math.mul(lr, tf.math.pow(tf.constant((float) rate),
                    tf.math.div(t, tf.constant((float) steps))));
            case INVERSE_TIME -> tf.math.div(lr, tf.math.add(tf.constant(1f),
                    tf.math.mul(tf.constant((float) rate), tf.math.div(t, tf.constant((float) steps)))));
            default -> lr;
        };
    }

    @Override
    public String toString() {
        return CONSTANT.equals(kind) ? CONSTANT : kind + "(rate=" + rate + ", steps=" + steps + ")";
    }
}
