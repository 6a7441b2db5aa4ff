package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CoreUseTest {

    @Test
    void splitsRunTimeIntoGcJitAndTheApplicationAndCountsThreadsStartedInBetweenWhole() {
        CoreUse.Snapshot from = new CoreUse.Snapshot(Map.of(
                1L, new CoreUse.Times("GC Thread#0", 1_000_000L, 100_000L),
                2L, new CoreUse.Times("C2 CompilerThre", 5_000_000L, 0L),
                3L, new CoreUse.Times("e2e-4-c-1b2c3d4", 10_000_000L, 2_000_000L),
                4L, new CoreUse.Times("data-plane-kaf", 7_000_000L, 1_000_000L)));
        CoreUse.Snapshot to = new CoreUse.Snapshot(Map.of(
                1L, new CoreUse.Times("GC Thread#0", 3_000_000L, 300_000L),
                2L, new CoreUse.Times("C2 CompilerThre", 6_000_000L, 0L),
                3L, new CoreUse.Times("e2e-4-c-1b2c3d4", 50_000_000L, 12_000_000L),
                4L, new CoreUse.Times("data-plane-kaf", 17_000_000L, 1_700_000L),
                // Started after the first snapshot: all of it counts.
                5L, new CoreUse.Times("G1 Conc#0", 4_000_000L, 0L)));

        CoreUse.Split split = CoreUse.between(from, to, "e2e-4-c-");

        assertThat(split).isEqualTo(new CoreUse.Split(6_000_000L, 1_000_000L, 57_000_000L, 10_900_000L,
                10_000_000L, 40_000_000L));
        assertThat(CoreUse.report(split, 1_000)).isEqualTo("cores: GC and safepoints 6.0 us a record, JIT 1.0; "
                + "threads waited for a core 10.9 us a record in all, the application's own threads 10.0 "
                + "(they ran 40.0)");
    }

    @Test
    void theBusiestThreadsAreTheirNamesWithTheirRunTimesTogetherMostFirst() {
        CoreUse.Snapshot from = new CoreUse.Snapshot(Map.of(
                1L, new CoreUse.Times("data-plane-kaf", 1_000_000L, 0L),
                2L, new CoreUse.Times("data-plane-kaf", 1_000_000L, 0L),
                3L, new CoreUse.Times("GC Thread#0", 0L, 0L)));
        CoreUse.Snapshot to = new CoreUse.Snapshot(Map.of(
                1L, new CoreUse.Times("data-plane-kaf", 4_000_000L, 0L),
                2L, new CoreUse.Times("data-plane-kaf", 3_000_000L, 0L),
                3L, new CoreUse.Times("GC Thread#0", 2_000_000L, 0L),
                4L, new CoreUse.Times("collector-x", 500_000L, 0L)));

        assertThat(CoreUse.busiest(from, to, 2, 1_000)).isEqualTo("data-plane-kaf 5.0, GC Thread#0 2.0");
    }

    @Test
    void aThreadIdReusedByAnotherThreadCountsAsNew() {
        CoreUse.Snapshot from = new CoreUse.Snapshot(Map.of(7L, new CoreUse.Times("old", 9_000_000L, 0L)));
        CoreUse.Snapshot to = new CoreUse.Snapshot(Map.of(7L, new CoreUse.Times("new", 2_000_000L, 0L)));

        assertThat(CoreUse.between(from, to, "x").allNanos()).isEqualTo(2_000_000L);
    }

    @Test
    void readsThisJvmsThreadsIncludingTheNativeOnesFromProc() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/task")), "needs Linux's /proc/self/task (not on this OS)");
        CoreUse.Snapshot before = CoreUse.snapshot();
        double sink = 0;
        for (int i = 0; i < 5_000_000; i++) {
            sink += Math.sqrt(i);
        }
        CoreUse.Snapshot after = CoreUse.snapshot();

        assertThat(sink).isPositive();
        assertThat(after.threads().values()).extracting(CoreUse.Times::name)
                .as("HotSpot's compiler threads are native threads that ThreadMXBean does not list")
                .anyMatch(n -> n.startsWith("C1 CompilerThre") || n.startsWith("C2 CompilerThre"));
        assertThat(CoreUse.between(before, after, "none").allNanos()).as("this thread ran the loop").isPositive();
    }

    @Test
    void nothingMeasuredReportsNothing() {
        CoreUse.Snapshot empty = new CoreUse.Snapshot(Map.of());

        assertThat(CoreUse.report(CoreUse.between(empty, empty, "x"), 100)).isEmpty();
    }
}
