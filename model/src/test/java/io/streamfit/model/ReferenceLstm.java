package io.streamfit.model;

import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * The LSTM of {@link LstmCell} written out in plain Java doubles, from a model's variables, as an
 * independent check of the graph.
 */
final class ReferenceLstm {

    private ReferenceLstm() {
    }

    static DoubleUnaryOperator activation(String name) {
        return switch (name) {
            case "tanh" -> Math::tanh;
            case "sigmoid" -> z -> 1 / (1 + Math.exp(-z));
            case "linear" -> z -> z;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * One step of cell {@code name} ({@code <name>_kernel} [in + H, 4H], {@code <name>_bias} [4H],
     * gate blocks i, f, g, o); updates h and c in place.
     */
    static void step(Map<String, float[]> vars, String name, double[] x, double[] h, double[] c,
                     DoubleUnaryOperator act, DoubleUnaryOperator gate) {
        float[] k = vars.get(name + "_kernel");
        float[] b = vars.get(name + "_bias");
        int units = h.length;
        int in = x.length;
        double[] xh = new double[in + units];
        System.arraycopy(x, 0, xh, 0, in);
        System.arraycopy(h, 0, xh, in, units);
        double[] z = new double[4 * units];
        for (int col = 0; col < 4 * units; col++) {
            double s = b[col];
            for (int row = 0; row < in + units; row++) {
                s += xh[row] * k[row * 4 * units + col];
            }
            z[col] = s;
        }
        for (int u = 0; u < units; u++) {
            double i = gate.applyAsDouble(z[u]);
            double f = gate.applyAsDouble(z[units + u]);
            double g = act.applyAsDouble(z[2 * units + u]);
            double o = gate.applyAsDouble(z[3 * units + u]);
            c[u] = f * c[u] + i * g;
            h[u] = o * act.applyAsDouble(c[u]);
        }
    }

    /** {@code x K + b} of dense layer {@code name}. */
    static double[] dense(Map<String, float[]> vars, String name, double[] x, int out) {
        float[] k = vars.get(name + "_kernel");
        float[] b = vars.get(name + "_bias");
        double[] y = new double[out];
        for (int j = 0; j < out; j++) {
            double s = b[j];
            for (int i = 0; i < x.length; i++) {
                s += x[i] * k[i * out + j];
            }
            y[j] = s;
        }
        return y;
    }

    /** The window [W, m] of object {@code obj} of a flat batch row, differenced when asked. */
    static double[][] window(float[] flat, int obj, int w, int m, boolean difference) {
        double[][] x = new double[w][m];
        for (int t = 0; t < w; t++) {
            for (int j = 0; j < m; j++) {
                x[t][j] = flat[obj * w * m + t * m + j];
            }
        }
        if (difference) {
            for (int t = w - 1; t > 0; t--) {
                for (int j = 0; j < m; j++) {
                    x[t][j] -= x[t - 1][j];
                }
            }
        }
        return x;
    }
}
