package io.streamfit.app.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import picocli.CommandLine.Option;

/**
 * {@code -c/--config FILE} of the commands that act on a deployed service ({@code run},
 * {@code backfill}, {@code export}): one option, read one way, so that they all see the service's
 * configuration exactly as {@code run} does.
 */
final class ServiceConfigOption {

    @Option(names = {"-c", "--config"}, required = true,
            description = "Properties file of the service (streamfit and Kafka keys).")
    Path config;

    /** The file with the environment's overrides ({@code STREAMFIT_FOO_BAR} sets {@code foo.bar}). */
    StreamfitConfig load() throws IOException {
        return new StreamfitConfig(ConfigLoader.load(config, Map.of(), System.getenv()));
    }
}
