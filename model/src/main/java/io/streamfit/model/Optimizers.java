package io.streamfit.model;

import static io.streamfit.model.OptimizerParam.flag;
import static io.streamfit.model.OptimizerParam.number;

import io.streamfit.model.OptimizerParam.Range;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The one place that maps an optimizer name ({@code optimizer} in the configuration) and its
 * hyperparameters to a {@link PairOptimizer}, a {@link Regularization} and a
 * {@link LearningRateSchedule}, and the one place that declares those hyperparameters.
 *
 * <p>Every parameter is declared once in {@code PARAMS} (key, number or flag, valid range, one
 * line of documentation); every optimizer names the parameters it takes, with its defaults, in
 * its {@code register(name, defaults, factory)} line; {@code COMMON} holds those that every
 * optimizer takes. The service derives its {@code optimizer.<key>} configuration keys (type,
 * default, validator, documentation) and its configuration reference from these, so adding an
 * optimizer is one {@code register} line and adding a parameter is one {@code PARAMS} entry plus
 * its default where it is taken. The defaults of the optimizer-specific parameters are those of
 * tensorflow-framework 1.1.0's classes of the same name. The learning rate of every optimizer is
 * {@link ModelSpec.OptimizerSpec#learningRate()}.
 */
public final class Optimizers {

    public static final String SGD = "sgd";
    public static final String MOMENTUM = "momentum";
    public static final String ADAM = "adam";
    public static final String ADAGRAD = "adagrad";
    public static final String RMSPROP = "rmsprop";
    public static final String FTRL = "ftrl";
    public static final String NEURON_MEAN_MOMENTUM = "neuron-mean-momentum";

    public static final String PARAM_MOMENTUM = "momentum";
    public static final String PARAM_NESTEROV = "nesterov";
    public static final String PARAM_BETA1 = "beta1";
    public static final String PARAM_BETA2 = "beta2";
    public static final String PARAM_EPSILON = "epsilon";
    public static final String PARAM_INITIAL_ACCUMULATOR = "initial.accumulator";
    public static final String PARAM_RHO = "rho";
    public static final String PARAM_CENTERED = "centered";
    public static final String PARAM_LEARNING_RATE_POWER = "learning.rate.power";
    public static final String PARAM_FTRL_L1 = "ftrl.l1";
    public static final String PARAM_FTRL_L2 = "ftrl.l2";
    public static final String PARAM_FTRL_L2_SHRINKAGE = "ftrl.l2.shrinkage";

    public static final String PARAM_L1 = "l1";
    public static final String PARAM_L2 = "l2";
    public static final String PARAM_WEIGHT_DECAY = "weight.decay";
    public static final String PARAM_CLIP_NORM = "clip.norm";
    public static final String PARAM_DECAY_RATE = "decay.rate";
    public static final String PARAM_DECAY_STEPS = "decay.steps";

    /**
     * Every parameter, in the order the configuration reference lists them. The ranges are also
     * what the service's configuration validates, where the end points of open intervals pass
     * and the model rejects them (so {@code optimizer.epsilon=0} passes as long as no optimizer
     * that takes epsilon is chosen).
     */
    private static final List<OptimizerParam> PARAMS = List.of(
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
                    "scale all gradients down so that their global L2 norm is at most this (0 = off)"),
            number(PARAM_DECAY_RATE, Range.atLeast(0.0), true,
                    "decay rate of a non-constant schedule (exponential: in (0, 1])"),
            // 1e-9 rather than an open 0: the configuration has always rejected smaller periods.
            number(PARAM_DECAY_STEPS, Range.atLeast(1e-9), true, "period of a non-constant schedule, in updates"));

    /**
     * The parameters every optimizer takes, with their defaults: regularisation and clipping (all
     * off), applied around the update rule by {@link Regularization}, and the rate and period of a
     * non-constant schedule ({@code SCHEDULE_PARAMS}).
     */
    private static final Map<String, Double> COMMON = sorted(Map.of(PARAM_L1, 0.0, PARAM_L2, 0.0,
            PARAM_WEIGHT_DECAY, 0.0, PARAM_CLIP_NORM, 0.0, PARAM_DECAY_RATE, LearningRateSchedule.RATE_DEFAULT,
            PARAM_DECAY_STEPS, LearningRateSchedule.STEPS_DEFAULT));

    /** Common parameters that only a non-constant learning-rate schedule uses. */
    private static final Set<String> SCHEDULE_PARAMS = Set.of(PARAM_DECAY_RATE, PARAM_DECAY_STEPS);

    /** Parameters every optimizer takes (regularisation, clipping, schedule). */
    public static final Set<String> COMMON_PARAMS = COMMON.keySet();

    /** Builds an update rule from its validated parameters; {@code fused}: it may use fused in-place kernels. */
    private interface Factory {
        PairOptimizer create(Values v, boolean fused);
    }

    /** The chosen optimizer's own parameters, each given or defaulted, and checked against its range. */
    private record Values(Map<String, Double> values) {
        float number(String key) {
            return values.get(key).floatValue();
        }

        boolean flag(String key) {
            return values.get(key) == 1.0;
        }
    }

    private record Entry(Map<String, Double> defaults, Factory factory) {
    }

    private static final Map<String, OptimizerParam> BY_KEY = new LinkedHashMap<>();
    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
        for (OptimizerParam p : PARAMS) {
            if (BY_KEY.put(p.key(), p) != null) {
                throw new IllegalStateException("optimizer parameter " + p.key() + " declared twice");
            }
        }
        checkDefaults("every optimizer", COMMON);
        register(SGD, Map.of(), (v, fused) -> new SgdOptimizer());
        register(MOMENTUM, Map.of(PARAM_MOMENTUM, 0.9, PARAM_NESTEROV, 0.0), (v, fused) -> new MomentumOptimizer(
                v.number(PARAM_MOMENTUM), v.flag(PARAM_NESTEROV)));
        register(ADAM, Map.of(PARAM_BETA1, 0.9, PARAM_BETA2, 0.999, PARAM_EPSILON, 1e-8),
                (v, fused) -> new AdamOptimizer(v.number(PARAM_BETA1), v.number(PARAM_BETA2),
                        v.number(PARAM_EPSILON), fused));
        register(ADAGRAD, Map.of(PARAM_INITIAL_ACCUMULATOR, 0.01), (v, fused) -> new AdaGradOptimizer(
                v.number(PARAM_INITIAL_ACCUMULATOR)));
        register(RMSPROP, Map.of(PARAM_RHO, 0.9, PARAM_MOMENTUM, 0.0, PARAM_EPSILON, 1e-10, PARAM_CENTERED, 0.0),
                (v, fused) -> new RmsPropOptimizer(v.number(PARAM_RHO), v.number(PARAM_MOMENTUM),
                        v.number(PARAM_EPSILON), v.flag(PARAM_CENTERED)));
        register(FTRL, Map.of(PARAM_LEARNING_RATE_POWER, -0.5, PARAM_INITIAL_ACCUMULATOR, 0.1, PARAM_FTRL_L1, 0.0,
                PARAM_FTRL_L2, 0.0, PARAM_FTRL_L2_SHRINKAGE, 0.0), (v, fused) -> new FtrlOptimizer(
                        v.number(PARAM_LEARNING_RATE_POWER), v.number(PARAM_INITIAL_ACCUMULATOR),
                        v.number(PARAM_FTRL_L1), v.number(PARAM_FTRL_L2), v.number(PARAM_FTRL_L2_SHRINKAGE)));
        register(NEURON_MEAN_MOMENTUM, Map.of(PARAM_MOMENTUM, 0.9), (v, fused) -> new NeuronMeanMomentum(
                v.number(PARAM_MOMENTUM)));
        for (OptimizerParam p : PARAMS) {
            if (defaultsByOptimizer(p.key()).isEmpty()) {
                throw new IllegalStateException("optimizer parameter " + p.key() + " is taken by no optimizer");
            }
        }
    }

    private Optimizers() {
    }

    private static void register(String name, Map<String, Double> defaults, Factory factory) {
        checkDefaults("optimizer '" + name + "'", defaults);
        for (String key : defaults.keySet()) {
            if (COMMON.containsKey(key)) {
                throw new IllegalStateException("optimizer '" + name + "' lists " + key
                        + ", which every optimizer takes already");
            }
        }
        REGISTRY.put(name, new Entry(sorted(defaults), factory));
    }

    /** A mistake in a declaration fails every use of this class, so that no test can miss it. */
    private static void checkDefaults(String owner, Map<String, Double> defaults) {
        defaults.forEach((key, value) -> {
            OptimizerParam p = BY_KEY.get(key);
            if (p == null) {
                throw new IllegalStateException(owner + ": parameter " + key + " is not declared in PARAMS");
            }
            if (!p.accepts(value)) {
                throw new IllegalStateException(owner + ": default " + value + " of " + key + " is not "
                        + p.describeValid());
            }
        });
    }

    private static Map<String, Double> sorted(Map<String, Double> m) {
        return Collections.unmodifiableMap(new TreeMap<>(m));
    }

    /** The known optimizer names, sorted. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(REGISTRY.keySet());
    }

    /**
     * The parameters specific to optimizer {@code name} with their defaults, sorted by key.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static Map<String, Double> defaults(String name) {
        return entry(name).defaults;
    }

    /** Every parameter, optimizer-specific and common, in the order of the configuration reference. */
    public static List<OptimizerParam> params() {
        return PARAMS;
    }

    /**
     * The optimizers that take parameter {@code key}, each with its default for it, by name
     * (every optimizer for a {@linkplain #COMMON_PARAMS common} parameter).
     *
     * @throws IllegalArgumentException for an undeclared key
     */
    public static SortedMap<String, Double> defaultsByOptimizer(String key) {
        if (!BY_KEY.containsKey(key)) {
            throw new IllegalArgumentException("unknown optimizer parameter '" + key + "'; expected one of "
                    + BY_KEY.keySet());
        }
        SortedMap<String, Double> out = new TreeMap<>();
        REGISTRY.forEach((name, entry) -> {
            Double d = COMMON.containsKey(key) ? COMMON.get(key) : entry.defaults.get(key);
            if (d != null) {
                out.put(name, d);
            }
        });
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * The parameters of an {@link ModelSpec.OptimizerSpec} for optimizer {@code name} from
     * configured values. Every parameter of the optimizer's own enters it, at its configured value
     * or the optimizer's default; a common one enters only when it is in use (a schedule parameter
     * with a non-constant schedule, any other when it differs from its default), so that turning
     * nothing on keeps the spec, and so the model fingerprint, of the versions before it existed.
     *
     * @param configured the configured value of a parameter key (flags as 0 or 1), or {@code null}
     *                   where none is configured
     * @param schedule   the learning-rate schedule's name
     * @throws IllegalArgumentException for an unknown name
     */
    public static Map<String, Double> specParams(String name, Function<String, Double> configured,
                                                 String schedule) {
        Map<String, Double> params = new TreeMap<>(defaults(name));
        for (String key : params.keySet()) {
            Double v = configured.apply(key);
            if (v != null) {
                params.put(key, v);
            }
        }
        boolean scheduled = !LearningRateSchedule.CONSTANT.equals(schedule);
        COMMON.forEach((key, fallback) -> {
            Double given = configured.apply(key);
            double v = given == null ? fallback : given;
            if (SCHEDULE_PARAMS.contains(key) ? scheduled : v != fallback) {
                params.put(key, v);
            }
        });
        return params;
    }

    /**
     * Creates the update rule of {@code spec}, using TensorFlow's fused kernels where there are
     * some (Adam's {@code ApplyAdam}); see {@link #create(ModelSpec.OptimizerSpec, boolean)}.
     *
     * @throws IllegalArgumentException for an unknown name, an unknown parameter or a parameter
     *                                  out of range
     */
    public static PairOptimizer create(ModelSpec.OptimizerSpec spec) {
        return create(spec, true);
    }

    /**
     * Creates the update rule of {@code spec}; its slots become graph variables when a model builds
     * its training step. Both forms of a rule compute the same update to float rounding.
     *
     * @param fused true: a rule with a fused TensorFlow kernel (Adam) uses it, one op per variable
     *              that updates it and its slots in place; false: element-wise ops only. Fused
     *              pays with one intra-op thread; with more, the kernel splits even a
     *              1,000-element update across the pool and the hand-off costs more than it saves
     *              (see {@link SessionConfig#fusedKernels})
     * @throws IllegalArgumentException for an unknown name, an unknown parameter or a parameter
     *                                  out of range
     */
    public static PairOptimizer create(ModelSpec.OptimizerSpec spec, boolean fused) {
        Entry entry = entry(spec.name());
        // A misspelt key would otherwise silently fall back to its default.
        for (String key : spec.params().keySet()) {
            if (!entry.defaults.containsKey(key) && !COMMON.containsKey(key)) {
                Set<String> known = new TreeSet<>(entry.defaults.keySet());
                known.addAll(COMMON.keySet());
                throw new IllegalArgumentException("unknown parameter '" + key + "' for optimizer '"
                        + spec.name() + "'; expected one of " + known);
            }
        }
        // The common parameters are checked where they are applied (Regularization, LearningRateSchedule).
        Map<String, Double> values = new TreeMap<>(entry.defaults);
        values.replaceAll((key, fallback) -> {
            double v = spec.param(key, fallback);
            OptimizerParam p = BY_KEY.get(key);
            if (!p.accepts(v)) {
                throw new IllegalArgumentException("optimizer '" + spec.name() + "' parameter " + key + " must be "
                        + p.describeValid() + ", got " + v);
            }
            return v;
        });
        return entry.factory.create(new Values(values), fused);
    }

    /** The regularisation and clipping of {@code spec} (all off by default). */
    public static Regularization regularization(ModelSpec.OptimizerSpec spec) {
        return new Regularization(common(spec, PARAM_L1), common(spec, PARAM_L2), common(spec, PARAM_WEIGHT_DECAY),
                common(spec, PARAM_CLIP_NORM));
    }

    /** The learning-rate schedule of {@code spec}. */
    public static LearningRateSchedule schedule(ModelSpec.OptimizerSpec spec) {
        return new LearningRateSchedule(spec.schedule(), common(spec, PARAM_DECAY_RATE),
                common(spec, PARAM_DECAY_STEPS));
    }

    private static double common(ModelSpec.OptimizerSpec spec, String key) {
        return spec.param(key, COMMON.get(key));
    }

    private static Entry entry(String name) {
        Entry entry = REGISTRY.get(name.trim().toLowerCase(Locale.ROOT));
        if (entry == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected one of "
                    + REGISTRY.keySet());
        }
        return entry;
    }
}
