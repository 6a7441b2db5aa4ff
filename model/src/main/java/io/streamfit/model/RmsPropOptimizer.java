package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code rmsprop} (Hinton, Srivastava and Swersky, "Neural Networks for Machine Learning",
 * lecture 6e, 2012), with the rules of TensorFlow's {@code ApplyRMSProp} and
 * {@code ApplyCenteredRMSProp} kernels and the slots of tensorflow-framework's {@code RMSProp}:
 * {@code <var>-rms} (starting at 1), {@code <var>-momentum} (0) and, when centered,
 * {@code <var>-mg} (0):
 * <pre>
 *   ms  = rho ms + (1 - rho) g^2
 *   mg  = rho mg + (1 - rho) g                       (centered only)
 *   mom = momentum mom + lr g / sqrt(ms - mg^2 + epsilon)   (mg = 0 when not centered)
 *   var -= mom
 * </pre>
 */
final class RmsPropOptimizer extends ElementwiseOptimizer {

    static final String RMS = "rms";
    static final String MOMENTUM = "momentum";
    static final String MG = "mg";

    private final float rho;
    private final float momentum;
    private final float epsilon;
    private final boolean centered;

    /**
     * @param rho      decay of the mean square, in [0, 1)
     * @param momentum momentum of the step, in [0, 1)
     * @param epsilon  added under the root (&gt; 0)
     * @param centered whether to divide by the estimated variance instead of the mean square
     */
    RmsPropOptimizer(float rho, float momentum, float epsilon, boolean centered) {
        this.rho = rho;
        this.momentum = momentum;
        this.epsilon = epsilon;
        this.centered = centered;
    }

    @Override
    public String name() {
        return Optimizers.RMSPROP;
    }

    @Override
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return centered ? Map.of(RMS, 1f, MOMENTUM, 0f, MG, 0f) : Map.of(RMS, 1f, MOMENTUM, 0f);
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        Operand<TFloat32> decay = tf.constant(rho);
        Operand<TFloat32> rest = tf.constant(1f - rho);
        Variable<TFloat32> ms = slots.get(RMS);
        Variable<TFloat32> mom = slots.get(MOMENTUM);
        Operand<TFloat32> msNew = tf.math.add(tf.math.mul(decay, ms), tf.math.mul(rest, tf.math.square(g)));
        writes.set(ms, msNew);
        Operand<TFloat32> denominator = tf.math.add(msNew, tf.constant(epsilon));
        if (centered) {
            Variable<TFloat32> mg = slots.get(MG);
            Operand<TFloat32> mgNew = tf.math.add(tf.math.mul(decay, mg), tf.math.mul(rest, g));
            writes.set(mg, mgNew);
            denominator = tf.math.sub(denominator, tf.math.square(mgNew));
        }
        Operand<TFloat32> momNew = tf.math.add(tf.math.mul(tf.constant(momentum), mom),
                tf.math.mul(lr, tf.math.mul(g, tf.math.rsqrt(denominator))));
        writes.set(mom, momNew);
        return tf.math.sub(var, momNew);
    }

    @Override
    public String toString() {
        return "RmsPropOptimizer{rho=" + rho + ", momentum=" + momentum + ", epsilon=" + epsilon
                + ", centered=" + centered + "}";
    }
}
