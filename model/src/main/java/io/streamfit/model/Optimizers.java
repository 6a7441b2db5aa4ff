package io.streamfit.model;

import java.util.Collections;
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
 * {@link LearningRateSchedule}, and the public face of the declarations of those
 * hyperparameters.
 *
 * <p>Every parameter is declared once in {@link OptimizerParams#ALL} (key, number or flag, valid
 * range, one line of documentation), its key here as a {@code PARAM_} constant; every optimizer
 * names the parameters it takes, with its defaults, in its {@code register(name, defaults,
 * factory)} line here; {@link OptimizerParams#COMMON} holds those that every optimizer takes. The
 * service derives its {@code optimizer.<key>} configuration keys (type, default, validator,
 * documentation) and its configuration reference from these, so adding an optimizer is one
 * {@code register} line and adding a parameter is one declaration plus its default where it is
 * taken. The defaults of the optimizer-specific parameters are those of
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
    /**
     * The gradient-norm clip of a spec that does not give {@link #PARAM_CLIP_NORM}. Not 0 (the
     * value of the versions before it, which a spec still gets by giving 0): a single poison target
     * or a learning rate at the edge of stability otherwise multiplies into the weights unbounded.
     * It is the clip of TensorFlow's and PyTorch's usual recipes, and on the demo stream it scales
     * no step of a healthy model (see the README's optimizer table), only the steps that would
     * blow up. A spec's fingerprint never prints this default nor the old 0, so checkpoints of
     * either load into the other.
     */
    public static final double CLIP_NORM_DEFAULT = 1.0;
    /** The clip that versions before {@link #CLIP_NORM_DEFAULT} applied: none. */
    public static final double CLIP_NORM_LEGACY = 0.0;
    public static final String PARAM_DECAY_RATE = "decay.rate";
    public static final String PARAM_DECAY_STEPS = "decay.steps";

    /** Parameters every optimizer takes (regularisation, clipping, schedule). */
    public static final Set<String> COMMON_PARAMS = OptimizerParams.COMMON.keySet();

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

    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
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
        for (OptimizerParam p : OptimizerParams.ALL) {
            if (defaultsByOptimizer(p.key()).isEmpty()) {
                throw new IllegalStateException("optimizer parameter " + p.key() + " is taken by no optimizer");
            }
        }
    }

    private Optimizers() {
    }

    private static void register(String name, Map<String, Double> defaults, Factory factory) {
        OptimizerParams.checkDefaults("optimizer '" + name + "'", defaults);
        for (String key : defaults.keySet()) {
            if (OptimizerParams.COMMON.containsKey(key)) {
                throw new IllegalStateException("optimizer '" + name + "' lists " + key
                        + ", which every optimizer takes already");
            }
        }
        REGISTRY.put(name, new Entry(OptimizerParams.sorted(defaults), factory));
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
        return OptimizerParams.ALL;
    }

    /**
     * The optimizers that take parameter {@code key}, each with its default for it, by name
     * (every optimizer for a {@linkplain #COMMON_PARAMS common} parameter).
     *
     * @throws IllegalArgumentException for an undeclared key
     */
    public static SortedMap<String, Double> defaultsByOptimizer(String key) {
        if (OptimizerParams.get(key) == null) {
            throw new IllegalArgumentException("unknown optimizer parameter '" + key + "'; expected one of "
                    + OptimizerParams.keys());
        }
        SortedMap<String, Double> out = new TreeMap<>();
        REGISTRY.forEach((name, entry) -> {
            Double d = OptimizerParams.COMMON.containsKey(key) ? OptimizerParams.COMMON.get(key)
                    : entry.defaults.get(key);
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
        OptimizerParams.COMMON.forEach((key, fallback) -> {
            Double given = configured.apply(key);
            if (PARAM_CLIP_NORM.equals(key)) {
                // Given (even as the old default 0) it enters, so that 0 still means off; not given,
                // it stays out and the model applies CLIP_NORM_DEFAULT. OptimizerSpec.toString hides
                // a 0, which keeps the fingerprints of both spellings as they were.
                if (given != null) {
                    params.put(key, given);
                }
                return;
            }
            double v = given == null ? fallback : given;
            if (OptimizerParams.SCHEDULE.contains(key) ? scheduled : v != fallback) {
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
            if (!entry.defaults.containsKey(key) && !OptimizerParams.COMMON.containsKey(key)) {
                Set<String> known = new TreeSet<>(entry.defaults.keySet());
                known.addAll(OptimizerParams.COMMON.keySet());
                throw new IllegalArgumentException("unknown parameter '" + key + "' for optimizer '"
                        + spec.name() + "'; expected one of " + known);
            }
        }
        // The common parameters are checked where they are applied (Regularization, LearningRateSchedule).
        Map<String, Double> values = new TreeMap<>(entry.defaults);
        values.replaceAll((key, fallback) -> {
            double v = spec.param(key, fallback);
            OptimizerParam p = OptimizerParams.get(key);
            if (!p.accepts(v)) {
                throw new IllegalArgumentException("optimizer '" + spec.name() + "' parameter " + key + " must be "
                        + p.describeValid() + ", got " + v);
            }
            return v;
        });
        return entry.factory.create(new Values(values), fused);
    }

    /** The regularisation and clipping of {@code spec} (by default no regularisation, clipping at {@link #CLIP_NORM_DEFAULT}). */
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
        return spec.param(key, OptimizerParams.COMMON.get(key));
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
