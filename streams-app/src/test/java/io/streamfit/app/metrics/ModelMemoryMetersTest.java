package io.streamfit.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The meters of the models' memory budget follow it for the life of the service, GCs included. */
class ModelMemoryMetersTest {

    @Test
    void evictionAndLoadCountersFollowTheirSuppliersAfterAGc() throws InterruptedException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        AtomicLong evictions = new AtomicLong();
        AtomicLong loads = new AtomicLong();
        // Method references that nothing but the meters holds, as StreamfitTopology passes them.
        metrics.watchModelMemory(() -> 0L, 1024, () -> 0L, evictions::get, loads::get);
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        evictions.set(7);
        loads.set(11);
        assertThat(registry.get("streamfit.model.cache.evictions").functionCounter().count()).isEqualTo(7.0);
        assertThat(registry.get("streamfit.model.cache.loads").functionCounter().count()).isEqualTo(11.0);
    }
}
