package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** {@code sgd}: plain gradient descent, {@code var -= lr * g}. No state. */
final class SgdOptimizer extends ElementwiseOptimizer {

    @Override
    public String name() {
        return Optimizers.SGD;
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        return tf.math.sub(var, tf.math.mul(lr, g));
    }

    @Override
    public String toString() {
        return "SgdOptimizer{}";
    }
}
