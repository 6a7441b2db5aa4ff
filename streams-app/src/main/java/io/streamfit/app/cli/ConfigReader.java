package io.streamfit.app.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import io.streamfit.app.cli.CliErrors.UserError;
import io.streamfit.app.config.ConfigErrors;
import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Reads a command's configuration and turns what can go wrong into a {@link UserError}: a file that
 * is missing or unreadable, an unknown key that looks like streamfit's, an invalid value (with
 * where it came from).
 */
public final class ConfigReader {

    private ConfigReader() {
    }

    /**
     * The file (of option {@code option}) under the environment's overrides, over {@code defaults}.
     *
     * @throws UserError if the file cannot be read, or sets an unknown key that looks like streamfit's
     */
    public static ConfigLoader.Loaded read(Path file, String option, Map<String, String> defaults,
                                           Map<String, String> env) {
        ConfigLoader.Loaded loaded;
        try {
            loaded = ConfigLoader.loadTraced(file, defaults, env);
        } catch (NoSuchFileException e) {
            throw new UserError("config file '" + file + "' (" + option + ") does not exist: check the path", e);
        } catch (AccessDeniedException e) {
            throw new UserError("config file '" + file + "' (" + option + ") cannot be read: permission denied; "
                    + "make it readable by this user", e);
        } catch (IOException e) {
            throw new UserError("config file '" + file + "' (" + option + ") cannot be read: " + e.getMessage()
                    + "; give a readable properties file", e);
        } catch (IllegalArgumentException e) {
            throw new UserError("config file '" + file + "' (" + option + ") is not a properties file: "
                    + e.getMessage() + "; fix its \\u escapes", e);
        }
        String unknown = ConfigErrors.unknownKeys(loaded);
        if (unknown != null) {
            throw new UserError(unknown);
        }
        return loaded;
    }

    /**
     * The typed configuration.
     *
     * @throws UserError if a value of streamfit or Kafka Streams is missing or invalid: the key, where its
     *                   value came from, the fix
     */
    public static StreamfitConfig config(ConfigLoader.Loaded loaded) {
        try {
            StreamfitConfig cfg = new StreamfitConfig(loaded.values());
            // Kafka Streams' own keys too, before any client is made: types and valid values only
            // (parse, unlike new StreamsConfig, logs nothing).
            StreamsConfig.configDef().parse(cfg.streamsProperties());
            return cfg;
        } catch (ConfigException e) {
            throw new UserError(ConfigErrors.explain(e, loaded), e);
        }
    }
}
