package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every secret value of a configuration is hidden in whatever streamfit prints of it: under its own
 * key, whatever that key is called, and wherever else the value appears.
 */
class SecretMaskTest {

    private static final String JAAS_PASSWORD = "jaas-pw-7f3a";
    private static final String KEYSTORE_PASSWORD = "ks-pw-91c2";
    private static final String API_TOKEN = "tok-55e1";
    private static final String SECRET_BOOTSTRAP = "hidden-broker:9093";
    private static final String SECRET_TOPIC = "topic-from-a-file";

    @TempDir
    Path dir;

    private StreamfitConfig config() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, "pw=" + JAAS_PASSWORD + "\nbootstrap=" + SECRET_BOOTSTRAP + "\ntopic=" + SECRET_TOPIC
                + "\n");
        String ref = "${file:" + secrets + ":";
        Map<String, String> props = new HashMap<>();
        props.put("model.features", "3");
        props.put("config.providers", "file");
        props.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        props.put("security.protocol", "SASL_SSL");
        // A password from a file, inside sasl.jaas.config.
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"app\" password=\"" + ref + "pw}\";");
        // A literal password, under a PASSWORD key.
        props.put("ssl.keystore.password", KEYSTORE_PASSWORD);
        // A custom key that names a token.
        props.put("my.plugin.api.token", API_TOKEN);
        // Values from a provider under ordinary keys, Kafka's and streamfit's.
        props.put("bootstrap.servers", ref + "bootstrap}");
        props.put("topic.features", ref + "topic}");
        // The secrets again, inside the text of other values.
        props.put("client.id", "app-" + JAAS_PASSWORD + "-" + API_TOKEN);
        props.put("ssl.keystore.location", "/etc/" + KEYSTORE_PASSWORD + "/keystore.p12");
        props.put("sasl.mechanism", "SCRAM-SHA-512");
        return new StreamfitConfig(props);
    }

    @Test
    void theResolvedValuesReachTheClients() throws Exception {
        StreamfitConfig cfg = config();
        assertThat(cfg.streamsProperties().getProperty("sasl.jaas.config")).contains("password=\"" + JAAS_PASSWORD + "\"");
        assertThat(cfg.bootstrapServers()).isEqualTo(SECRET_BOOTSTRAP);
        assertThat(cfg.topics().features().name()).isEqualTo(SECRET_TOPIC);
    }

    @Test
    void theKafkaSettingsHideEverySecretUnderItsKeyAndInsideOtherValues() throws Exception {
        Map<String, String> shown = config().redactedKafkaProperties();
        assertThat(shown).containsEntry("sasl.jaas.config", SecretMask.HIDDEN)
                .containsEntry("ssl.keystore.password", SecretMask.HIDDEN)
                .containsEntry("my.plugin.api.token", SecretMask.HIDDEN)
                .containsEntry("bootstrap.servers", SecretMask.HIDDEN)
                .containsEntry("client.id", "app-[hidden]-[hidden]")
                .containsEntry("ssl.keystore.location", "/etc/[hidden]/keystore.p12")
                // Nothing else: the settings stay readable.
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        assertThat(shown.toString()).doesNotContain(JAAS_PASSWORD, KEYSTORE_PASSWORD, API_TOKEN, SECRET_BOOTSTRAP);
    }

    @Test
    void theSummaryAndAnyOtherTextAreMaskedToo() throws Exception {
        StreamfitConfig cfg = config();
        SecretMask mask = cfg.secretMask();
        String message = "cannot reach " + SECRET_BOOTSTRAP + " as app/" + JAAS_PASSWORD + " with " + KEYSTORE_PASSWORD
                + ", " + API_TOKEN + " on " + SECRET_TOPIC;
        assertThat(mask.mask(message)).isEqualTo("cannot reach [hidden] as app/[hidden] with [hidden], [hidden] on [hidden]");
        assertThat(mask.mask("model=regressor m=3")).isEqualTo("model=regressor m=3");
        assertThat(mask.mask(null)).isNull();
    }

    @Test
    void aJaasConfigGivesUpItsSecretOptionsButNotItsFlagsOrUserName() {
        assertThat(SecretMask.jaasSecrets("org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"alice\" password=\"p@ss \\\"quoted\\\"\" clientSecret=abc123 useKeyTab=true;"))
                .containsExactly("p@ss \\\"quoted\\\"", "p@ss \"quoted\"", "abc123");
        // tokenAuth is a flag, whatever its name says: true is hidden nowhere but under a secret key.
        SecretMask mask = SecretMask.of(Map.of("sasl.jaas.config", "x"), Map.of("sasl.jaas.config",
                "Module required username=\"alice\" password=\"pw-1\" tokenAuth=true;"));
        assertThat(mask.mask("alice pw-1 enable.idempotence=true")).isEqualTo("alice [hidden] enable.idempotence=true");
    }

    @Test
    void theValuesAProviderPutInPlaceOfEachVariableAreFoundBetweenTheLiteralParts() {
        assertThat(SecretMask.substituted("user=\"${file:/s:u}\" password=\"${file:/s:p}\";",
                "user=\"bob\" password=\"x;y\";")).containsExactly("bob", "x;y");
        assertThat(SecretMask.substituted("${env:A}", "whole")).containsExactly("whole");
        // A variable no provider resolved stays as written: no secret in it.
        assertThat(SecretMask.substituted("a-${nope:x}-b", "a-${nope:x}-b")).isEmpty();
        assertThat(SecretMask.substituted("a-${nope:x}-${file:/s:k}", "a-${nope:x}-v")).containsExactly("v");
        // Not lined up (cannot happen with Kafka's transformer): all of it.
        assertThat(SecretMask.substituted("a-${file:/s:k}", "b-v")).containsExactly("b-v");
    }

    @Test
    void aUserNameFromAProviderStaysReadableItsPasswordDoesNot() {
        Map<String, String> given = Map.of("sasl.jaas.config",
                "M required username=\"${dir:/s:username}\" password=\"${dir:/s:password}\";", "application.id", "app");
        Map<String, String> resolved = Map.of("sasl.jaas.config", "M required username=\"app\" password=\"pw-9\";",
                "application.id", "app");
        SecretMask mask = SecretMask.of(given, resolved);
        assertThat(mask.mask("application.id=app user=app pw-9")).isEqualTo("application.id=app user=app [hidden]");
        assertThat(mask.redact(resolved)).containsEntry("sasl.jaas.config", "[hidden]").containsEntry("application.id", "app");
    }

    @Test
    void theLongerOfTwoOverlappingSecretsGoesWhole() {
        SecretMask mask = SecretMask.of(Map.of(), Map.of("a.password", "abc", "b.password", "abcdef"));
        assertThat(mask.mask("xabcdefx abc")).isEqualTo("x[hidden]x [hidden]");
        assertThat(SecretMask.none().mask("abc")).isEqualTo("abc");
        assertThat(mask.redact(Map.of("a.password", "abc", "note", "abcdef!"))).isEqualTo(
                Map.of("a.password", "[hidden]", "note", "[hidden]!"));
        SecretMask flags = SecretMask.of(Map.of(), Map.of("x.token", "true"));
        assertThat(flags.redact(Map.of("x.token", "true", "enable.idempotence", "true")))
                .isEqualTo(Map.of("x.token", "[hidden]", "enable.idempotence", "true"));
    }
}
