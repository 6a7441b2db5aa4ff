package io.streamfit.model;

/**
 * What is done to the gradients before the optimizer sees them, and to the weights after. All of
 * it applies to a layer's weights W only, never to its bias (a bias shifts a neuron's output and
 * shrinking it towards 0 has no smoothing effect, only a bias).
 *
 * @param l1          adds {@code l1 * sign(W)} to W's gradient (the gradient of l1 * |W|_1); &gt;= 0
 * @param l2          adds {@code l2 * W} to W's gradient (the gradient of l2/2 * |W|_2^2); &gt;= 0
 * @param weightDecay decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
 *                    Regularization", ICLR 2019): after the optimizer's step,
 *                    {@code W -= lr_t * weightDecay * W_old}; &gt;= 0
 * @param clipNorm    if &gt; 0, all gradients (weights and biases, after l1/l2) are scaled by
 *                    {@code clipNorm / max(norm, clipNorm)} where norm is their global L2 norm; 0 = off
 */
public record Regularization(double l1, double l2, double weightDecay, double clipNorm) {

    public static final Regularization NONE = new Regularization(0, 0, 0, 0);

    public Regularization {
        check("l1", l1);
        check("l2", l2);
        check("weight.decay", weightDecay);
        check("clip.norm", clipNorm);
    }

    private static void check(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer parameter " + key + " must be finite and >= 0, got " + v);
        }
    }
}
