package io.streamfit.model;

import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code neuron-mean-momentum}: momentum shared by the incoming connections of each neuron.
 *
 * <p>Each layer is seen as the extended matrix W* = [W; b] of shape [in + 1, out]: the bias is the
 * weight of a constant-1 input, so neuron j's incoming connections are column j of W and b[j].
 * A momentum slot a of the same shape ({@code <W>-momentum} [in, out] and {@code <b>-momentum}
 * [out]) is updated per step as
 * <pre>
 *   mean_j = (sum_k a[k, j] + a_b[j]) / (in + 1)     (over neuron j's connections, bias included)
 *   a[k, j] = g[k, j] + mu mean_j,   a_b[j] = g_b[j] + mu mean_j
 *   W* -= lr a
 * </pre>
 * so the bias is averaged together with its neuron's weights, never on its own. With one input
 * and no momentum history it reduces to plain momentum.
 */
final class NeuronMeanMomentum extends PairOptimizer {

    static final String SLOT = "momentum";

    private final float momentum;
    private final Map<String, Variable<TFloat32>[]> slots = new HashMap<>();

    /** @param momentum mu, in [0, 1) */
    NeuronMeanMomentum(float momentum) {
        this.momentum = momentum;
    }

    @Override
    public String name() {
        return Optimizers.NEURON_MEAN_MOMENTUM;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void createSlots(Ops init, DenseParams layer) {
        slots.put(layer.layer(), new Variable[] {
            slot(init, layer.weights(), SLOT, Shape.of(layer.inputs(), layer.outputs()), 0f),
            slot(init, layer.bias(), SLOT, Shape.of(layer.outputs()), 0f)});
    }

    @Override
    protected void update(Ops tf, Operand<TFloat32> lr, DenseParams layer, Operand<TFloat32> gW,
                          Operand<TFloat32> gB, Writes writes) {
        Variable<TFloat32>[] a = slots.get(layer.layer());
        Operand<TFloat32> rowSums = tf.reduceSum(a[0], tf.constant(0));
        Operand<TFloat32> mean = tf.math.div(tf.math.add(rowSums, a[1]), tf.constant((float) (layer.inputs() + 1)));
        Operand<TFloat32> shared = tf.math.mul(tf.constant(momentum), mean);
        // [in, out] + [out] broadcasts the neuron's term down its column of W.
        Operand<TFloat32> aW = tf.math.add(gW, shared);
        Operand<TFloat32> aB = tf.math.add(gB, shared);
        writes.set(a[0], aW);
        writes.set(a[1], aB);
        writes.set(layer.weights(), tf.math.sub(layer.weights(), tf.math.mul(lr, aW)));
        writes.set(layer.bias(), tf.math.sub(layer.bias(), tf.math.mul(lr, aB)));
    }

    @Override
    public String toString() {
        return "NeuronMeanMomentum{momentum=" + momentum + "}";
    }
}
