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

    @Test
    void processCpuIsSplitPerRecordWithTheRestWhatTheNamedThreadsDidNotUse() {
        // 1,000 records: 90 ms of the process, 40 on the stream thread, 10 on the helper, 5 on its
        // producer's I/O, 3 on the output reader.
        String line = DrainRate.processCpu(90_000_000L, 40_000_000L, 10_000_000L, 5_000_000L, 3_000_000L, 1_000);

        assertThat(line).isEqualTo("process CPU 90.0 us a record: stream thread 40.0, decode helper 10.0, "
                + "its producer's network thread 5.0, output reader 3.0, the rest (broker, GC, JIT) 32.0");
        assertThat(DrainRate.processCpu(90_000_000L, 40_000_000L, -1L, 5_000_000L, 3_000_000L, 1_000))
                .as("no decode helper measured").contains("decode helper 0.0").endsWith("42.0");
    }
}
