package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code momentum}: heavy-ball momentum (Polyak 1964), optionally Nesterov's variant (Sutskever et
 * al., "On the importance of initialization and momentum in deep learning", ICML 2013), with the
 * rule of TensorFlow's {@code ApplyMomentum} kernel. Slot {@code <var>-momentum} (accumulator a):
 * <pre>
 *   a   = mu a + g
 *   var -= lr a                    (heavy ball)
 *   var -= lr g + lr mu a          (Nesterov)
 * </pre>
 */
final class MomentumOptimizer extends ElementwiseOptimizer {

    static final String SLOT = "momentum";

    private final float momentum;
    private final boolean nesterov;

    /**
     * @param momentum mu, in [0, 1)
     * @param nesterov whether to use Nesterov's look-ahead
     */
    MomentumOptimizer(float momentum, boolean nesterov) {
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    @Override
    public String name() {
        return Optimizers.MOMENTUM;
    }

    @Override
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return Map.of(SLOT, 0f);
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        Variable<TFloat32> accum = slots.get(SLOT);
        Operand<TFloat32> mu = tf.constant(momentum);
        Operand<TFloat32> a = tf.math.add(tf.math.mul(mu, accum), g);
        writes.set(accum, a);
        Operand<TFloat32> step = nesterov ? tf.math.add(g, tf.math.mul(mu, a)) : a;
        return tf.math.sub(var, tf.math.mul(lr, step));
    }

    @Override
    public String toString() {
        return "MomentumOptimizer{momentum=" + momentum + ", nesterov=" + nesterov + "}";
    }
}
