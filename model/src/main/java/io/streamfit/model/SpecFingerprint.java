package io.streamfit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A spec's {@link ModelSpec#fingerprint()} read back into its settings, split in two by what a
 * saved state means:
 * <ul>
 *   <li><b>shape settings</b> decide which weights a model has and what they compute: the kind,
 *       m, the hidden (or LSTM) sizes, the activation, the classes and every sequence option
 *       (window, bidirectional, reverse, difference, the LSTM activations). Weights saved under
 *       other values are another model's: they cannot be loaded ({@link #shape()} differs);</li>
 *   <li><b>training settings</b> decide how the next updates move the weights: the loss weight,
 *       the loss function and its delta, the optimizer and every hyperparameter (learning rate,
 *       schedule, regularisation, clipping, betas, ...), and the seed (which only draws the first
 *       weights of a new model). A state saved under other values loads, and the new values apply
 *       from its next update; the optimizer's state (its slots) is kept only when the same
 *       optimizer wrote it ({@link #sameOptimizer}).</li>
 * </ul>
 * The input layout and the sum normalisation are in no fingerprint: they change neither.
 *
 * <p>Settings are named by their configuration keys ({@code model.hidden},
 * {@code optimizer.learning.rate}, ...), with values as the fingerprint prints them (hidden sizes
 * as a configuration value, {@code 64,32}; optimizer flags as {@code true}/{@code false}). Every
 * fingerprint any version wrote parses: a part this version does not know counts as a shape
 * setting, which is the safe side (it refuses rather than guess).
 */
public final class SpecFingerprint {

    public static final String KIND = "model.kind";
    public static final String FEATURES = "model.features";
    public static final String HIDDEN = "model.hidden";
    public static final String ACTIVATION = "model.activation";
    public static final String CLASSES = "model.classes";
    public static final String WINDOW = "model.window";
    public static final String LSTM_BIDIRECTIONAL = "model.lstm.bidirectional";
    public static final String LSTM_REVERSE = "model.lstm.reverse";
    public static final String LSTM_DIFFERENCE = "model.lstm.difference";
    public static final String LSTM_ACTIVATION = "model.lstm.activation";
    public static final String LSTM_RECURRENT_ACTIVATION = "model.lstm.recurrent.activation";
    public static final String LOSS_WEIGHT = "loss.weight";
    public static final String LOSS_FUNCTION = "loss.function";
    public static final String LOSS_HUBER_DELTA = "loss.huber.delta";
    public static final String OPTIMIZER = "optimizer";
    public static final String LEARNING_RATE = "optimizer.learning.rate";
    public static final String SCHEDULE = "optimizer.schedule";
    public static final String SEED = "model.seed";
    /** Prefix of an optimizer hyperparameter's setting, {@code optimizer.<key>}. */
    public static final String OPTIMIZER_PREFIX = "optimizer.";

    /** The fingerprint's parts that hold shape settings (the kind, the first part, always does). */
    private static final Set<String> SHAPE_PARTS = Set.of("m", "hidden", "act", "seq", "classes");
    /** The fingerprint's parts that hold training settings. */
    private static final Set<String> TRAINING_PARTS = Set.of("w", "opt", "seed", "loss");
    /** The sequence options' names in {@link SequenceOptions#toString()}, by setting. */
    private static final Map<String, String> SEQUENCE_PARTS = Map.of("W", WINDOW, "bidi", LSTM_BIDIRECTIONAL,
            "rev", LSTM_REVERSE, "diff", LSTM_DIFFERENCE, "act", LSTM_ACTIVATION, "rec", LSTM_RECURRENT_ACTIVATION);

    /**
     * One setting that differs between two fingerprints.
     *
     * @param setting the configuration key
     * @param before  its value in the older fingerprint, or null where that one did not set it
     *                (a parameter left at its default, or one its optimizer does not take)
     * @param after   its value in the newer one, or null likewise
     */
    public record Change(String setting, String before, String after) {
        @Override
        public String toString() {
            return setting + " " + shown(before) + " -> " + shown(after);
        }

        private static String shown(String value) {
            return value == null ? "(default)" : value.isEmpty() ? "(empty)" : value;
        }
    }

    private final String text;
    private final String shape;
    private final Map<String, String> shapeSettings;
    private final Map<String, String> trainingSettings;

    private SpecFingerprint(String text, String shape, Map<String, String> shapeSettings,
                            Map<String, String> trainingSettings) {
        this.text = text;
        this.shape = shape;
        this.shapeSettings = Collections.unmodifiableMap(shapeSettings);
        this.trainingSettings = Collections.unmodifiableMap(trainingSettings);
    }

    /** The settings of {@code spec}. */
    public static SpecFingerprint of(ModelSpec spec) {
        return parse(spec.fingerprint());
    }

    /**
     * The settings of a fingerprint that {@link ModelSpec#fingerprint()} of this or any earlier
     * version wrote (the one a checkpoint stores).
     */
    public static SpecFingerprint parse(String fingerprint) {
        Objects.requireNonNull(fingerprint, "fingerprint");
        String[] parts = fingerprint.split("\\|", -1);
        Map<String, String> shapeSettings = new LinkedHashMap<>();
        Map<String, String> training = new LinkedHashMap<>();
        StringBuilder shape = new StringBuilder(parts[0]);
        shapeSettings.put(KIND, parts[0]);
        training.put(LOSS_FUNCTION, LossOptions.SQUARED);
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            if (TRAINING_PARTS.contains(name)) {
                training(name, value, training);
                continue;
            }
            shape.append('|').append(part);
            switch (name) {
                case "m" -> shapeSettings.put(FEATURES, value);
                case "hidden" -> shapeSettings.put(HIDDEN, hidden(value));
                case "act" -> shapeSettings.put(ACTIVATION, value);
                case "classes" -> shapeSettings.put(CLASSES, value);
                case "seq" -> {
                    for (String option : value.split(",")) {
                        int at = option.indexOf('=');
                        String key = at < 0 ? option : option.substring(0, at);
                        shapeSettings.put(SEQUENCE_PARTS.getOrDefault(key, "seq." + key),
                                at < 0 ? "" : option.substring(at + 1));
                    }
                }
                default -> shapeSettings.put(name, value);
            }
        }
        return new SpecFingerprint(fingerprint, shape.toString(), shapeSettings, training);
    }

    private static void training(String name, String value, Map<String, String> out) {
        switch (name) {
            case "w" -> out.put(LOSS_WEIGHT, value);
            case "seed" -> out.put(SEED, value);
            case "loss" -> {
                // huber(delta=2.0); the squared loss prints no part
                int open = value.indexOf('(');
                out.put(LOSS_FUNCTION, open < 0 ? value : value.substring(0, open));
                int eq = value.indexOf('=');
                if (eq >= 0 && value.endsWith(")")) {
                    out.put(LOSS_HUBER_DELTA, value.substring(eq + 1, value.length() - 1));
                }
            }
            case "opt" -> optimizer(value, out);
            default -> throw new IllegalStateException(name);
        }
    }

    /** {@code adam(lr=0.001, {beta1=0.9, ...}, schedule=exponential)}, as {@link ModelSpec.OptimizerSpec#toString()} prints it. */
    private static void optimizer(String value, Map<String, String> out) {
        int open = value.indexOf('(');
        if (open < 0 || !value.endsWith(")")) {
            out.put(OPTIMIZER, value);
            return;
        }
        out.put(OPTIMIZER, value.substring(0, open));
        String inside = value.substring(open + 1, value.length() - 1);
        String schedule = LearningRateSchedule.CONSTANT;
        int braceOpen = inside.indexOf('{');
        int braceClose = inside.lastIndexOf('}');
        String params = braceOpen >= 0 && braceClose > braceOpen ? inside.substring(braceOpen + 1, braceClose) : "";
        String rest = braceOpen >= 0 && braceClose > braceOpen
                ? inside.substring(0, braceOpen) + inside.substring(braceClose + 1) : inside;
        for (String item : rest.split(",")) {
            String s = item.trim();
            if (s.startsWith("lr=")) {
                out.put(LEARNING_RATE, s.substring(3));
            } else if (s.startsWith("schedule=")) {
                schedule = s.substring("schedule=".length());
            }
        }
        out.put(SCHEDULE, schedule);
        if (!params.isBlank()) {
            for (String item : params.split(",")) {
                String s = item.trim();
                int eq = s.indexOf('=');
                if (eq > 0) {
                    String key = s.substring(0, eq);
                    out.put(OPTIMIZER_PREFIX + key, param(key, s.substring(eq + 1)));
                }
            }
        }
    }

    /** A flag as true/false, a number as printed. */
    private static String param(String key, String value) {
        OptimizerParam p = OptimizerParams.get(key);
        if (p != null && p.type() == OptimizerParam.Type.FLAG) {
            return "1.0".equals(value) ? "true" : "0.0".equals(value) ? "false" : value;
        }
        return value;
    }

    /** {@code [64, 32]} as the configuration writes it: {@code 64,32}. */
    private static String hidden(String value) {
        String inner = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
        return inner.replace(" ", "");
    }

    /** The fingerprint as it was parsed. */
    public String text() {
        return text;
    }

    /**
     * The shape part: the fingerprint without its training settings. Two states load into each
     * other's models exactly when their shape parts are equal ({@link ModelSpec#shapeFingerprint()}).
     */
    public String shape() {
        return shape;
    }

    /** The shape settings by key, in fingerprint order, the kind first. */
    public Map<String, String> shapeSettings() {
        return shapeSettings;
    }

    /** The training settings by key, in fingerprint order. */
    public Map<String, String> trainingSettings() {
        return trainingSettings;
    }

    /** The optimizer's name. */
    public String optimizer() {
        return trainingSettings.get(OPTIMIZER);
    }

    /** Whether a state saved under this fingerprint has the weights of a model of {@code other}'s. */
    public boolean sameShape(SpecFingerprint other) {
        return shape.equals(other.shape);
    }

    /** Whether the same optimizer updates the weights under both: then its state means the same. */
    public boolean sameOptimizer(SpecFingerprint other) {
        return Objects.equals(optimizer(), other.optimizer());
    }

    /**
     * Whether the learning rate is the same under both: the optimizer, the rate and its schedule.
     * Divergence recovery's runtime scale of the rate ({@link OnlineModel#learningRateScale()}) is
     * kept only then; a rate set anew is used as it is.
     */
    public boolean sameLearningRate(SpecFingerprint other) {
        for (String key : List.of(OPTIMIZER, LEARNING_RATE, SCHEDULE, OPTIMIZER_PREFIX + Optimizers.PARAM_DECAY_RATE,
                OPTIMIZER_PREFIX + Optimizers.PARAM_DECAY_STEPS)) {
            if (!Objects.equals(trainingSettings.get(key), other.trainingSettings.get(key))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The shape settings that differ from {@code now}'s, as this fingerprint's (the older one)
     * against it. A change of kind is reported alone: the other settings mean other things then.
     */
    public List<Change> shapeChanges(SpecFingerprint now) {
        if (!Objects.equals(shapeSettings.get(KIND), now.shapeSettings.get(KIND))) {
            return List.of(new Change(KIND, shapeSettings.get(KIND), now.shapeSettings.get(KIND)));
        }
        return changes(shapeSettings, now.shapeSettings, key -> true);
    }

    /**
     * The training settings that differ from {@code now}'s. When the optimizer changed, the
     * hyperparameters that only one of the two takes are left out (the optimizer's change says it).
     */
    public List<Change> trainingChanges(SpecFingerprint now) {
        boolean sameOptimizer = sameOptimizer(now);
        Set<String> common = new LinkedHashSet<>();
        OptimizerParams.COMMON.keySet().forEach(k -> common.add(OPTIMIZER_PREFIX + k));
        return changes(trainingSettings, now.trainingSettings, key -> sameOptimizer
                || !key.startsWith(OPTIMIZER_PREFIX) || key.equals(LEARNING_RATE) || key.equals(SCHEDULE)
                || common.contains(key));
    }

    private static List<Change> changes(Map<String, String> before, Map<String, String> after,
                                        java.util.function.Predicate<String> listed) {
        // In the newer one's order, then what only the older one had.
        Set<String> keys = new LinkedHashSet<>(after.keySet());
        keys.addAll(before.keySet());
        List<Change> out = new ArrayList<>();
        for (String key : keys) {
            String b = before.get(key);
            String a = after.get(key);
            if (!Objects.equals(a, b) && listed.test(key)) {
                out.add(new Change(key, b, a));
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpecFingerprint f && f.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
