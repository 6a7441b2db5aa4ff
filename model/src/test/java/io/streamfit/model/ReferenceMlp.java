package io.streamfit.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain-Java, double-precision forward and backward pass of the shared-weight MLP and its
 * combined loss, written from the formula in {@link SharedWeightRegressor}'s class doc, to check
 * the TensorFlow graph against.
 */
final class ReferenceMlp {

    /** Loss, object predictions and the gradient of the loss by weight name. */
    record Output(double loss, double[] predictions, Map<String, double[]> gradients) {
    }

    private final int[] sizes;
    private final String activation;
    private final double[][] kernels;
    private final double[][] biases;
    private final String[] names;

    /**
     * @param weights as {@link SharedWeightRegressor#weights()} returns them
     */
    ReferenceMlp(int features, int[] hidden, String activation, Map<String, float[]> weights) {
        this.activation = activation;
        sizes = new int[hidden.length + 2];
        sizes[0] = features;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = 1;
        int layers = sizes.length - 1;
        kernels = new double[layers][];
        biases = new double[layers][];
        names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = l == layers - 1 ? "output" : "dense_" + l;
            kernels[l] = toDouble(weights.get(names[l] + "_kernel"));
            biases[l] = toDouble(weights.get(names[l] + "_bias"));
        }
    }

    Output run(ObjectBatch batch, double w) {
        int n = batch.objects();
        int b = batch.timesteps();
        int layers = sizes.length - 1;
        // acts[l][i] = input of layer l for object i; pre[l][i] = pre-activation output of layer l
        double[][][] acts = new double[layers + 1][n][];
        double[][][] pre = new double[layers][n][];
        for (int i = 0; i < n; i++) {
            acts[0][i] = new double[sizes[0]];
            for (int j = 0; j < sizes[0]; j++) {
                acts[0][i][j] = batch.x()[i * sizes[0] + j];
            }
            for (int l = 0; l < layers; l++) {
                double[] z = new double[sizes[l + 1]];
                for (int o = 0; o < sizes[l + 1]; o++) {
                    double s = biases[l][o];
                    for (int k = 0; k < sizes[l]; k++) {
                        s += acts[l][i][k] * kernels[l][k * sizes[l + 1] + o];
                    }
                    z[o] = s;
                }
                pre[l][i] = z;
                acts[l + 1][i] = l == layers - 1 ? z.clone() : activate(z);
            }
        }
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = acts[layers][i][0];
        }

        double[] count = new double[b];
        double[] objects = new double[b];
        double[] sum = new double[b];
        double[] objSq = new double[b];
        for (int i = 0; i < n; i++) {
            int t = batch.segment()[i];
            double m = batch.objectMask()[i];
            count[t] += m;
            objects[t]++;
            sum[t] += p[i];
            objSq[t] += m * (p[i] - batch.objectTarget()[i]) * (p[i] - batch.objectTarget()[i]);
        }
        double total = 0;
        int supervised = 0;
        for (int t = 0; t < b; t++) {
            double s = batch.sumMask()[t];
            double objLoss = count[t] > 0 ? objSq[t] / count[t] : 0.0;
            // LossOptions.SUM_MEAN, the default: the residual of the mean prediction.
            double sumErr = (sum[t] - batch.sumTarget()[t]) / Math.max(1, objects[t]);
            total += w * objLoss + (1 - w) * s * sumErr * sumErr;
            if (count[t] > 0 || s > 0) {
                supervised++;
            }
        }
        double denom = Math.max(1, supervised);
        double loss = total / denom;

        // dL/dp_i
        double[][] delta = new double[n][];
        for (int i = 0; i < n; i++) {
            int t = batch.segment()[i];
            double m = batch.objectMask()[i];
            double d = 0;
            if (count[t] > 0) {
                d += w * m * 2 * (p[i] - batch.objectTarget()[i]) / count[t];
            }
            double k = Math.max(1, objects[t]);
            d += (1 - w) * batch.sumMask()[t] * 2 * (sum[t] - batch.sumTarget()[t]) / (k * k);
            delta[i] = new double[] {d / denom};
        }
        Map<String, double[]> grads = new LinkedHashMap<>();
        double[][] gk = new double[layers][];
        double[][] gb = new double[layers][];
        for (int l = layers - 1; l >= 0; l--) {
            gk[l] = new double[sizes[l] * sizes[l + 1]];
            gb[l] = new double[sizes[l + 1]];
            double[][] next = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] dz = delta[i];
                if (l < layers - 1) {
                    dz = dz.clone();
                    for (int o = 0; o < dz.length; o++) {
                        dz[o] *= derivative(pre[l][i][o], acts[l + 1][i][o]);
                    }
                }
                double[] din = new double[sizes[l]];
                for (int k = 0; k < sizes[l]; k++) {
                    for (int o = 0; o < sizes[l + 1]; o++) {
                        gk[l][k * sizes[l + 1] + o] += acts[l][i][k] * dz[o];
                        din[k] += kernels[l][k * sizes[l + 1] + o] * dz[o];
                    }
                }
                for (int o = 0; o < sizes[l + 1]; o++) {
                    gb[l][o] += dz[o];
                }
                next[i] = din;
            }
            delta = next;
        }
        for (int l = 0; l < layers; l++) {
            grads.put(names[l] + "_kernel", gk[l]);
            grads.put(names[l] + "_bias", gb[l]);
        }
        return new Output(loss, p, grads);
    }

    private double[] activate(double[] z) {
        double[] a = new double[z.length];
        for (int o = 0; o < z.length; o++) {
            a[o] = switch (activation) {
                case "relu" -> Math.max(0, z[o]);
                case "tanh" -> Math.tanh(z[o]);
                case "sigmoid" -> 1 / (1 + Math.exp(-z[o]));
                case "linear" -> z[o];
                default -> throw new IllegalArgumentException(activation);
            };
        }
        return a;
    }

    private double derivative(double z, double a) {
        return switch (activation) {
            case "relu" -> z > 0 ? 1 : 0;
            case "tanh" -> 1 - a * a;
            case "sigmoid" -> a * (1 - a);
            case "linear" -> 1;
            default -> throw new IllegalArgumentException(activation);
        };
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
