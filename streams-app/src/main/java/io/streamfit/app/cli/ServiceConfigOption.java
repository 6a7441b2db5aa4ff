package io.streamfit.app.cli;

import java.nio.file.Path;
import java.util.Map;

import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.AvroLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code -c/--config FILE} of the commands that act on a deployed service ({@code run},
 * {@code backfill}, {@code export}): one option, read one way, so that they all see the service's
 * configuration exactly as {@code run} does.
 */
final class ServiceConfigOption {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceConfigOption.class);

    @Option(names = {"-c", "--config"}, required = true,
            description = "Properties file of the service (streamfit and Kafka keys).")
    Path config;

    /** What {@link #load()} read, with where each value came from; null before. */
    ConfigLoader.Loaded loaded;

    /**
     * The file with the environment's overrides ({@code STREAMFIT_FOO_BAR} sets {@code foo.bar}); also
     * sets Avro's decoding limits from it.
     *
     * @throws CliErrors.UserError if the file cannot be read or a key is unknown, missing or invalid
     */
    StreamfitConfig load() {
        loaded = ConfigReader.read(config, "--config", Map.of(), System.getenv());
        StreamfitConfig cfg = ConfigReader.config(loaded);
        installAvroLimits(cfg);
        return cfg;
    }

    /** Where {@code key}'s value came from ({@code file PATH}, an environment variable, a default). */
    String sourceOf(String key) {
        return loaded.sourceOf(key);
    }

    /*
     * Here, and not in main, StreamfitApp or a static initialiser of a serde: the limits follow the
     * configuration, which exists only from here on, and Avro reads them once, when its
     * SystemLimitException class initialises at the first decode. Every command that decodes Avro
     * (run, backfill, export) loads its configuration here before it touches a store, a changelog or
     * a record; StreamfitApp would be too late for backfill and export, and a static initialiser
     * cannot know the configuration. install() verifies that the limits took effect.
     */
    private static void installAvroLimits(StreamfitConfig cfg) {
        AvroLimits limits = AvroLimits.forValues(cfg.maxRecordBytes(),
                Integer.parseInt(Names.CHANGELOG_MAX_MESSAGE_BYTES));
        if (limits.install()) {
            LOG.debug("Avro decoding limits: {}", limits);
        } else {
            LOG.warn("Avro decoding limits {} are not in force (Avro initialised them before the configuration was "
                    + "read, or a -D setting is looser); declared lengths are still checked against the bytes left",
                    limits);
        }
    }
}
