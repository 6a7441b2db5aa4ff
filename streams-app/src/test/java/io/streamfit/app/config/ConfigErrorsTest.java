package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Where a value came from, and which unknown keys stop a start. */
class ConfigErrorsTest {

    @TempDir
    Path dir;

    private ConfigLoader.Loaded load(String text, Map<String, String> env) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, text);
        return ConfigLoader.loadTraced(file, Map.of("http.port", "8080"), env);
    }

    @Test
    void eachValueKnowsItsSource() throws Exception {
        ConfigLoader.Loaded l = load("model.features=4\n", Map.of("STREAMFIT_OPTIMIZER", "sgd"));
        assertThat(l.sourceOf("model.features")).isEqualTo("file " + dir.resolve("app.properties"));
        assertThat(l.sourceOf("optimizer")).isEqualTo("environment variable STREAMFIT_OPTIMIZER");
        assertThat(l.sourceOf("http.port")).isEqualTo("the command's default");
        assertThat(l.sourceOf("model.hidden")).isEqualTo("streamfit's default");
    }

    @Test
    void anInvalidValueFromTheEnvironmentNamesTheVariable() throws Exception {
        ConfigLoader.Loaded l = load("model.features=4\n", Map.of("STREAMFIT_OPTIMIZER", "adamx"));
        assertThatThrownBy(() -> new StreamfitConfig(l.values())).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(ConfigErrors.explain(e, l))
                        .startsWith("Invalid value adamx for configuration optimizer: String must be one of: ")
                        .endsWith(" (optimizer from environment variable STREAMFIT_OPTIMIZER): correct or unset "
                                + "STREAMFIT_OPTIMIZER"));
    }

    @Test
    void keysUnderAStreamfitPrefixOrNearAStreamfitKeyAreErrors() throws Exception {
        String file = "file " + dir.resolve("app.properties");
        assertThat(ConfigErrors.unknownKeys(load("model.hiden=32\n", Map.of())))
                .isEqualTo("unknown key 'model.hiden' (from " + file + "): did you mean 'model.hidden'?");
        assertThat(ConfigErrors.unknownKeys(load("optimiser=sgd\n", Map.of())))
                .isEqualTo("unknown key 'optimiser' (from " + file + "): did you mean 'optimizer'?");
        assertThat(ConfigErrors.unknownKeys(load("topic.featurs=in\n", Map.of())))
                .isEqualTo("unknown key 'topic.featurs' (from " + file + "): did you mean 'topic.features'?");
        assertThat(ConfigErrors.unknownKeys(load("output.object=per-timestep\n", Map.of())))
                .isEqualTo("unknown key 'output.object' (from " + file + "): did you mean 'output.objects'?");
        assertThat(ConfigErrors.unknownKeys(load("output.zzzzzzzzzzzzzzzzzz=1\n", Map.of())))
                .isEqualTo("unknown key 'output.zzzzzzzzzzzzzzzzzz' (from " + file + "): not a streamfit key; "
                        + "see docs/configuration.md for the keys");
        assertThat(ConfigErrors.unknownKeys(load("drift.zzzzzzzzzzzzzzzzzz=1\n", Map.of())))
                .isEqualTo("unknown key 'drift.zzzzzzzzzzzzzzzzzz' (from " + file + "): not a streamfit key; "
                        + "see docs/configuration.md for the keys");
    }

    @Test
    void kafkaKeysChallengersAndOtherKeysPassAndTheUnknownOnesGetOneWarning() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(ConfigErrors.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            assertThat(ConfigErrors.unknownKeys(load("""
                model.features=4
                acks=all
                producer.linger.ms=5
                main.consumer.max.poll.records=10
                topic.min.insync.replicas=2
                metrics.num.samples=3
                model.window=8
                anomaly.quantile=0.99
                features.scaling=standard
                challengers=b
                challenger.b.optimizer=sgd
                config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
                some.plugin.setting=1
                other.plugin.setting=2
                """, Map.of()))).isNull();
        } finally {
            logger.detachAppender(logs);
        }
        assertThat(logs.list).singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).contains("[other.plugin.setting, some.plugin.setting]")
                    .doesNotContain("acks", "producer.linger.ms", "challenger.b");
        });
    }

    @Test
    void editDistance() {
        assertThat(ConfigErrors.distance("optimiser", "optimizer")).isEqualTo(1);
        assertThat(ConfigErrors.distance("model.hiden", "model.hidden")).isEqualTo(1);
        assertThat(ConfigErrors.distance("", "abc")).isEqualTo(3);
        assertThat(ConfigErrors.distance("kitten", "sitting")).isEqualTo(3);
    }
}
