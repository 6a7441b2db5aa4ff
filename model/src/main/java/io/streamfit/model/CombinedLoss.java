package io.streamfit.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The combined loss of the contract, {@code w * mean object loss + (1 - w) * loss of the sum},
 * for every model: the shared-weight and LSTM regressors (squared errors of objects and sums) and
 * the classifier (cross-entropy of labelled objects, squared error of expected class counts). For
 * each timestep t with object mask {@code mask_i}, {@code count_t = sum_{i in t} mask_i} and sum
 * mask {@code s_t}, with per-object losses {@code l_i} and per-timestep sum losses {@code L_t}:
 * <pre>
 *   loss_t = w sum_{i in t} mask_i l_i / max(count_t, 1) + (1 - w) s_t L_t
 *   loss   = sum_t loss_t / max(1, number of supervised timesteps)
 * </pre>
 * regrouped as {@code sum_i a_i l_i + sum_t c_t L_t} with
 * {@code a_i = w mask_i / (max(count_t, 1) B_sup)} and {@code c_t = (1 - w) s_t / B_sup}.
 * The coefficients depend on the feeds only, so the gradient graph stays small (every binary op
 * on the path from the weights to the loss costs about six more ops per training run).
 */
final class CombinedLoss {

    private CombinedLoss() {
    }

    /**
     * The regression loss, {@code l_i = rho(p_i - y_i)} and {@code L_t = rho(r_t)}, with
     * {@code rho} the squared or Huber function of {@code options} and {@code r_t = P_t - S_t},
     * divided by {@code k_t} (the objects of timestep t) under {@link LossOptions#SUM_MEAN}; under
     * the sub-scope {@code loss}, its value named {@code loss/value}.
     *
     * @param w              the object term's weight, in [0, 1]
     * @param options        the residual function and the sum term's normalisation
     * @param predictions    [N] per object
     * @param sumPredictions [T] per timestep
     * @param objectTarget   [N]; only read where {@code objectMask} is 1
     * @param objectMask     [N] 1 where the object has a target
     * @param sumTarget      [T]; only read where {@code sumMask} is 1
     * @param sumMask        [T] 1 where the timestep has a sum target
     * @param segment        [N] the timestep of each object
     * @param timesteps      scalar T
     */
    static Operand<TFloat32> build(Ops tf, float w, LossOptions options, Operand<TFloat32> predictions,
                                   Operand<TFloat32> sumPredictions, Operand<TFloat32> objectTarget,
                                   Operand<TFloat32> objectMask, Operand<TFloat32> sumTarget,
                                   Operand<TFloat32> sumMask, Operand<TInt32> segment, Operand<TInt32> timesteps) {
        Ops l = tf.withSubScope("loss");
        Operand<TFloat32> sumResidual = l.math.sub(sumPredictions, sumTarget);
        if (options.sumMean()) {
            // The sum of k predictions moves k times as fast as one of them: dividing its residual by
            // k makes the term the error of the mean prediction, in object units, whose gradient does
            // not grow with k (and whose Huber band is the objects' one).
            // From the segment ids, off the weights' path: gradients have no OnesLike.
            Operand<TFloat32> k = l.math.unsortedSegmentSum(l.fill(l.shape(segment), l.constant(1f)), segment,
                    timesteps);
            sumResidual = l.math.div(sumResidual, l.math.maximum(k, l.constant(1f)));
        }
        return combine(l, w, rho(l, options, l.math.sub(predictions, objectTarget)), objectMask,
                rho(l, options, sumResidual), sumMask, segment, timesteps);
    }

    /**
     * {@code r^2}, or the Huber function {@code q (2|r| - q)} with {@code q = min(|r|, delta)}:
     * {@code r^2} inside the band and {@code delta (2|r| - delta)} outside, so the gradient is
     * {@code 2r} clipped to {@code +-2 delta}.
     */
    static Operand<TFloat32> rho(Ops l, LossOptions options, Operand<TFloat32> r) {
        if (!options.huber()) {
            return l.math.square(r);
        }
        Operand<TFloat32> a = l.math.abs(r);
        Operand<TFloat32> q = l.math.minimum(a, l.constant((float) options.huberDelta()));
        return l.math.mul(q, l.math.sub(l.math.add(a, a), q));
    }

    /**
     * The loss of given per-object and per-timestep losses, under the sub-scope {@code loss}, its
     * value named {@code loss/value}.
     *
     * @param w          the object term's weight, in [0, 1]
     * @param objectLoss [N] l_i; only read where {@code objectMask} is 1 (must be finite elsewhere)
     * @param objectMask [N] 1 where the object is supervised
     * @param sumLoss    [T] L_t; only read where {@code sumMask} is 1 (must be finite elsewhere)
     * @param sumMask    [T] 1 where the timestep has a sum target
     * @param segment    [N] the timestep of each object
     * @param timesteps  scalar T
     */
    static Operand<TFloat32> weighted(Ops tf, float w, Operand<TFloat32> objectLoss, Operand<TFloat32> objectMask,
                                      Operand<TFloat32> sumLoss, Operand<TFloat32> sumMask, Operand<TInt32> segment,
                                      Operand<TInt32> timesteps) {
        return combine(tf.withSubScope("loss"), w, objectLoss, objectMask, sumLoss, sumMask, segment, timesteps);
    }

    private static Operand<TFloat32> combine(Ops l, float w, Operand<TFloat32> objectLoss, Operand<TFloat32> objectMask,
                                             Operand<TFloat32> sumLoss, Operand<TFloat32> sumMask,
                                             Operand<TInt32> segment, Operand<TInt32> timesteps) {
        Operand<TFloat32> one = l.constant(1f);
        Operand<TInt32> axis0 = l.constant(0);

        Operand<TFloat32> count = l.math.unsortedSegmentSum(objectMask, segment, timesteps);
        Operand<TFloat32> supervised = l.dtypes.cast(
                l.math.greater(l.math.add(count, sumMask), l.constant(0f)), TFloat32.class);
        Operand<TFloat32> supervisedCount = l.math.maximum(l.reduceSum(supervised, axis0), one);
        // max(count, 1): where count_t = 0 every mask_i of t is 0 too, so the object term vanishes
        // (a timestep with only a sum target) instead of becoming 0/0.
        Operand<TFloat32> objectScale = l.math.div(l.constant(w), l.math.mul(l.math.maximum(count, one), supervisedCount));
        Operand<TFloat32> objectWeight = l.math.mul(objectMask, l.gather(objectScale, segment, axis0));
        Operand<TFloat32> sumWeight = l.math.mul(sumMask, l.math.div(l.constant(1f - w), supervisedCount));

        Operand<TFloat32> objectTerm = l.reduceSum(l.math.mul(objectWeight, objectLoss), axis0);
        Operand<TFloat32> sumTerm = l.reduceSum(l.math.mul(sumWeight, sumLoss), axis0);
        return l.withName("value").math.add(objectTerm, sumTerm);
    }
}
