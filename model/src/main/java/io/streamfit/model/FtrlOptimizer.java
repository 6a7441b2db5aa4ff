package io.streamfit.model;

import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code ftrl}: FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches",
 * KDD 2013), with the rule of TensorFlow's {@code ApplyFtrlV2} kernel and the slots of
 * tensorflow-framework's {@code Ftrl}: {@code <var>-gradient_accumulator} n (starting at the
 * initial accumulator value) and {@code <var>-linear_accumulator} z (0). With lr power p &lt;= 0:
 * <pre>
 *   gs  = g + 2 l2shrink var
 *   n'  = n + g^2
 *   z  += gs - (n'^(-p) - n^(-p)) / lr * var
 *   var = (clip(z, -l1, l1) - z) / (n'^(-p) / lr + 2 l2)     (0 where |z| &lt;= l1)
 *   n   = n'
 * </pre>
 * FTRL's own l1, l2 and l2-shrinkage strengths apply to a layer's weights only; biases get 0, in
 * line with streamfit's rule that regularisation never touches biases.
 */
final class FtrlOptimizer extends ElementwiseOptimizer {

    static final String ACCUMULATOR = "gradient_accumulator";
    static final String LINEAR = "linear_accumulator";

    private final float lrPower;
    private final float initialAccumulator;
    private final float l1;
    private final float l2;
    private final float l2Shrinkage;

    /**
     * @param lrPower            p, in (-inf, 0]; -0.5 is the paper's 1/sqrt(n) step
     * @param initialAccumulator start of n (&gt; 0)
     * @param l1                 l1 strength on weights (&gt;= 0)
     * @param l2                 l2 strength on weights (&gt;= 0)
     * @param l2Shrinkage        l2 shrinkage strength on weights (&gt;= 0)
     */
    FtrlOptimizer(float lrPower, float initialAccumulator, float l1, float l2, float l2Shrinkage) {
        this.lrPower = lrPower;
        this.initialAccumulator = initialAccumulator;
        this.l1 = l1;
        this.l2 = l2;
        this.l2Shrinkage = l2Shrinkage;
    }

    @Override
    public String name() {
        return Optimizers.FTRL;
    }

    @Override
    protected Map<String, Float> slotsOf(boolean isWeights) {
        return Map.of(ACCUMULATOR, initialAccumulator, LINEAR, 0f);
    }

    @Override
    protected Operand<TFloat32> apply(Ops tf, Operand<TFloat32> lr, Variable<TFloat32> var, Operand<TFloat32> g,
                                      boolean isWeights, Map<String, Variable<TFloat32>> slots, Writes writes) {
        float l1s = isWeights ? l1 : 0f;
        float l2s = isWeights ? l2 : 0f;
        float shrink = isWeights ? l2Shrinkage : 0f;
        Variable<TFloat32> n = slots.get(ACCUMULATOR);
        Variable<TFloat32> z = slots.get(LINEAR);
        Operand<TFloat32> gs = shrink == 0f ? g : tf.math.add(g, tf.math.mul(tf.constant(2f * shrink), var));
        Operand<TFloat32> nNew = tf.math.add(n, tf.math.square(g));
        Operand<TFloat32> nPow = power(tf, n);
        Operand<TFloat32> nNewPow = power(tf, nNew);
        Operand<TFloat32> zNew = tf.math.add(z,
                tf.math.sub(gs, tf.math.mul(tf.math.div(tf.math.sub(nNewPow, nPow), lr), var)));
        Operand<TFloat32> numerator = tf.math.sub(
                tf.clipByValue(zNew, tf.constant(-l1s), tf.constant(l1s)), zNew);
        Operand<TFloat32> quadratic = tf.math.add(tf.math.div(nNewPow, lr), tf.constant(2f * l2s));
        writes.set(n, nNew);
        writes.set(z, zNew);
        return tf.math.div(numerator, quadratic);
    }

    /** n^(-p); the common p = -0.5 as a square root, like the TensorFlow kernel. */
    private Operand<TFloat32> power(Ops tf, Operand<TFloat32> n) {
        return lrPower == -0.5f ? tf.math.sqrt(n) : tf.math.pow(n, tf.constant(-lrPower));
    }

    @Override
    public String toString() {
        return "FtrlOptimizer{lrPower=" + lrPower + ", initialAccumulator=" + initialAccumulator + ", l1=" + l1
                + ", l2=" + l2 + ", l2Shrinkage=" + l2Shrinkage + "}";
    }
}
