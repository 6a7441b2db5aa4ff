package io.streamfit.app.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Reads the configuration: a properties file, then environment overrides. The variable
 * {@code STREAMFIT_FOO_BAR} overrides key {@code foo.bar} (lower-cased, underscores become dots).
 */
public final class ConfigLoader {

    static final String ENV_PREFIX = "STREAMFIT_";

    /** Variables with the prefix that are not configuration keys (logging, JVM options). */
    private static final java.util.Set<String> NOT_KEYS = java.util.Set.of(
            "STREAMFIT_LOG_LEVEL", "STREAMFIT_KAFKA_LOG_LEVEL", "STREAMFIT_ROOT_LOG_LEVEL", "STREAMFIT_JAVA_OPTS",
            "STREAMFIT_HOME", "STREAMFIT_SKIP_BUILD");

    private ConfigLoader() {
    }

    /**
     * @param file     a properties file, or {@code null} for none
     * @param defaults values below the file (e.g. the demo's)
     * @param env      the environment (usually {@link System#getenv()})
     */
    public static Map<String, String> load(Path file, Map<String, String> defaults, Map<String, String> env)
            throws IOException {
        Map<String, String> props = new HashMap<>(defaults);
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
        }
        props.putAll(envOverrides(env));
        return props;
    }

    /** The configuration keys that the environment sets. */
    public static Map<String, String> envOverrides(Map<String, String> env) {
        Map<String, String> out = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && !NOT_KEYS.contains(name) && name.length() > ENV_PREFIX.length()) {
                String key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                out.put(key, value);
            }
        });
        return out;
    }
}
