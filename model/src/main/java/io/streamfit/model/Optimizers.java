package io.streamfit.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one place that maps an optimizer name ({@code optimizer} in the configuration) and its
 * hyperparameters to a {@link PairOptimizer}, a {@link Regularization} and a
 * {@link LearningRateSchedule}. Adding an optimizer is one {@code register(name, defaults,
 * factory)} line in the static block. A parameter key {@code k} is configured as
 * {@code optimizer.k}.
 *
 * <table>
 *   <caption>Optimizers and their parameters (default, range)</caption>
 *   <tr><th>name</th><th>parameters</th></tr>
 *   <tr><td>{@code sgd}</td><td>none: plain gradient descent</td></tr>
 *   <tr><td>{@code momentum}</td><td>{@code momentum} (0.9, [0, 1)), {@code nesterov} (0; 0 or 1)</td></tr>
 *   <tr><td>{@code adam}</td><td>{@code beta1} (0.9, [0, 1)), {@code beta2} (0.999, [0, 1)),
 *       {@code epsilon} (1e-8, &gt; 0)</td></tr>
 *   <tr><td>{@code adagrad}</td><td>{@code initial.accumulator} (0.01, &gt; 0)</td></tr>
 *   <tr><td>{@code rmsprop}</td><td>{@code rho} (0.9, [0, 1)), {@code momentum} (0, [0, 1)),
 *       {@code epsilon} (1e-10, &gt; 0), {@code centered} (0; 0 or 1)</td></tr>
 *   <tr><td>{@code ftrl}</td><td>{@code learning.rate.power} (-0.5, &lt;= 0), {@code initial.accumulator}
 *       (0.1, &gt; 0), {@code ftrl.l1}, {@code ftrl.l2}, {@code ftrl.l2.shrinkage} (0, &gt;= 0; weights only)</td></tr>
 *   <tr><td>{@code neuron-mean-momentum}</td><td>{@code momentum} (0.9, [0, 1))</td></tr>
 *   <tr><td>every optimizer</td><td>{@code l1}, {@code l2}, {@code weight.decay}, {@code clip.norm}
 *       (0, &gt;= 0; see {@link Regularization}), {@code decay.rate} (0.96) and {@code decay.steps}
 *       (1000) of a non-constant {@link LearningRateSchedule}</td></tr>
 * </table>
 * The defaults of the optimizer-specific parameters are those of tensorflow-framework 1.1.0's
 * classes of the same name. The learning rate of every optimizer is
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

    /** Parameters every optimizer takes (regularisation, clipping, schedule). */
    public static final Set<String> COMMON_PARAMS = Set.of(PARAM_L1, PARAM_L2, PARAM_WEIGHT_DECAY, PARAM_CLIP_NORM,
            PARAM_DECAY_RATE, PARAM_DECAY_STEPS);

    /** Builds an update rule from its full spec; {@code fused}: it may use fused in-place kernels. */
    private interface Factory {
        PairOptimizer create(ModelSpec.OptimizerSpec spec, boolean fused);
    }

    private record Entry(Map<String, Double> defaults, Factory factory) {
    }

    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
        register(SGD, Map.of(), (s, fused) -> new SgdOptimizer());
        register(MOMENTUM, Map.of(PARAM_MOMENTUM, 0.9, PARAM_NESTEROV, 0.0), (s, fused) -> new MomentumOptimizer(
                (float) inRange(s, PARAM_MOMENTUM, 0.0, 1.0), flag(s, PARAM_NESTEROV)));
        register(ADAM, Map.of(PARAM_BETA1, 0.9, PARAM_BETA2, 0.999, PARAM_EPSILON, 1e-8),
                (s, fused) -> new AdamOptimizer(
                (float) inRange(s, PARAM_BETA1, 0.0, 1.0),
                (float) inRange(s, PARAM_BETA2, 0.0, 1.0),
                (float) positive(s, PARAM_EPSILON), fused));
        register(ADAGRAD, Map.of(PARAM_INITIAL_ACCUMULATOR, 0.01), (s, fused) -> new AdaGradOptimizer(
                (float) positive(s, PARAM_INITIAL_ACCUMULATOR)));
        register(RMSPROP, Map.of(PARAM_RHO, 0.9, PARAM_MOMENTUM, 0.0, PARAM_EPSILON, 1e-10, PARAM_CENTERED, 0.0),
                (s, fused) -> new RmsPropOptimizer(
                        (float) inRange(s, PARAM_RHO, 0.0, 1.0),
                        (float) inRange(s, PARAM_MOMENTUM, 0.0, 1.0),
                        (float) positive(s, PARAM_EPSILON),
                        flag(s, PARAM_CENTERED)));
        register(FTRL, Map.of(PARAM_LEARNING_RATE_POWER, -0.5, PARAM_INITIAL_ACCUMULATOR, 0.1, PARAM_FTRL_L1, 0.0,
                PARAM_FTRL_L2, 0.0, PARAM_FTRL_L2_SHRINKAGE, 0.0), (s, fused) -> new FtrlOptimizer(
                        (float) nonPositive(s, PARAM_LEARNING_RATE_POWER),
                        (float) positive(s, PARAM_INITIAL_ACCUMULATOR),
                        (float) nonNegative(s, PARAM_FTRL_L1),
                        (float) nonNegative(s, PARAM_FTRL_L2),
                        (float) nonNegative(s, PARAM_FTRL_L2_SHRINKAGE)));
        register(NEURON_MEAN_MOMENTUM, Map.of(PARAM_MOMENTUM, 0.9), (s, fused) -> new NeuronMeanMomentum(
                (float) inRange(s, PARAM_MOMENTUM, 0.0, 1.0)));
    }

    private Optimizers() {
    }

    private static void register(String name, Map<String, Double> defaults,
                                 Factory factory) {
        REGISTRY.put(name, new Entry(Collections.unmodifiableMap(new TreeMap<>(defaults)), factory));
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
            if (!entry.defaults.containsKey(key) && !COMMON_PARAMS.contains(key)) {
                Set<String> known = new TreeSet<>(entry.defaults.keySet());
                known.addAll(COMMON_PARAMS);
                throw new IllegalArgumentException("unknown parameter '" + key + "' for optimizer '"
                        + spec.name() + "'; expected one of " + known);
            }
        }
        Map<String, Double> withDefaults = new LinkedHashMap<>(entry.defaults);
        withDefaults.putAll(spec.params());
        ModelSpec.OptimizerSpec full = new ModelSpec.OptimizerSpec(spec.name(), spec.learningRate(), withDefaults,
                spec.schedule());
        return entry.factory.create(full, fused);
    }

    /** The regularisation and clipping of {@code spec} (all off by default). */
    public static Regularization regularization(ModelSpec.OptimizerSpec spec) {
        return new Regularization(spec.param(PARAM_L1, 0), spec.param(PARAM_L2, 0),
                spec.param(PARAM_WEIGHT_DECAY, 0), spec.param(PARAM_CLIP_NORM, 0));
    }

    /** The learning-rate schedule of {@code spec}. */
    public static LearningRateSchedule schedule(ModelSpec.OptimizerSpec spec) {
        return new LearningRateSchedule(spec.schedule(), spec.param(PARAM_DECAY_RATE, LearningRateSchedule.RATE_DEFAULT),
                spec.param(PARAM_DECAY_STEPS, LearningRateSchedule.STEPS_DEFAULT));
    }

    private static Entry entry(String name) {
        Entry entry = REGISTRY.get(name.trim().toLowerCase(Locale.ROOT));
        if (entry == null) {
            throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected one of "
                    + REGISTRY.keySet());
        }
        return entry;
    }

    private static double inRange(ModelSpec.OptimizerSpec s, String key, double lo, double hiExclusive) {
        double v = s.param(key, Double.NaN);
        if (!(v >= lo && v < hiExclusive)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key + " must be in ["
                    + lo + ", " + hiExclusive + "), got " + v);
        }
        return v;
    }

    private static double positive(ModelSpec.OptimizerSpec s, String key) {
        double v = s.param(key, Double.NaN);
        if (!(v > 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be > 0, got " + v);
        }
        return v;
    }

    private static double nonNegative(ModelSpec.OptimizerSpec s, String key) {
        double v = s.param(key, Double.NaN);
        if (!(v >= 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be >= 0, got " + v);
        }
        return v;
    }

    private static double nonPositive(ModelSpec.OptimizerSpec s, String key) {
        double v = s.param(key, Double.NaN);
        if (!(v <= 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be <= 0, got " + v);
        }
        return v;
    }

    private static boolean flag(ModelSpec.OptimizerSpec s, String key) {
        double v = s.param(key, Double.NaN);
        if (v != 0.0 && v != 1.0) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be 0 or 1, got " + v);
        }
        return v == 1.0;
    }
}
