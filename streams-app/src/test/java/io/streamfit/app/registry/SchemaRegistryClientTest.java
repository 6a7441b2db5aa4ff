package io.streamfit.app.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.config.SecretMask;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.SchemaRegistry;
import io.streamfit.schemas.avro.SumPrediction;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * The client's behaviour when the registry cannot be asked (a closed port on loopback: a real
 * refused connection, no stand-in), its settings, and their secrets. Lookups against a real registry:
 * SchemaRegistryIT.
 */
class SchemaRegistryClientTest {

    @Test
    void aLookupWaitsWhileTheRegistryIsUnreachableAndOnlyCloseEndsTheWait() throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(settings(closedPortUrl(), null, null,
                Duration.ofSeconds(1)));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread lookup = new Thread(() -> {
            try {
                client.writerSchema(1);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        lookup.start();
        lookup.join(1_500);
        assertThat(lookup.isAlive()).as("still waiting for the registry, not failing the record").isTrue();
        assertThat(failed.get()).isNull();
        long t0 = System.nanoTime();
        client.close();
        lookup.join(5_000);
        assertThat(lookup.isAlive()).isFalse();
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds from close to the end of the wait").isLessThan(2.0);
        assertThat(failed.get()).isInstanceOf(SchemaRegistry.RegistryUnavailableException.class)
                .hasMessageContaining("cannot be reached");
    }

    @Test
    void aLookupGivesUpAfterTheUnavailableTimeWithAnInstanceFaultNotADeadLetter() throws Exception {
        String url = closedPortUrl();
        try (SchemaRegistryClient client = new SchemaRegistryClient(settings(url, null, null, Duration.ofSeconds(1),
                Duration.ofMillis(1_200)))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client.writerSchema(3))
                    .isInstanceOf(SchemaRegistry.RegistryUnavailableException.class)
                    .isNotInstanceOf(io.streamfit.schemas.InvalidRecordException.class)
                    .hasMessageContaining(url).hasMessageContaining("schema id 3");
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(1.1, 5.0);
        }
    }

    @Test
    void registeringAnOutputSchemaAtStartGivesUpAfterTheStartTimeoutNamingTheRegistry() throws Exception {
        String url = closedPortUrl();
        try (SchemaRegistryClient client = new SchemaRegistryClient(settings(url, null, null, Duration.ofMillis(800)))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client.id("sum-predictions-value", SumPrediction.getClassSchema()))
                    .isInstanceOf(SchemaRegistry.RegistryUnavailableException.class)
                    .hasMessageContaining(url).hasMessageContaining("subject sum-predictions-value");
            assertThat((System.nanoTime() - t0) / 1e9).isBetween(0.7, 5.0);
        }
    }

    @Test
    void settingsThatCannotWorkAreRefusedAtOnce() {
        assertThatThrownBy(() -> new SchemaRegistryClient(settings("ftp://x", null, null, Duration.ofSeconds(1))))
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> new SchemaRegistryClient(settings("http://x", "alice:pw", "tok", Duration.ofSeconds(1))))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> new SchemaRegistryClient(settings("http://x", "alice", null, Duration.ofSeconds(1))))
                .hasMessageContaining("user:password");
    }

    @Test
    void theRegistrySecretsAreHiddenAndAvroRegistryNeedsAUrl() {
        StreamfitConfig cfg = TestConfigs.regressor(3).with("value.format", "avro-registry")
                .with("schema.registry.url", "https://registry:8081")
                .with("schema.registry.basic.auth.user.info", "alice:Sup3r-s3cret")
                .with("schema.registry.ssl.truststore.password", "trust-pw-99").toConfig();
        assertThat(cfg.schemaRegistry().basicAuthUserInfo()).isEqualTo("alice:Sup3r-s3cret");
        assertThat(cfg.values().get("schema.registry.basic.auth.user.info").toString()).isEqualTo("[hidden]");
        SecretMask mask = cfg.secretMask();
        assertThat(mask.mask("auth alice:Sup3r-s3cret, trust trust-pw-99")).isEqualTo("auth [hidden], trust [hidden]");
        StreamfitConfig bearer = TestConfigs.regressor(3).with("schema.registry.bearer.auth.token", "eyJ-token-1")
                .toConfig();
        assertThat(bearer.secretMask().mask("Bearer eyJ-token-1")).isEqualTo("Bearer [hidden]");

        assertThatThrownBy(() -> TestConfigs.regressor(3).with("value.format", "avro-registry").toConfig())
                .isInstanceOf(ConfigException.class).hasMessageContaining(StreamfitConfig.SCHEMA_REGISTRY_URL);
        assertThatThrownBy(() -> TestConfigs.regressor(3).with("value.format", "protobuf").toConfig())
                .isInstanceOf(ConfigException.class).hasMessageContaining("value.format");
    }

    private static SchemaRegistryClient.Settings settings(String url, String userInfo, String token, Duration start) {
        return settings(url, userInfo, token, start, Duration.ofMinutes(5));
    }

    private static SchemaRegistryClient.Settings settings(String url, String userInfo, String token, Duration start,
            Duration lookup) {
        return new SchemaRegistryClient.Settings(url, userInfo, token, "", null, "PKCS12", 10, Duration.ofSeconds(2),
                200, start, lookup);
    }

    private static String closedPortUrl() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }
}
