package io.streamfit.model;

import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The parameters of one dense layer as the pair optimizers see them: weights W [in, out] and the
 * bias b [out] of the same neurons (neuron j owns column j of W and b[j]). Together they form the
 * extended matrix W* = [W; b] of shape [in + 1, out], the bias being the weight of a constant-1
 * input.
 *
 * @param layer       the layer's name, e.g. {@code dense_0} or {@code output}
 * @param weights     W, float32 [in, out]; its TensorFlow name is {@code <layer>_kernel}
 * @param bias        b, float32 [out]; its TensorFlow name is {@code <layer>_bias}
 * @param inputs      in, the number of inputs of the layer (at least 1)
 * @param outputs     out, the number of neurons (at least 1)
 */
public record DenseParams(String layer, Variable<TFloat32> weights, Variable<TFloat32> bias, int inputs,
                          int outputs) {

    /** TensorFlow name of the weights variable. */
    public String weightsName() {
        return weights.op().name();
    }

    /** TensorFlow name of the bias variable. */
    public String biasName() {
        return bias.op().name();
    }
}
