package io.streamfit.model;

/**
 * A plain-Java, double-precision forward and backward pass of softmax regression and the
 * classifier's combined loss, written from the formula in {@link Classifier}'s class doc, to check
 * the TensorFlow graph against. Weights: kernel [m, C] row-major, bias [C].
 */
final class ReferenceSoftmax {

    /** Loss, probabilities [N][C], and the gradients of the loss by the logits, kernel and bias. */
    record Output(double loss, double[][] probabilities, double[][] logitGradient, double[] kernelGradient,
                  double[] biasGradient) {
    }

    private ReferenceSoftmax() {
    }

    /**
     * @param x       features, [N][m]
     * @param segment the timestep of each object, 0-based, non-decreasing
     * @param labels  class per object, -1 where none
     * @param counts  class-count target per timestep, [B][C], null where none
     * @param w       the object term's weight
     */
    static Output run(float[] kernel, float[] bias, int classes, double[][] x, int[] segment, int[] labels,
                      double[][] counts, double w) {
        int n = x.length;
        int m = x[0].length;
        int b = counts.length;
        double[][] p = new double[n][classes];
        for (int i = 0; i < n; i++) {
            double[] z = new double[classes];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                z[c] = bias[c];
                for (int j = 0; j < m; j++) {
                    z[c] += x[i][j] * kernel[j * classes + c];
                }
                max = Math.max(max, z[c]);
            }
            double total = 0;
            for (int c = 0; c < classes; c++) {
                total += Math.exp(z[c] - max);
            }
            for (int c = 0; c < classes; c++) {
                p[i][c] = Math.exp(z[c] - max) / total;
            }
        }
        // Per timestep: labelled objects, and whether supervised (CombinedLoss's weights).
        int[] labelled = new int[b];
        for (int i = 0; i < n; i++) {
            if (labels[i] >= 0) {
                labelled[segment[i]]++;
            }
        }
        int supervised = 0;
        for (int t = 0; t < b; t++) {
            if (labelled[t] > 0 || counts[t] != null) {
                supervised++;
            }
        }
        supervised = Math.max(supervised, 1);
        double[][] expected = new double[b][classes];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                expected[segment[i]][c] += p[i][c];
            }
        }
        double loss = 0;
        // dLoss/dp for the count term, dLoss/dz for the cross-entropy term.
        double[][] dz = new double[n][classes];
        for (int i = 0; i < n; i++) {
            int t = segment[i];
            if (labels[i] >= 0) {
                double a = w / (labelled[t] * (double) supervised);
                loss += -a * Math.log(p[i][labels[i]]);
                for (int c = 0; c < classes; c++) {
                    dz[i][c] += a * (p[i][c] - (c == labels[i] ? 1 : 0));
                }
            }
            if (counts[t] != null) {
                double ct = (1 - w) / supervised;
                double[] dp = new double[classes];
                double dot = 0;
                for (int c = 0; c < classes; c++) {
                    dp[c] = ct * 2 * (expected[t][c] - counts[t][c]) / classes;
                    dot += dp[c] * p[i][c];
                }
                // Softmax Jacobian: dz_c = p_c (dp_c - sum_k dp_k p_k).
                for (int c = 0; c < classes; c++) {
                    dz[i][c] += p[i][c] * (dp[c] - dot);
                }
            }
        }
        for (int t = 0; t < b; t++) {
            if (counts[t] != null) {
                double e = 0;
                for (int c = 0; c < classes; c++) {
                    e += Math.pow(expected[t][c] - counts[t][c], 2);
                }
                loss += (1 - w) / supervised * e / classes;
            }
        }
        double[] dw = new double[m * classes];
        double[] db = new double[classes];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                db[c] += dz[i][c];
                for (int j = 0; j < m; j++) {
                    dw[j * classes + c] += x[i][j] * dz[i][c];
                }
            }
        }
        return new Output(loss, p, dz, dw, db);
    }
}
