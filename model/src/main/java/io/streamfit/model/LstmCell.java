package io.streamfit.model;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.framework.initializers.Glorot;
import org.tensorflow.framework.initializers.VarianceScaling;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Split;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * One LSTM cell built from graph ops (TensorFlow Java has no layers), applied once per timestep
 * of a statically unrolled sequence; every application shares the cell's two variables:
 * <pre>
 *   [i f g o] = [x, h] K + b             K: [in + H, 4H], b: [4H], gate blocks in that order
 *   i, f, o   = gate(i), gate(f), gate(o)          gate = recurrent activation (sigmoid)
 *   c'        = f * c + i * act(g)                 act  = activation (tanh)
 *   h'        = o * act(c')
 * </pre>
 * (Hochreiter and Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997, with the
 * forget gate of Gers et al. 2000). Initial values as Keras's LSTM: the input rows of the kernel
 * Glorot-uniform and its recurrent rows (semi-)orthogonal (Saxe et al. 2014), both from the given
 * seed, so that the recurrence neither blows up nor dies out at the start; the bias zero except
 * the forget block, which starts at 1 so that the cell remembers by default
 * (Jozefowicz et al., "An Empirical Exploration of Recurrent Network Architectures", ICML 2015).
 *
 * <p>The variables are one (kernel, bias) pair named {@code <name>_kernel} and {@code <name>_bias},
 * like a dense layer's, so optimizers that work per layer see the cell as one layer.
 */
final class LstmCell {

    /** The hidden and cell state of a batch, each [N, H]. */
    record State(Operand<TFloat32> h, Operand<TFloat32> c) {
    }

    final String name;
    final int inputs;
    final int units;
    final Variable<TFloat32> kernel;
    final Variable<TFloat32> bias;
    private final Activation activation;
    private final Activation gate;

    /**
     * Creates the cell's variables.
     *
     * @param name       variable name prefix (flat: no scope separator, see SharedWeightRegressor)
     * @param inputs     in, the width of x (at least 1)
     * @param units      H, the width of h and c (at least 1)
     * @param activation cell input and output activation
     * @param gate       gate (recurrent) activation
     * @param seed       kernel initialisation seed
     */
    LstmCell(Ops tf, String name, int inputs, int units, Activation activation, Activation gate, long seed) {
        this.name = name;
        this.inputs = inputs;
        this.units = units;
        this.activation = activation;
        this.gate = gate;
        Ops init = tf.withInitScope();
        Operand<TFloat32> inputRows = new Glorot<TFloat32>(VarianceScaling.Distribution.UNIFORM, seed)
                .call(init, init.constant(Shape.of(inputs, 4L * units)), TFloat32.class);
        Operand<TFloat32> recurrentRows = init.constant(Shape.of(units, 4L * units),
                DataBuffers.of(orthonormalRows(units, 4 * units, seed)));
        kernel = tf.withName(name + "_kernel").variable(init.concat(List.of(inputRows, recurrentRows), init.constant(0)));
        float[] b = new float[4 * units];
        java.util.Arrays.fill(b, units, 2 * units, 1f);
        bias = tf.withName(name + "_bias").variable(init.constant(b));
    }

    /**
     * A row-major [rows, cols] matrix (rows &lt;= cols) with orthonormal rows: Gaussian rows from
     * {@code seed}, orthonormalised by modified Gram-Schmidt, the rows of Q^T of a QR
     * decomposition. Computed here because tensorflow-framework 1.1.0's {@code Orthogonal}
     * initializer fails while building its graph (a null transpose permutation).
     */
    static float[] orthonormalRows(int rows, int cols, long seed) {
        java.util.Random random = new java.util.Random(seed);
        double[][] q = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                q[r][c] = random.nextGaussian();
            }
            for (int p = 0; p < r; p++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) {
                    dot += q[r][c] * q[p][c];
                }
                for (int c = 0; c < cols; c++) {
                    q[r][c] -= dot * q[p][c];
                }
            }
            double norm = 0;
            for (int c = 0; c < cols; c++) {
                norm += q[r][c] * q[r][c];
            }
            norm = Math.sqrt(norm);
            for (int c = 0; c < cols; c++) {
                q[r][c] /= norm;
            }
        }
        float[] flat = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                flat[r * cols + c] = (float) q[r][c];
            }
        }
        return flat;
    }

    /** One timestep: {@code x} is [N, in], {@code s} the state before it. */
    State step(Ops tf, Operand<TFloat32> x, State s) {
        Operand<TFloat32> z = tf.math.add(
                tf.linalg.matMul(tf.concat(List.of(x, s.h()), tf.constant(1)), kernel), bias);
        Split<TFloat32> blocks = tf.split(tf.constant(1), z, 4L);
        Operand<TFloat32> i = gate.apply(tf, blocks.output().get(0));
        Operand<TFloat32> f = gate.apply(tf, blocks.output().get(1));
        Operand<TFloat32> g = activation.apply(tf, blocks.output().get(2));
        Operand<TFloat32> o = gate.apply(tf, blocks.output().get(3));
        Operand<TFloat32> c = tf.math.add(tf.math.mul(f, s.c()), tf.math.mul(i, g));
        Operand<TFloat32> h = tf.math.mul(o, activation.apply(tf, c));
        return new State(h, c);
    }
}
