package io.streamfit.app.kind;

import java.util.Arrays;

import io.streamfit.model.ModelSpec;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code features.scaling}: how the plain kinds (regressor, classifier) transform each feature
 * before the network sees it. {@link #NONE} passes the features as they are (the behaviour and
 * checkpoints of every version before the key); {@link #STANDARD} standardizes them by the
 * model's own running mean and standard deviation ({@link io.streamfit.model.stats.StandardScaler},
 * kept in {@link LearningExtras}, applied by {@link BatchAssembler}).
 */
public enum FeatureScaling {
    NONE("none"),
    STANDARD("standard");

    public static final String KEY = "features.scaling";

    private static final String DOC = "regressor and classifier: how each input feature reaches the network. none: "
            + "as it is. standard: as (x - mean) / std, by the running mean and (population) standard deviation of "
            + "that feature over every object the model has seen, updated with each record's objects before they "
            + "are predicted (test-then-train, as River's StandardScaler); a feature whose values have all been "
            + "equal is scaled by 1. The statistics are per model, kept in its checkpoint, and exported with it "
            + "(streamfit export bakes them into the graph, which then takes raw features). Only with a dense "
            + "first layer (model.input=dense, or auto with model.features <= 1024): centring would turn a sparse "
            + "input dense, and one-hot indicators need no scaling. Saved models load under another value, but "
            + "their weights then meet other inputs than they learned on, so they relearn; to start clean, use a "
            + "new application.id or streamfit reset.";

    private final String configName;

    FeatureScaling(String configName) {
        this.configName = configName;
    }

    /** The value of {@link #KEY}. */
    public String configName() {
        return configName;
    }

    /** The definition of {@link #KEY}, for each plain kind's {@link ModelKind#configKeys()} (defined alike). */
    public static ConfigDef.ConfigKey configKey() {
        return new ConfigDef().define(KEY, Type.STRING, NONE.configName, ValidString.in(names()), Importance.MEDIUM,
                DOC).configKeys().get(KEY);
    }

    private static String[] names() {
        return Arrays.stream(values()).map(FeatureScaling::configName).toArray(String[]::new);
    }

    /**
     * Refuses any value but {@link #NONE} for kind {@code kind}, which cannot scale its input
     * (the sequence kinds: their windows are kept as they arrived), saying {@code why}.
     */
    public static void refuse(AbstractConfig config, String kind, String why) {
        String value = config.getString(KEY);
        if (!NONE.configName.equals(value)) {
            throw new ConfigException(KEY, value, "model.kind " + kind + " " + why + "; " + KEY
                    + " applies to regressor and classifier");
        }
    }

    /**
     * The configured value for a plain kind whose model is {@code spec}.
     *
     * @throws ConfigException for {@link #STANDARD} with a sparse first layer
     */
    public static FeatureScaling of(AbstractConfig config, ModelSpec spec) {
        String value = config.getString(KEY);
        FeatureScaling scaling = value.equals(STANDARD.configName) ? STANDARD : NONE;
        // Refused rather than scaled by the standard deviation alone (scikit-learn's with_mean=False):
        // a sparse first layer is for large m (one-hot codes, m up to 100,000), whose indicators are on
        // one scale already; dividing a rare indicator by its small standard deviation would blow it
        // up (1 / sqrt(p) for frequency p) and with it that weight row's effective learning rate; and
        // m moments per model would weigh on every checkpoint. Centring, the half that helps dense
        // inputs, cannot be done without filling in every zero.
        if (scaling == STANDARD && spec.sparseInput()) {
            throw new ConfigException(KEY, value, "standard scaling centres every feature, which would turn the "
                    + "sparse first layer (model.input=" + spec.input() + ", model.features=" + spec.features()
                    + ") dense; use model.input=dense for m small enough to scale, or features.scaling=none for "
                    + "sparse one-hot inputs");
        }
        return scaling;
    }
}
