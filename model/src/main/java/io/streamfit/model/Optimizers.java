package io.streamfit.model;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import org.tensorflow.Graph;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Momentum;
import org.tensorflow.framework.optimizers.Optimizer;

/**
 * The one place that maps an optimizer name ({@code optimizer} in the configuration) and its
 * hyperparameters to a tensorflow-framework {@link Optimizer}. Adding an optimizer is one
 * {@code register(name, parameter keys, factory)} line in the static block. An optimizer that
 * keeps step counters in variables must advance them only after every variable update of the
 * run (tensorflow-framework 1.1.0's {@code Adam} does not, hence {@code OrderedAdam}); the
 * bit-for-bit tests of {@code SharedWeightRegressorStateTest} catch such races.
 *
 * <table>
 *   <caption>Known optimizers and their parameters</caption>
 *   <tr><th>name</th><th>parameters (default, range)</th></tr>
 *   <tr><td>{@code sgd}</td><td>none: plain gradient descent</td></tr>
 *   <tr><td>{@code momentum}</td><td>{@code momentum} (0.9, [0, 1)), {@code nesterov} (0; 0 or 1)</td></tr>
 *   <tr><td>{@code adam}</td><td>{@code beta1} (0.9, [0, 1)), {@code beta2} (0.999, [0, 1)),
 *       {@code epsilon} (1e-8, &gt; 0); Kingma and Ba, "Adam: A Method for Stochastic
 *       Optimization", ICLR 2015; implemented by {@code OrderedAdam}</td></tr>
 * </table>
 * The learning rate of every optimizer is {@link ModelSpec.OptimizerSpec#learningRate()}.
 */
public final class Optimizers {

    public static final String SGD = "sgd";
    public static final String MOMENTUM = "momentum";
    public static final String ADAM = "adam";

    public static final String PARAM_MOMENTUM = "momentum";
    public static final String PARAM_NESTEROV = "nesterov";
    public static final String PARAM_BETA1 = "beta1";
    public static final String PARAM_BETA2 = "beta2";
    public static final String PARAM_EPSILON = "epsilon";

    public static final double MOMENTUM_DEFAULT = 0.9;
    public static final double NESTEROV_DEFAULT = 0.0;
    public static final double BETA1_DEFAULT = 0.9;
    public static final double BETA2_DEFAULT = 0.999;
    public static final double EPSILON_DEFAULT = 1e-8;

    private record Entry(Set<String> params, BiFunction<Graph, ModelSpec.OptimizerSpec, Optimizer> factory) {
    }

    private static final Map<String, Entry> REGISTRY = new TreeMap<>();

    static {
        register(SGD, Set.of(), (g, s) -> new GradientDescent(g, (float) s.learningRate()));
        register(MOMENTUM, Set.of(PARAM_MOMENTUM, PARAM_NESTEROV), (g, s) -> new Momentum(g,
                (float) s.learningRate(),
                (float) inRange(s, PARAM_MOMENTUM, MOMENTUM_DEFAULT, 0.0, 1.0),
                flag(s, PARAM_NESTEROV, NESTEROV_DEFAULT)));
        // OrderedAdam, not the framework's Adam: see OrderedAdam for the ordering bug it avoids.
        register(ADAM, Set.of(PARAM_BETA1, PARAM_BETA2, PARAM_EPSILON), (g, s) -> new OrderedAdam(g,
                (float) s.learningRate(),
                (float) inRange(s, PARAM_BETA1, BETA1_DEFAULT, 0.0, 1.0),
                (float) inRange(s, PARAM_BETA2, BETA2_DEFAULT, 0.0, 1.0),
                (float) positive(s, PARAM_EPSILON, EPSILON_DEFAULT)));
    }

    private Optimizers() {
    }

    private static void register(String name, Set<String> params,
                                 BiFunction<Graph, ModelSpec.OptimizerSpec, Optimizer> factory) {
        REGISTRY.put(name, new Entry(params, factory));
    }

    /** The known optimizer names, sorted. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(REGISTRY.keySet());
    }

    /**
     * Creates the optimizer of {@code spec} on {@code graph}. Its slots (and step counters) become
     * variables of the graph once {@code minimize}/{@code applyGradients} is called.
     *
     * @throws IllegalArgumentException for an unknown name, an unknown parameter or a parameter
     *                                  out of range
     */
    public static Optimizer create(Graph graph, ModelSpec.OptimizerSpec spec) {
        Entry entry = REGISTRY.get(spec.name().trim().toLowerCase(Locale.ROOT));
        if (entry == null) {
            throw new IllegalArgumentException("unknown optimizer '" + spec.name() + "'; expected one of "
                    + REGISTRY.keySet());
        }
        // A misspelt key would otherwise silently fall back to its default.
        for (String key : spec.params().keySet()) {
            if (!entry.params.contains(key)) {
                throw new IllegalArgumentException("unknown parameter '" + key + "' for optimizer '"
                        + spec.name() + "'; expected one of " + new TreeSet<>(entry.params));
            }
        }
        return entry.factory.apply(graph, spec);
    }

    private static double inRange(ModelSpec.OptimizerSpec s, String key, double dflt, double lo, double hiExclusive) {
        double v = s.param(key, dflt);
        if (!(v >= lo && v < hiExclusive)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key + " must be in ["
                    + lo + ", " + hiExclusive + "), got " + v);
        }
        return v;
    }

    private static double positive(ModelSpec.OptimizerSpec s, String key, double dflt) {
        double v = s.param(key, dflt);
        if (!(v > 0.0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be > 0, got " + v);
        }
        return v;
    }

    private static boolean flag(ModelSpec.OptimizerSpec s, String key, double dflt) {
        double v = s.param(key, dflt);
        if (v != 0.0 && v != 1.0) {
            throw new IllegalArgumentException("optimizer '" + s.name() + "' parameter " + key
                    + " must be 0 or 1, got " + v);
        }
        return v == 1.0;
    }
}
