package io.streamfit.app.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.KafkaProperties;
import io.streamfit.app.config.StreamfitConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security settings in the configuration: they reach every Kafka client, secrets can come from
 * files through Kafka's config providers, and what is printed hides them.
 */
class SecureConfigTest {

    private static final String JAAS_PASSWORD = "s3cr3t-Jaas-pw";
    private static final String TRUST_PASSWORD = "trust-pw-42";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void secretsFromAFileAreResolvedForTheClientsAndHiddenInPrint() throws Exception {
        Path secrets = write("secrets.properties", "app.password=" + JAAS_PASSWORD + "\ntrust=" + TRUST_PASSWORD + "\n");
        Path config = write("app.properties", String.join("\n",
                "model.features=3",
                "bootstrap.servers=broker:9093",
                "config.providers=file",
                "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"app\" "
                        + "password=\"${file:" + secrets + ":app.password}\";",
                "ssl.truststore.location=/etc/kafka/truststore.p12",
                "ssl.truststore.password=${file:" + secrets + ":trust}",
                "state.dir=/tmp/x"));
        StreamfitConfig cfg = new StreamfitConfig(ConfigLoader.load(config, Map.of(), Map.of()));

        assertThat(cfg.kafkaProperties().get("sasl.jaas.config")).endsWith("password=\"" + JAAS_PASSWORD + "\";");
        assertThat(cfg.kafkaProperties()).containsEntry("ssl.truststore.password", TRUST_PASSWORD)
                .doesNotContainKeys("config.providers", "config.providers.file.class");
        Properties streams = cfg.streamsProperties();
        assertThat(streams.getProperty("ssl.truststore.password")).isEqualTo(TRUST_PASSWORD);
        assertThat(streams.getProperty("security.protocol")).isEqualTo("SASL_SSL");

        // The producer of the demo and the admin client get the connection and security keys only.
        Map<String, Object> client = cfg.clientProperties();
        assertThat(client).containsEntry("bootstrap.servers", "broker:9093").containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsKeys("sasl.jaas.config", "ssl.truststore.location",
                        "ssl.truststore.password")
                .doesNotContainKeys("state.dir", "model.features");

        Map<String, String> shown = cfg.redactedKafkaProperties();
        assertThat(shown).containsEntry("sasl.jaas.config", KafkaProperties.HIDDEN)
                .containsEntry("ssl.truststore.password", KafkaProperties.HIDDEN)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12");
        assertThat(shown.toString()).doesNotContain(JAAS_PASSWORD, TRUST_PASSWORD);
    }

    @Test
    void environmentOverridesCarrySecurityKeys() throws Exception {
        Map<String, String> env = Map.of("STREAMFIT_SECURITY_PROTOCOL", "SSL",
                "STREAMFIT_SSL_KEYSTORE_PASSWORD", "ks-pw", "STREAMFIT_MODEL_FEATURES", "2");
        StreamfitConfig cfg = new StreamfitConfig(ConfigLoader.load(null, Map.of(), env));
        assertThat(cfg.streamsProperties()).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.keystore.password", "ks-pw");
        assertThat(cfg.redactedKafkaProperties()).containsEntry("ssl.keystore.password", KafkaProperties.HIDDEN);
    }

    @Test
    void secretKeysAreRecognisedByKafkasTypesAndByName() {
        assertThat(KafkaProperties.isSecret("sasl.jaas.config")).isTrue();
        assertThat(KafkaProperties.isSecret("ssl.key.password")).isTrue();
        assertThat(KafkaProperties.isSecret("ssl.keystore.key")).isTrue();
        // Streams' client prefixes.
        assertThat(KafkaProperties.isSecret("producer.sasl.jaas.config")).isTrue();
        assertThat(KafkaProperties.isSecret("main.consumer.ssl.truststore.password")).isTrue();
        assertThat(KafkaProperties.isSecret("listener.name.x.scram-sha-512.sasl.jaas.config")).isTrue();
        assertThat(KafkaProperties.isSecret("sasl.oauthbearer.client.credentials.client.secret")).isTrue();
        assertThat(KafkaProperties.isSecret("security.protocol")).isFalse();
        assertThat(KafkaProperties.isSecret("ssl.truststore.location")).isFalse();
        assertThat(KafkaProperties.isSecret("bootstrap.servers")).isFalse();
        assertThat(KafkaProperties.isSecret("sasl.mechanism")).isFalse();
    }
}
