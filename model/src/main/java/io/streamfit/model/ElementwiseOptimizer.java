package io.streamfit.model;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A {@link PairOptimizer} whose rule treats every element of every variable on its own (SGD,
 * momentum, Adam, AdaGrad, RMSProp, FTRL): subclasses give the slots of one variable and the
 * update of one variable; this class applies them to the weights and to the bias of each layer.
 */
abstract class ElementwiseOptimizer extends PairOptimizer {

    private final Map<String, Map<String, Variable<TFloat32>>> slots = new HashMap<>();

    /** The slot names and initial values of one variable (e.g. {@code momentum} = 0). */
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return Map.of();
    }

    /**
     * The new value of {@code variable} (and of its slots, through {@code writes}).
     *
     * @param isWeights true for a layer's weights W, false for its bias b (for rules that
     *                  regularise weights only)
     * @param slots     this variable's slots by name
     */
    protected abstract Operand<TFloat32> apply(Ops tf, Operand<TFloat32> learningRate, Variable<TFloat32> variable,
                                               Operand<TFloat32> gradient, boolean isWeights,
                                               Map<String, Variable<TFloat32>> slots, Writes writes);

    /**
     * Writes the update of one variable: by default {@code writes.set(variable, apply(...))}. A rule
     * with a fused TensorFlow kernel that updates the variable and its slots in place overrides
     * this and registers the kernel with {@link Writes#updated}.
     */
    protected void write(Ops tf, Operand<TFloat32> learningRate, Variable<TFloat32> variable,
                         Operand<TFloat32> gradient, boolean isWeights, Map<String, Variable<TFloat32>> slots,
                         Writes writes) {
        writes.set(variable, apply(tf, learningRate, variable, gradient, isWeights, slots, writes));
    }

    @Override
    protected final void createSlots(Ops init, DenseParams layer) {
        create(init, layer.weights(), Shape.of(layer.inputs(), layer.outputs()), true);
        create(init, layer.bias(), Shape.of(layer.outputs()), false);
    }

    private void create(Ops init, Variable<TFloat32> variable, Shape shape, boolean isWeights) {
        Map<String, Variable<TFloat32>> own = new HashMap<>();
        slotsOf(isWeights).forEach((name, initial) -> own.put(name, slot(init, variable, name, shape, initial)));
        slots.put(variable.op().name(), own);
    }

    @Override
    protected final void update(Ops tf, Operand<TFloat32> learningRate, DenseParams layer,
                                Operand<TFloat32> weightGradient, Operand<TFloat32> biasGradient, Writes writes) {
        write(tf, learningRate, layer.weights(), weightGradient, true, slots.get(layer.weightsName()), writes);
        write(tf, learningRate, layer.bias(), biasGradient, false, slots.get(layer.biasName()), writes);
    }
}
