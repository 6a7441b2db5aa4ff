package io.streamfit.devtools;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.runtime.TopicInitializer;
import io.streamfit.devkit.broker.EmbeddedBroker;

/**
 * The development broker of {@code streamfit broker} and {@code streamfit demo}: the embedded
 * single-node KRaft broker with the contract's topics created at start (names and partition count
 * from the app's settings, by default those of {@link StreamfitConfig}: {@code features},
 * {@code labels}, {@code model-commands}, ... with {@code topics.partitions} partitions), and with
 * {@code auto.create.topics.enable=true}, so that {@code kcat -P -t any-name} works as on any
 * development broker. Integration tests use {@link EmbeddedBroker#start} directly, with
 * auto-creation off, so that a missing topic fails there as it does in production.
 */
final class DevBroker {

    /** A placeholder for {@code model.features} when the settings have none: topics do not depend on m. */
    private static final String ANY_FEATURES = "1";

    private DevBroker() {
    }

    /** A started development broker and the contract topics it created (none when they existed already). */
    record Started(EmbeddedBroker broker, Set<String> created, int partitions) {
    }

    /**
     * Starts the broker and creates the contract's missing topics.
     *
     * @param port        client port on localhost, or 0 for any free port
     * @param dataDir     where logs live across restarts, or {@code null} for a temporary directory
     * @param appSettings the app's settings (topic names, {@code topics.partitions}); empty for the defaults
     */
    static Started start(int port, Path dataDir, Map<String, String> appSettings) throws Exception {
        Map<String, String> settings = new HashMap<>(appSettings);
        settings.putIfAbsent(StreamfitConfig.MODEL_FEATURES, ANY_FEATURES);
        settings.put("bootstrap.servers", "localhost:0"); // replaced below; the config needs one to validate
        int partitions = new StreamfitConfig(settings).getInt(StreamfitConfig.TOPICS_PARTITIONS);
        Map<String, String> brokerProps = Map.of(
                "auto.create.topics.enable", "true",
                // Auto-created topics get the contract's partition count too.
                "num.partitions", String.valueOf(partitions));
        EmbeddedBroker broker = EmbeddedBroker.start(port, dataDir, brokerProps);
        try {
            settings.put("bootstrap.servers", broker.bootstrapServers());
            StreamfitConfig config = new StreamfitConfig(settings);
            Set<String> created = TopicInitializer.createMissing(config,
                    Map.of("bootstrap.servers", broker.bootstrapServers()));
            return new Started(broker, created, partitions);
        } catch (Exception e) {
            broker.close();
            throw e;
        }
    }
}
