package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.streamfit.model.ModelSpec;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamfitConfigTest {

    @Test
    void defaultsFollowTheContract() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "8"));
        ModelSpec spec = c.modelSpec();
        assertThat(spec.kind()).isEqualTo("regressor");
        assertThat(spec.hidden()).containsExactly(64);
        assertThat(spec.activation()).isEqualTo("relu");
        assertThat(spec.lossWeight()).isEqualTo(0.5);
        assertThat(spec.optimizer().name()).isEqualTo("adam");
        assertThat(spec.optimizer().learningRate()).isEqualTo(0.001);
        assertThat(spec.seed()).isEqualTo(42L);
        assertThat(c.globalScope()).isFalse();
        assertThat(c.maxObjects()).isEqualTo(4096);
        assertThat(c.topics().features().name()).isEqualTo("features");
        assertThat(c.topics().deadLetters().name()).isEqualTo("dead-letters");
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(p.getProperty("application.id")).isEqualTo("streamfit");
    }

    @Test
    void kafkaKeysPassThroughAndWinOverDefaults() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "3", "processing.guarantee", "at_least_once",
                "security.protocol", "SASL_SSL", "application.id", "app-1"));
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("at_least_once");
        assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(c.applicationId()).isEqualTo("app-1");
        assertThat(c.kafkaProperties()).doesNotContainKey("model.features");
    }

    @Test
    void invalidValuesAreRejectedWithTheKey() {
        assertThatThrownBy(() -> new StreamfitConfig(Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("model.features");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "loss.weight", "1.5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("loss.weight");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "64,x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.hidden");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer", "lbfgs")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("optimizer");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.scope", "object")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.scope");
    }

    @Test
    void emptyHiddenMeansLinear() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", ""));
        assertThat(c.hidden()).isEmpty();
        StreamfitConfig two = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "64, 32"));
        assertThat(two.hidden()).containsExactly(64, 32);
    }

    @Test
    void optimizerHyperparametersEnterTheFingerprintOfTheirOptimizerOnly() {
        StreamfitConfig adam = new StreamfitConfig(Map.of("model.features", "4", "optimizer.momentum", "0.5"));
        StreamfitConfig adam2 = new StreamfitConfig(Map.of("model.features", "4"));
        assertThat(adam.modelSpec().fingerprint()).isEqualTo(adam2.modelSpec().fingerprint());
        StreamfitConfig mom = new StreamfitConfig(Map.of("model.features", "4", "optimizer", "momentum",
                "optimizer.momentum", "0.5"));
        assertThat(mom.modelSpec().optimizer().param("momentum", 0)).isEqualTo(0.5);
    }

    @Test
    void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "model.features=8\nloss.weight=0.2\nbootstrap.servers=kafka:9092\n");
        Map<String, String> env = new HashMap<>();
        env.put("STREAMFIT_LOSS_WEIGHT", "0.9");
        env.put("STREAMFIT_BOOTSTRAP_SERVERS", "other:9093");
        env.put("STREAMFIT_LOG_LEVEL", "DEBUG");
        env.put("PATH", "/usr/bin");
        Map<String, String> props = ConfigLoader.load(file, Map.of("model.hidden", "16"), env);
        StreamfitConfig c = new StreamfitConfig(props);
        assertThat(c.getDouble("loss.weight")).isEqualTo(0.9);
        assertThat(c.bootstrapServers()).isEqualTo("other:9093");
        assertThat(c.hidden()).containsExactly(16);
        assertThat(props).doesNotContainKey("log.level").doesNotContainKey("path");
    }
}
