package io.streamfit.app.config;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the configuration: a properties file, then environment overrides. The variable
 * {@code STREAMFIT_FOO_BAR} overrides key {@code foo.bar} (lower-cased, underscores become dots),
 * but only where {@code foo.bar} is a key that something reads: one of streamfit's, or a Kafka
 * Streams, producer, consumer or admin client key (also behind Streams' client prefixes such as
 * {@code producer.} and {@code main.consumer.}). Any other {@code STREAMFIT_} variable is ignored
 * with one warning that names it, so that a variable meant for something else (the launcher's
 * {@code STREAMFIT_MAVEN_ARGS}, say) never becomes a key that reaches the Kafka clients, and a
 * misspelt one does not go unnoticed.
 */
public final class ConfigLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    static final String ENV_PREFIX = "STREAMFIT_";

    /**
     * Variables with the prefix that are not configuration keys and are ignored without a warning:
     * logging (logback.xml), the launcher's ({@code ./streamfit}) and the tests' own.
     */
    static final Set<String> NOT_KEYS = Set.of(
            "STREAMFIT_LOG_LEVEL", "STREAMFIT_KAFKA_LOG_LEVEL", "STREAMFIT_STREAMS_LOG_LEVEL", "STREAMFIT_ROOT_LOG_LEVEL", "STREAMFIT_JAVA_OPTS",
            "STREAMFIT_HOME", "STREAMFIT_SKIP_BUILD", "STREAMFIT_MAVEN_ARGS", "STREAMFIT_DIGITS_CSV");

    /**
     * Every key an environment variable may set but those under {@link #OPEN_PREFIXES}, by the name
     * of its variable: streamfit's keys, Kafka's (Streams and the three clients) and the clients'
     * keys behind Streams' prefixes. By name rather than by rule, because a few of Kafka's keys have
     * an underscore ({@code rack.aware.assignment.non_overlap_cost}), which a variable's name cannot
     * tell from a dot.
     */
    private static final Map<String, String> KEYS_BY_VARIABLE = keysByVariable();

    /**
     * Prefixes whose keys Kafka leaves to the user: config providers ({@code config.providers.file.class},
     * their parameters), Streams' client tags and the metrics context.
     */
    private static final List<String> OPEN_PREFIXES = List.of(AbstractConfig.CONFIG_PROVIDERS_CONFIG + ".",
            StreamsConfig.CLIENT_TAG_PREFIX, CommonClientConfigs.METRICS_CONTEXT_PREFIX);

    /** The variables already warned about: one warning per variable and process. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private ConfigLoader() {
    }

    /**
     * @param file     a properties file, or {@code null} for none
     * @param defaults values below the file (e.g. the demo's)
     * @param env      the environment (usually {@link System#getenv()})
     */
    public static Map<String, String> load(Path file, Map<String, String> defaults, Map<String, String> env)
            throws IOException {
        return loadTraced(file, defaults, env).values();
    }

    /**
     * The configuration and where each of its values came from, for errors that say where to fix a
     * value.
     *
     * @param file     a properties file, or {@code null} for none
     * @param defaults values below the file (e.g. the demo's)
     * @param env      the environment (usually {@link System#getenv()})
     */
    public static Loaded loadTraced(Path file, Map<String, String> defaults, Map<String, String> env)
            throws IOException {
        Map<String, String> props = new HashMap<>(defaults);
        Map<String, String> sources = new HashMap<>();
        defaults.keySet().forEach(k -> sources.put(k, "the command's default"));
        Set<String> fileKeys = new TreeSet<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            p.stringPropertyNames().forEach(k -> {
                props.put(k, p.getProperty(k).trim());
                sources.put(k, "file " + file);
                fileKeys.add(k);
            });
        }
        envOverrides(env).forEach((k, v) -> {
            props.put(k, v);
            sources.put(k, "environment variable " + variableOf(k));
        });
        return new Loaded(props, sources, file, Set.copyOf(fileKeys));
    }

    /**
     * A loaded configuration.
     *
     * @param values   every key's value
     * @param sources  where each value came from: {@code file PATH}, {@code environment variable
     *                 STREAMFIT_...} or {@code the command's default}; absent for keys left unset
     * @param file     the properties file, or null
     * @param fileKeys the keys the file sets
     */
    public record Loaded(Map<String, String> values, Map<String, String> sources, Path file, Set<String> fileKeys) {

        /** Where {@code key}'s value came from; {@code streamfit's default} when nothing set it. */
        public String sourceOf(String key) {
            return sources.getOrDefault(key, "streamfit's default");
        }

        /** Whether anything (the file, the environment, the command) set {@code key}. */
        public boolean isSet(String key) {
            return sources.containsKey(key);
        }

        /** The same, with {@code key}'s value set by {@code source} (e.g. a command-line option). */
        public Loaded with(String key, String value, String source) {
            Map<String, String> v = new HashMap<>(values);
            Map<String, String> s = new HashMap<>(sources);
            v.put(key, value);
            s.put(key, source);
            return new Loaded(v, s, file, fileKeys);
        }
    }

    /**
     * The configuration keys that the environment sets: those of the {@code STREAMFIT_} variables
     * whose key is {@link #isKnownKey known}. The others are left out, each with one warning (by
     * name; a value may be a secret) unless it is one of {@link #NOT_KEYS}.
     */
    public static Map<String, String> envOverrides(Map<String, String> env) {
        Map<String, String> out = new HashMap<>();
        // Sorted, so that the warnings come in a stable order.
        new TreeMap<>(env).forEach((name, value) -> {
            if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length() || NOT_KEYS.contains(name)) {
                return;
            }
            String key = KEYS_BY_VARIABLE.get(name);
            if (key == null && isKnownKey(keyOf(name))) {
                key = keyOf(name);
            }
            if (key != null) {
                out.put(key, value);
            } else if (WARNED.add(name)) {
                LOG.warn("Environment variable {} ignored: {} is not a streamfit key nor a Kafka Streams or client "
                        + "key (see docs/configuration.md)", name, keyOf(name));
            }
        });
        return out;
    }

    /** The key of variable {@code STREAMFIT_FOO_BAR} by the rule: {@code foo.bar}. */
    static String keyOf(String variable) {
        return variable.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /** The variable that sets {@code key}: {@code STREAMFIT_FOO_BAR} for {@code foo.bar} (and for {@code foo_bar}). */
    public static String variableOf(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /**
     * Whether an environment variable may set {@code key}: a streamfit key, a Kafka Streams,
     * producer, consumer or admin client key, one of those behind its Streams prefix
     * ({@code producer.linger.ms}, {@code main.consumer.max.poll.records}, {@code topic.min.insync.replicas}),
     * or a key under a prefix whose names Kafka leaves open ({@code config.providers.*},
     * {@code client.tag.*}, {@code metrics.context.*}).
     */
    public static boolean isKnownKey(String key) {
        return key.equals(KEYS_BY_VARIABLE.get(variableOf(key)))
                || OPEN_PREFIXES.stream().anyMatch(p -> key.startsWith(p) && key.length() > p.length());
    }

    /** The keys of {@link #KEYS_BY_VARIABLE}, sorted. */
    static Set<String> namedKeys() {
        return new TreeSet<>(KEYS_BY_VARIABLE.values());
    }

    private static Map<String, String> keysByVariable() {
        Set<String> keys = new TreeSet<>(StreamfitConfigDef.DEF.names());
        keys.addAll(StreamsConfig.configDef().names());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        keys.add(AbstractConfig.CONFIG_PROVIDERS_CONFIG);
        // Streams' prefixes for one client's keys, each with the keys that may follow it.
        Map<String, Set<String>> prefixed = Map.of(
                StreamsConfig.PRODUCER_PREFIX, ProducerConfig.configNames(),
                StreamsConfig.CONSUMER_PREFIX, ConsumerConfig.configNames(),
                StreamsConfig.MAIN_CONSUMER_PREFIX, ConsumerConfig.configNames(),
                StreamsConfig.RESTORE_CONSUMER_PREFIX, ConsumerConfig.configNames(),
                StreamsConfig.GLOBAL_CONSUMER_PREFIX, ConsumerConfig.configNames(),
                StreamsConfig.ADMIN_CLIENT_PREFIX, AdminClientConfig.configNames(),
                StreamsConfig.TOPIC_PREFIX, topicConfigNames());
        prefixed.forEach((prefix, names) -> names.forEach(n -> keys.add(prefix + n)));
        Map<String, String> byVariable = new HashMap<>();
        for (String key : keys) {
            // Sorted: of two keys with one variable (none today), the first keeps it.
            byVariable.putIfAbsent(variableOf(key), key);
        }
        return Map.copyOf(byVariable);
    }

    /** The topic-level keys ({@code cleanup.policy}, ...), which Streams takes behind {@code topic.}. */
    private static Set<String> topicConfigNames() {
        Set<String> names = new HashSet<>();
        for (Field f : TopicConfig.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class && f.getName().endsWith("_CONFIG")) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Set.copyOf(names);
    }
}
