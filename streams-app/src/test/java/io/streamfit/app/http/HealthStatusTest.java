package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** /health: a quarantined key degrades the instance but does not take it down (no restart loop). */
class HealthStatusTest {

    @Test
    void quarantinedKeysDegradeARunningInstance() {
        assertThat(HttpApi.healthStatus(true, 0)).isEqualTo("UP");
        assertThat(HttpApi.healthStatus(true, 2)).isEqualTo("DEGRADED");
        assertThat(HttpApi.healthStatus(false, 2)).isEqualTo("DOWN");
    }
}
