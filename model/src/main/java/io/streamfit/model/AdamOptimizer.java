package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code adam} (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015), with the
 * update rule and variable names of tensorflow-framework's {@code Adam}: slots {@code <var>-m} and
 * {@code <var>-v}, scalars {@code beta1_power} and {@code beta2_power} (beta^t at step
 * t = 1, 2, ...). Per variable and step:
 * <pre>
 *   m   += (g - m) (1 - beta1)
 *   v   += (g^2 - v) (1 - beta2)
 *   var -= lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
 * </pre>
 *
 * <p>Why not the framework's class. First, in tensorflow-framework 1.1.0 {@code Adam.finish}
 * assigns {@code beta1_power *= beta1} and {@code beta2_power *= beta2} without any dependency on
 * the variable updates, so within one session run an update may read the powers of step t or of
 * step t + 1 depending on scheduling: training is slightly wrong and not reproducible. Here, as
 * for every {@link PairOptimizer}, all writes follow all reads: here the powers are plain
 * {@link Writes#set} values, assigned after every variable's update ran.
 *
 * <p>Two forms of the same rule. The fused form (the default) runs TensorFlow's {@code ApplyAdam}
 * kernel per variable: one op that updates var, m and v in place, instead of about 15 element-wise
 * ops, 3 guarded copies and 3 assigns per variable. It takes the gated gradient, so it does not run
 * at all when the guard fails ({@link GuardedUpdate}). The element-wise form builds the same maths
 * from single ops and assigns the results; it is the reference the fused form is tested against.
 * They agree to float rounding (the kernel multiplies by the step size before dividing).
 */
final class AdamOptimizer extends ElementwiseOptimizer {

    static final String FIRST_MOMENT = "m";
    static final String SECOND_MOMENT = "v";

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final boolean fused;

    private Variable<TFloat32> beta1Power;
    private Variable<TFloat32> beta2Power;
    private Operand<TFloat32> stepSize;

    /**
     * @param beta1   decay of the first-moment estimate, in [0, 1)
     * @param beta2   decay of the second-moment estimate, in [0, 1)
     * @param epsilon added to the root of the second moment for stability (&gt; 0)
     * @param fused   true: TensorFlow's {@code ApplyAdam} kernel; false: element-wise ops
     */
    AdamOptimizer(float beta1, float beta2, float epsilon, boolean fused) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.fused = fused;
    }

    @Override
    public String name() {
        return Optimizers.ADAM;
    }

    @Override
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return Map.of(FIRST_MOMENT, 0f, SECOND_MOMENT, 0f);
    }

    @Override
    protected void createGlobals(Ops init) {
        beta1Power = init.withName("beta1_power").variable(init.constant(beta1));
        beta2Power = init.withName("beta2_power").variable(init.constant(beta2));
    }

    @Override
    protected void prepare(Ops tf, Operand<TFloat32> lr) {
        if (fused) {
            return;
        }
        Operand<TFloat32> one = tf.constant(1f);
        stepSize = tf.withName("adam_step_size").math.div(
                tf.math.mul(lr, tf.math.sqrt(tf.math.sub(one, beta2Power))), tf.math.sub(one, beta1Power));
    }

    @Override
    protected void write(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                         boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        if (!fused) {
            super.write(tf, lr, var, g, isWeights, slots, writes);
            return;
        }
        // The powers are read here and assigned (multiplied by beta) only after every ApplyAdam ran.
        Ops in = writes.inPlaceScope();
        writes.updated(var, in.train.applyAdam(var, slots.get(FIRST_MOMENT), slots.get(SECOND_MOMENT), beta1Power,
                beta2Power, lr, in.constant(beta1), in.constant(beta2), in.constant(epsilon), g));
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        Variable<TFloat32> m = slots.get(FIRST_MOMENT);
        Variable<TFloat32> v = slots.get(SECOND_MOMENT);
        Operand<TFloat32> mNew = tf.math.add(m, tf.math.mul(tf.math.sub(g, m), tf.constant(1f - beta1)));
        Operand<TFloat32> vNew = tf.math.add(v,
                tf.math.mul(tf.math.sub(tf.math.square(g), v), tf.constant(1f - beta2)));
        writes.set(m, mNew);
        writes.set(v, vNew);
        return tf.math.sub(var, tf.math.mul(stepSize,
                tf.math.div(mNew, tf.math.add(tf.math.sqrt(vNew), tf.constant(epsilon)))));
    }

    @Override
    protected void finish(Ops tf, Writes writes) {
        writes.set(beta1Power, tf.math.mul(beta1Power, tf.constant(beta1)));
        writes.set(beta2Power, tf.math.mul(beta2Power, tf.constant(beta2)));
    }

    @Override
    public String toString() {
        return "AdamOptimizer{beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon=" + epsilon + ", fused=" + fused + "}";
    }
}
