package io.streamfit.model;

import static io.streamfit.model.OptimizerParam.flag;
import static io.streamfit.model.OptimizerParam.number;
import static io.streamfit.model.Optimizers.PARAM_BETA1;
import static io.streamfit.model.Optimizers.PARAM_BETA2;
import static io.streamfit.model.Optimizers.PARAM_CENTERED;
import static io.streamfit.model.Optimizers.PARAM_CLIP_NORM;
import static io.streamfit.model.Optimizers.PARAM_DECAY_RATE;
import static io.streamfit.model.Optimizers.PARAM_DECAY_STEPS;
import static io.streamfit.model.Optimizers.PARAM_EPSILON;
import static io.streamfit.model.Optimizers.PARAM_FTRL_L1;
import static io.streamfit.model.Optimizers.PARAM_FTRL_L2;
import static io.streamfit.model.Optimizers.PARAM_FTRL_L2_SHRINKAGE;
import static io.streamfit.model.Optimizers.PARAM_INITIAL_ACCUMULATOR;
import static io.streamfit.model.Optimizers.PARAM_L1;
import static io.streamfit.model.Optimizers.PARAM_L2;
import static io.streamfit.model.Optimizers.PARAM_LEARNING_RATE_POWER;
import static io.streamfit.model.Optimizers.PARAM_MOMENTUM;
import static io.streamfit.model.Optimizers.PARAM_NESTEROV;
import static io.streamfit.model.Optimizers.PARAM_RHO;
import static io.streamfit.model.Optimizers.PARAM_WEIGHT_DECAY;

import io.streamfit.model.OptimizerParam.Range;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The declaration of every optimizer hyperparameter, once: its key, number or flag, valid range
 * and one line of documentation ({@link #ALL}), and the defaults of those that every optimizer
 * takes ({@link #COMMON}). Which optimizer takes which of the others, with which default, is in
 * its registration in {@link Optimizers}, the public face of both. A mistake in a declaration
 * fails the first use of {@link Optimizers}, so that no test can miss it.
 */
final class OptimizerParams {

    /**
     * Every parameter, in the order the configuration reference lists them. The ranges are also
     * what the service's configuration validates, where the end points of open intervals pass
     * and the model rejects them (so {@code optimizer.epsilon=0} passes as long as no optimizer
     * that takes epsilon is chosen).
     */
    static final List<OptimizerParam> ALL = List.of(
            number(PARAM_MOMENTUM, Range.closedOpen(0.0, 1.0), true, "momentum coefficient"),
            flag(PARAM_NESTEROV, true, "use Nesterov momentum"),
            number(PARAM_BETA1, Range.closedOpen(0.0, 1.0), true, "decay of the first moment"),
            number(PARAM_BETA2, Range.closedOpen(0.0, 1.0), true, "decay of the second moment"),
            number(PARAM_EPSILON, Range.positive(), true, "epsilon added to the denominator"),
            number(PARAM_INITIAL_ACCUMULATOR, Range.positive(), true,
                    "starting value of the squared-gradient accumulator"),
            number(PARAM_RHO, Range.closedOpen(0.0, 1.0), true, "decay of the mean square"),
            flag(PARAM_CENTERED, true, "divide by the estimated variance instead of the mean square"),
            // -1e6: a bound that the configuration has always had; FTRL-Proximal's own power is -0.5.
            number(PARAM_LEARNING_RATE_POWER, Range.closed(-1e6, 0.0), true,
                    "learning-rate power p, -0.5 being the 1/sqrt(n) step of FTRL-Proximal"),
            number(PARAM_FTRL_L1, Range.atLeast(0.0), true, "its own l1 strength, on weights only"),
            number(PARAM_FTRL_L2, Range.atLeast(0.0), true, "its own l2 strength, on weights only"),
            number(PARAM_FTRL_L2_SHRINKAGE, Range.atLeast(0.0), true, "l2 shrinkage strength, on weights only"),
            number(PARAM_L1, Range.atLeast(0.0), false,
                    "adds l1 * sign(W) to the gradient of the weights W (never biases)"),
            number(PARAM_L2, Range.atLeast(0.0), false, "adds l2 * W to the gradient of the weights W (never biases)"),
            number(PARAM_WEIGHT_DECAY, Range.atLeast(0.0), false,
                    "decoupled weight decay, W -= lr_t * decay * W after each step (never biases)"),
            number(PARAM_CLIP_NORM, Range.atLeast(0.0), false,
                    "scale all gradients down so that their global L2 norm is at most this (0 = off; unset: "
                            + Optimizers.CLIP_NORM_DEFAULT + ", see the README's Optimizers)"),
            number(PARAM_DECAY_RATE, Range.atLeast(0.0), true,
                    "decay rate of a non-constant schedule (exponential: in (0, 1])"),
            // 1e-9 rather than an open 0: the configuration has always rejected smaller periods.
            number(PARAM_DECAY_STEPS, Range.atLeast(1e-9), true, "period of a non-constant schedule, in updates"));

    /**
     * The parameters every optimizer takes, with their defaults: regularisation (off) and clipping
     * ({@link Optimizers#CLIP_NORM_DEFAULT}), applied around the update rule by {@link Regularization}, and the rate and period of a
     * non-constant schedule ({@link #SCHEDULE}).
     */
    static final Map<String, Double> COMMON = sorted(Map.of(PARAM_L1, 0.0, PARAM_L2, 0.0,
            PARAM_WEIGHT_DECAY, 0.0, PARAM_CLIP_NORM, Optimizers.CLIP_NORM_DEFAULT, PARAM_DECAY_RATE, LearningRateSchedule.RATE_DEFAULT,
            PARAM_DECAY_STEPS, LearningRateSchedule.STEPS_DEFAULT));

    /** Common parameters that only a non-constant learning-rate schedule uses. */
    static final Set<String> SCHEDULE = Set.of(PARAM_DECAY_RATE, PARAM_DECAY_STEPS);


    private static final Map<String, OptimizerParam> BY_KEY = new LinkedHashMap<>();

    static {
        for (OptimizerParam p : ALL) {
            if (BY_KEY.put(p.key(), p) != null) {
                throw new IllegalStateException("optimizer parameter " + p.key() + " declared twice");
            }
        }
        checkDefaults("every optimizer", COMMON);
    }

    private OptimizerParams() {
    }

    /** The declaration of {@code key}, or null when there is none. */
    static OptimizerParam get(String key) {
        return BY_KEY.get(key);
    }

    /** Every declared key, in the order of {@link #ALL}. */
    static Set<String> keys() {
        return Collections.unmodifiableSet(BY_KEY.keySet());
    }

    /** Checks that every key of {@code defaults} is declared and its default valid; {@code owner}: for messages. */
    static void checkDefaults(String owner, Map<String, Double> defaults) {
        defaults.forEach((key, value) -> {
            OptimizerParam p = BY_KEY.get(key);
            if (p == null) {
                throw new IllegalStateException(owner + ": parameter " + key + " is not declared in OptimizerParams");
            }
            if (!p.accepts(value)) {
                throw new IllegalStateException(owner + ": default " + value + " of " + key + " is not "
                        + p.describeValid());
            }
        });
    }

    /** {@code m} sorted by key, unmodifiable. */
    static Map<String, Double> sorted(Map<String, Double> m) {
        return Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
