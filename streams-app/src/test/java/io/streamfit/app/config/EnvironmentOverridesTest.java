package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code STREAMFIT_*} variables become configuration keys only where the key is streamfit's or
 * Kafka's; any other is ignored with one warning that names it.
 */
class EnvironmentOverridesTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(ConfigLoader.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void capture() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logs);
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** The variable that sets {@code key}: {@code foo.bar} is {@code STREAMFIT_FOO_BAR}. */
    private static String variable(String key) {
        return ConfigLoader.ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    @Test
    void onlyStreamfitAndKafkaKeysComeFromTheEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("STREAMFIT_MODEL_FEATURES", "8");
        env.put("STREAMFIT_OPTIMIZER_BETA1", "0.8");
        env.put("STREAMFIT_BOOTSTRAP_SERVERS", "kafka:9092");
        env.put("STREAMFIT_SASL_JAAS_CONFIG", "jaas");
        env.put("STREAMFIT_NUM_STREAM_THREADS", "2");
        env.put("STREAMFIT_PRODUCER_LINGER_MS", "1");
        env.put("STREAMFIT_MAIN_CONSUMER_MAX_POLL_RECORDS", "10");
        env.put("STREAMFIT_ADMIN_REQUEST_TIMEOUT_MS", "5000");
        env.put("STREAMFIT_TOPIC_MIN_INSYNC_REPLICAS", "2");
        env.put("STREAMFIT_CONFIG_PROVIDERS", "dir");
        env.put("STREAMFIT_CONFIG_PROVIDERS_DIR_CLASS", "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
        // A key of Kafka's with an underscore in its name.
        env.put("STREAMFIT_RACK_AWARE_ASSIGNMENT_NON_OVERLAP_COST", "3");
        // Not keys: the launcher's, a misspelt key, a producer prefix before a consumer key, a made-up key.
        env.put("STREAMFIT_MAVEN_ARGS", "-o -q");
        env.put("STREAMFIT_SKIP_BUILD", "1");
        env.put("STREAMFIT_MODEL_FEATURS", "9");
        env.put("STREAMFIT_PRODUCER_MAX_POLL_RECORDS", "10");
        env.put("STREAMFIT_FOO_BAR", "x");
        env.put("STREAMFIT_", "x");
        env.put("PATH", "/usr/bin");
        env.put("MODEL_FEATURES", "7");

        Map<String, String> keys = ConfigLoader.envOverrides(env);
        assertThat(keys).containsOnlyKeys("model.features", "optimizer.beta1", "bootstrap.servers", "sasl.jaas.config",
                "num.stream.threads", "producer.linger.ms", "main.consumer.max.poll.records", "admin.request.timeout.ms",
                "topic.min.insync.replicas", "config.providers", "config.providers.dir.class",
                "rack.aware.assignment.non_overlap_cost");
        assertThat(keys).containsEntry("model.features", "8").containsEntry("producer.linger.ms", "1");
    }

    @Test
    void anIgnoredVariableIsNamedInOneWarningAndItsValueNever() {
        Map<String, String> env = Map.of("STREAMFIT_WARNED_ONCE_KEY", "value-that-may-be-a-password",
                "STREAMFIT_MAVEN_ARGS", "-o", "STREAMFIT_LOG_LEVEL", "DEBUG", "STREAMFIT_HTTP_PORT", "9000");
        ConfigLoader.envOverrides(env);
        ConfigLoader.envOverrides(env);
        assertThat(warnings()).singleElement().asString()
                .contains("STREAMFIT_WARNED_ONCE_KEY", "warned.once.key")
                .doesNotContain("value-that-may-be-a-password");
    }

    @Test
    void everyStreamfitKeyAndEveryKafkaClientKeyCanBeSetFromTheEnvironment() {
        Set<String> keys = new TreeSet<>(StreamfitConfig.configDef().names());
        keys.addAll(StreamsConfig.configDef().names());
        keys.addAll(ProducerConfig.configNames());
        keys.addAll(ConsumerConfig.configNames());
        keys.addAll(AdminClientConfig.configNames());
        ProducerConfig.configNames().forEach(k -> keys.add(StreamsConfig.producerPrefix(k)));
        ConsumerConfig.configNames().forEach(k -> {
            keys.add(StreamsConfig.consumerPrefix(k));
            keys.add(StreamsConfig.mainConsumerPrefix(k));
            keys.add(StreamsConfig.restoreConsumerPrefix(k));
            keys.add(StreamsConfig.globalConsumerPrefix(k));
        });
        AdminClientConfig.configNames().forEach(k -> keys.add(StreamsConfig.adminClientPrefix(k)));
        Map<String, String> env = new HashMap<>();
        for (String key : keys) {
            // Lower case, dots or underscores between words: what a variable's name can say, one way only.
            assertThat(key).matches("[a-z0-9]+([._][a-z0-9]+)*");
            assertThat(env.put(variable(key), "v")).as("another key with the variable of %s", key).isNull();
        }
        assertThat(ConfigLoader.envOverrides(env).keySet()).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(warnings()).isEmpty();
        assertThat(ConfigLoader.namedKeys()).containsAll(keys);
    }

    @Test
    void theVariablesOfTheLauncherAndTheLoggingConfigurationAreNeitherKeysNorWarned() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("streamfit")) || !Files.isDirectory(root.resolve("deploy"))) {
            root = root.getParent();
        }
        Set<String> used = new TreeSet<>();
        for (Path file : List.of(root.resolve("streamfit"), root.resolve("streams-app/src/main/resources/logback.xml"))) {
            Matcher m = Pattern.compile("STREAMFIT_[A-Z0-9_]+").matcher(Files.readString(file, StandardCharsets.UTF_8));
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).contains("STREAMFIT_MAVEN_ARGS", "STREAMFIT_JAVA_OPTS", "STREAMFIT_SKIP_BUILD", "STREAMFIT_LOG_LEVEL");
        Map<String, String> env = new HashMap<>();
        used.forEach(v -> env.put(v, "x"));
        assertThat(ConfigLoader.envOverrides(env)).isEmpty();
        assertThat(warnings()).isEmpty();
        assertThat(ConfigLoader.NOT_KEYS).containsAll(used);
    }
}
