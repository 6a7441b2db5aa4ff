package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.StreamfitMetrics;
import org.junit.jupiter.api.Test;

class DrainRateTest {

    @Test
    void modelTimeSplitsTheTimersPerInputRecordAndLeavesOutThoseNeverCalled() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        metrics.recordUpdate(1_000_000L);
        metrics.recordUpdate(3_000_000L);
        metrics.recordCheckpoint(100_000L, 5_000L);

        String line = DrainRate.modelTime(registry, 100);

        assertThat(line).isEqualTo("streamfit timers: update 40.0 us a record (2 calls, 2000 us each);"
                + " checkpoint 1.0 us a record (1 calls, 100 us each);");
    }
}
