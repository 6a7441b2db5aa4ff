package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code adagrad} (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization", JMLR 2011), with the rule of TensorFlow's {@code ApplyAdagrad} kernel
 * that tensorflow-framework's {@code AdaGrad} uses. Slot {@code <var>-accumulator}, starting at
 * the initial accumulator value:
 * <pre>
 *   acc += g^2
 *   var -= lr g / sqrt(acc)
 * </pre>
 */
final class AdaGradOptimizer extends ElementwiseOptimizer {

    static final String SLOT = "accumulator";

    private final float initialAccumulator;

    /** @param initialAccumulator starting value of the accumulator (&gt; 0, keeps the first step finite) */
    AdaGradOptimizer(float initialAccumulator) {
        this.initialAccumulator = initialAccumulator;
    }

    @Override
    public String name() {
        return Optimizers.ADAGRAD;
    }

    @Override
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return Map.of(SLOT, initialAccumulator);
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        Variable<TFloat32> acc = slots.get(SLOT);
        Operand<TFloat32> accNew = tf.math.add(acc, tf.math.square(g));
        writes.set(acc, accNew);
        return tf.math.sub(var, tf.math.mul(lr, tf.math.mul(g, tf.math.rsqrt(accNew))));
    }

    @Override
    public String toString() {
        return "AdaGradOptimizer{initialAccumulator=" + initialAccumulator + "}";
    }
}
