package io.streamfit.app.kind.registry;

import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ModelKind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.kind.classifier.ClassifierKind;
import io.streamfit.app.kind.regressor.RegressorKind;
import io.streamfit.app.kind.sequence.LstmRegressorKind;
import io.streamfit.app.kind.sequence.SeqAutoencoderKind;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The registry of model kinds: the one place that lists them. The configuration's
 * {@code model.kind} values, its kind keys and their checks, and the topology's kind-specific
 * stores and sinks all come from here.
 */
public final class ModelKinds {

    /** The key that selects the kind. */
    public static final String MODEL_KIND = "model.kind";

    /** The kind of {@code model.kind}'s default. */
    public static final String DEFAULT = RegressorKind.NAME;

    private static final Map<String, ModelKind> KINDS = register(
            new RegressorKind(),
            new ClassifierKind(),
            new SeqAutoencoderKind(),
            new LstmRegressorKind());

    private ModelKinds() {
    }

    private static Map<String, ModelKind> register(ModelKind... kinds) {
        Map<String, ModelKind> out = new LinkedHashMap<>();
        for (ModelKind k : kinds) {
            if (out.put(k.name(), k) != null) {
                throw new IllegalStateException("two model kinds are named " + k.name());
            }
        }
        return out;
    }

    /** Every kind, in registration order. */
    public static List<ModelKind> all() {
        return List.copyOf(KINDS.values());
    }

    /** The names of every kind, in registration order. */
    public static List<String> names() {
        return List.copyOf(KINDS.keySet());
    }

    /**
     * The kind named {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static ModelKind of(String name) {
        ModelKind k = KINDS.get(name);
        if (k == null) {
            throw new IllegalArgumentException("unknown model.kind '" + name + "'; expected one of " + names());
        }
        return k;
    }

    /**
     * Configures the kind {@code name}: rejects keys that only other kinds take, then lets the kind
     * check and bind its own.
     *
     * @throws ConfigException naming the wrong key
     */
    public static ConfiguredKind configure(String name, CommonSettings common, AbstractConfig config) {
        ModelKind kind = of(name);
        for (ModelKind other : KINDS.values()) {
            for (String key : other.exclusiveKeys()) {
                Object value = config.originals().get(key);
                // A key may be exclusive to several kinds (outlier.targets.*: regressor and lstm-regressor).
                if (value != null && !kind.exclusiveKeys().contains(key)) {
                    throw new ConfigException(key, value, "only model.kind " + String.join(" or ", takers(key))
                            + " takes " + key + " (model.kind is " + name + ")");
                }
            }
        }
        try {
            return kind.configure(common, config);
        } catch (IllegalArgumentException e) {
            // The model module's own checks of a spec (shapes, options): the kind is what the user chose.
            throw new ConfigException(MODEL_KIND, name, e.getMessage());
        }
    }

    /** The kinds that list {@code key} among their {@link ModelKind#exclusiveKeys()}, in registration order. */
    private static List<String> takers(String key) {
        List<String> out = new ArrayList<>();
        for (ModelKind k : KINDS.values()) {
            if (k.exclusiveKeys().contains(key)) {
                out.add(k.name());
            }
        }
        return out;
    }

    /** Every kind's own keys, each name once (first definition wins), in registration order. */
    public static List<ConfigDef.ConfigKey> configKeys() {
        Map<String, ConfigDef.ConfigKey> keys = new LinkedHashMap<>();
        for (ModelKind k : KINDS.values()) {
            for (ConfigDef.ConfigKey key : k.configKeys()) {
                keys.putIfAbsent(key.name, key);
            }
        }
        return new ArrayList<>(keys.values());
    }
}
