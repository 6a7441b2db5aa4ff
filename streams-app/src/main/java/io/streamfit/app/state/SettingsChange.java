package io.streamfit.app.state;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.streamfit.model.ModelSpec;
import io.streamfit.model.SpecFingerprint;

/**
 * What differs between the settings a checkpoint was trained under (its stored fingerprint) and
 * the configured ones, split as {@link SpecFingerprint} splits them: a change of a setting that
 * shapes the weights refuses the checkpoint ({@link #refusal}), a change of the others applies to
 * it from its next update ({@link #applied}), and a change of the optimizer keeps the weights
 * and starts the optimizer's state over. The lines name the settings by the keys the user
 * configures them with ({@link Variant}).
 */
public final class SettingsChange {

    /** The sentence that the documentation of every setting that shapes the weights ends with. */
    public static final String SHAPE_DOC = " Shapes the weights: saved models refuse another value (see Changing "
            + "settings in docs/operations.md).";

    /** What the user can do about a shape change, the end of every {@link #refusal}. */
    public static final String WAYS_OUT = "use a new application.id, or delete the saved models with "
            + "'streamfit reset'";

    /**
     * Whose models a checkpoint holds: the champion's (the configuration's own keys) or a
     * challenger's ({@code challenger.NAME.<key>} for the keys it overrides, the champion's for the
     * rest), so that a line names the key that sets the value.
     *
     * @param challenger the challenger's name, or null for the champion
     * @param overridden the keys the challenger overrides
     */
    public record Variant(String challenger, Set<String> overridden) {

        /** The champion: the configuration's keys as they are. */
        public static final Variant CHAMPION = new Variant(null, Set.of());

        public Variant {
            overridden = Set.copyOf(overridden);
        }

        /** The key that configures {@code setting} for this variant. */
        public String key(String setting) {
            return challenger != null && overridden.contains(setting)
                    ? "challenger." + challenger + "." + setting : setting;
        }

        /** "the saved models" or "the saved models of challenger 'NAME'". */
        String models() {
            return challenger == null ? "the saved models" : "the saved models of challenger '" + challenger + "'";
        }
    }

    private final SpecFingerprint before;
    private final SpecFingerprint after;
    private final List<SpecFingerprint.Change> shape;
    private final List<SpecFingerprint.Change> training;

    private SettingsChange(SpecFingerprint before, SpecFingerprint after) {
        this.before = before;
        this.after = after;
        this.shape = before.shapeChanges(after);
        this.training = before.trainingChanges(after);
    }

    /**
     * The change from the settings of fingerprint {@code stored} (a checkpoint's) to {@code spec}'s,
     * or null when there is none.
     */
    public static SettingsChange of(String stored, ModelSpec spec) {
        String now = spec.fingerprint();
        if (now.equals(stored)) {
            return null;
        }
        return new SettingsChange(SpecFingerprint.parse(stored), SpecFingerprint.parse(now));
    }

    /** Whether a setting that shapes the weights changed: the checkpoint does not load. */
    public boolean reshapes() {
        return !before.sameShape(after);
    }

    /** Whether the optimizer changed: the weights load, its state starts over. */
    public boolean optimizerChanged() {
        return !before.sameOptimizer(after);
    }

    /** The shape settings that changed, older value first. */
    public List<SpecFingerprint.Change> shapeChanges() {
        return shape;
    }

    /** The training settings that changed, older value first. */
    public List<SpecFingerprint.Change> trainingChanges() {
        return training;
    }

    /** The fingerprint the checkpoint was trained under. */
    public String storedFingerprint() {
        return before.text();
    }

    /**
     * The one line that refuses a checkpoint of another shape: the settings, their values then
     * and now, and the ways out. For example: {@code model.hidden=32 does not fit the saved
     * models of application.id 'demo', trained with model.hidden=64 (a setting that shapes the
     * weights); set it back, use a new application.id, or delete the saved models with 'streamfit
     * reset'}.
     */
    public String refusal(String applicationId, Variant variant) {
        boolean one = shape.size() == 1;
        String now = shapeNow(variant);
        String then = shapeThen(variant);
        return now + (one ? " does" : " do") + " not fit " + variant.models() + " of " + application(applicationId)
                + ", trained with " + then + " (" + (one ? "a setting" : "settings")
                + " that shape" + (one ? "s" : "") + " the weights); set " + (one ? "it" : "them") + " back, "
                + (variant.challenger() == null ? "" : "rename the challenger, ") + WAYS_OUT;
    }

    /**
     * The log line of a change that applies: the settings then and now, and what the saved models
     * do with it.
     *
     * @param applicationId the application's id; null: "this application.id"
     * @param example       a model key whose checkpoint has the change
     */
    public String applied(String applicationId, Variant variant, String example) {
        String changes = training.isEmpty() ? "(none by name)" : training.stream()
                .map(c -> variant.key(c.setting()) + " " + shown(c.before()) + " -> " + shown(c.after()))
                .collect(Collectors.joining(", "));
        String kept = optimizerChanged()
                ? "keep their weights and start the optimizer's state over (" + before.optimizer() + "'s does not fit "
                + after.optimizer() + ")"
                : "keep their weights and optimizer state";
        return "Settings changed since " + variant.models() + " of " + application(applicationId)
                + " were trained: " + changes + "; they " + kept + " and learn with the new settings from their next "
                + "update (first: model '" + example + "')";
    }

    /** The changed shape settings as now configured: {@code model.hidden=32, model.activation=tanh}. */
    public String shapeNow(Variant variant) {
        return shape.stream().map(c -> variant.key(c.setting()) + "=" + value(c.after()))
                .collect(Collectors.joining(", "));
    }

    /** The changed shape settings as the checkpoint was trained: {@code model.hidden=64, ...}. */
    public String shapeThen(Variant variant) {
        return shape.stream().map(c -> variant.key(c.setting()) + "=" + value(c.before()))
                .collect(Collectors.joining(", "));
    }

    private static String application(String applicationId) {
        return applicationId == null ? "this application.id" : "application.id '" + applicationId + "'";
    }

    private static String value(String v) {
        return v == null ? "(default)" : v;
    }

    private static String shown(String v) {
        return v == null ? "(default)" : v.isEmpty() ? "(empty)" : v;
    }
}
