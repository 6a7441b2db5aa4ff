package io.streamfit.app.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;

import io.streamfit.app.runtime.KafkaAccess;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** The messages for authentication and authorization failures name what to fix. */
class KafkaAccessTest {

    @Test
    void anAuthorizationFailureDeepInAStreamsErrorIsExplained() {
        Exception e = new StreamsException("Error encountered sending record to topic sums for task 0_1",
                new TopicAuthorizationException(Set.of("sums")));
        String message = KafkaAccess.explain(e);
        assertThat(message).contains("denied", "sums", "docs/security.md");
    }

    @Test
    void anAuthenticationFailureIsExplained() {
        String message = KafkaAccess.explain(new StreamsException(new SaslAuthenticationException("invalid credentials")));
        assertThat(message).contains("authentication failed", "invalid credentials");
    }

    @Test
    void otherErrorsAreNotAccessErrors() {
        assertThat(KafkaAccess.explain(new StreamsException(new TimeoutException("slow")))).isNull();
        assertThat(KafkaAccess.explain(new IllegalStateException("x"))).isNull();
    }

    @Test
    void anUnreachableClusterIsReportedWithItsAddressOnceTheTimeoutIsOver() {
        // Nothing listens on port 1: the check gives up after its timeout, without waiting for the
        // admin client's own (default.api.timeout.ms, a minute) on close.
        Map<String, Object> props = Map.of("bootstrap.servers", "localhost:1");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> KafkaAccess.checkLogin(props, java.time.Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(KafkaAccess.Unreachable.class, e -> {
                    assertThat(e.bootstrapServers()).isEqualTo("localhost:1");
                    assertThat(e.timeout()).isEqualTo(java.time.Duration.ofSeconds(2));
                });
        assertThat((System.nanoTime() - t0) / 1e9).isBetween(1.5, 10.0);
    }
}
