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
 * for every {@link PairOptimizer}, all writes follow all reads. Second, the fused
 * {@code ApplyAdam} CPU kernel is slow on small tensors (on the development machine, 196 us
 * against 48 us for these element-wise ops on an 8192-element variable, one run each).
 */
final class AdamOptimizer extends ElementwiseOptimizer {

    static final String FIRST_MOMENT = "m";
    static final String SECOND_MOMENT = "v";

    private final float beta1;
    private final float beta2;
    private final float epsilon;

    private Variable<TFloat32> beta1Power;
    private Variable<TFloat32> beta2Power;
    private Operand<TFloat32> stepSize;

    /**
     * @param beta1   decay of the first-moment estimate, in [0, 1)
     * @param beta2   decay of the second-moment estimate, in [0, 1)
     * @param epsilon added to the root of the second moment for stability (&gt; 0)
     */
    AdamOptimizer(float beta1, float beta2, float epsilon) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
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
        Operand<TFloat32> one = tf.constant(1f);
        stepSize = tf.withName("adam_step_size").math.div(
                tf.math.mul(lr, tf.math.sqrt(tf.math.sub(one, beta2Power))), tf.math.sub(one, beta1Power));
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
        return "AdamOptimizer{beta1=" + beta1 + ", beta2=" + beta2 + ", epsilon=" + epsilon + "}";
    }
}
