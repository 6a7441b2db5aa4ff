package io.streamfit.app.kind;

import java.util.List;
import java.util.Set;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * A model kind as a plug-in: its name in {@code model.kind}, its own configuration keys and their
 * checks, and (once configured) everything kind-specific that the pipeline runs: the model spec
 * and factory, the supervision rules, batch assembly, output mapping, extra stores and sinks, and
 * per-model checkpoint extras. Kinds are registered in {@link io.streamfit.app.kind.registry.ModelKinds}; the configuration and
 * the topology are built from that registry, so a new kind is its own package plus one line there.
 */
public interface ModelKind {

    /** The value of {@code model.kind}. */
    String name();

    /** One sentence for the documentation of {@code model.kind}. */
    String description();

    /**
     * The keys this kind reads besides the common ones. Kinds may share a key (both sequence kinds
     * read {@code model.window}); the registry defines each name once, first definition wins, so
     * shared keys must be defined alike.
     */
    default List<ConfigDef.ConfigKey> configKeys() {
        return List.of();
    }

    /**
     * Keys that only this kind takes: setting one while another kind is configured is an error,
     * not something silently ignored. Kinds that share such keys (regressor and lstm-regressor
     * share {@code outlier.targets.*}) each list them; setting one is then an error only under a
     * kind that does not list it.
     */
    default Set<String> exclusiveKeys() {
        return Set.of();
    }

    /**
     * Checks the kind's keys against each other and the common settings, and binds them.
     *
     * @param config the parsed configuration (every registered key is defined in it)
     * @throws org.apache.kafka.common.config.ConfigException naming the key that is wrong
     */
    ConfiguredKind configure(CommonSettings common, AbstractConfig config);
}
