package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end harness against a real in-JVM broker with real Kafka Streams and TensorFlow, on
 * a few hundred records: every topology drains all of them, the latency run measures, and a
 * {@code batch.timesteps} the config rejects is reported as skipped, never as a number.
 */
// streams-app's @Slow is test code, out of this module's reach: the tag it stands for, written out.
@Tag("slow")
class EndToEndIT {

    @Test
    void drainsEveryTopologyAndMeasuresLatency(@TempDir Path stateDir) throws Exception {
        EndToEnd bench = new EndToEnd();
        bench.options.stateDir = stateDir;
        bench.options.records = 300;
        bench.options.series = 4;
        bench.options.partitions = 2;
        bench.options.guarantees = List.of("exactly_once_v2");
        bench.options.batchTimesteps = List.of(1, 64);
        bench.options.latencySeconds = 3;
        bench.options.latencyRate = 20;
        bench.options.warmUpRecords = 100;
        bench.options.warmUpRounds = 0;
        bench.options.latencyWarmUpSeconds = 1;
        bench.options.latencyWarmUpMaxSeconds = 2;
        List<EndToEnd.Row> rows = bench.runAll();

        assertThat(rows).extracting(EndToEnd.Row::topology)
                .startsWith("a bytes copy", "b json tree", "c streamfit", "c latency @20/s");
        for (EndToEnd.Row r : rows.subList(0, 3)) {
            assertThat(r.note()).as(r.topology()).isEmpty();
            assertThat(r.records()).isEqualTo(300);
            assertThat(r.recordsPerSecond()).as(r.topology()).isPositive();
        }
        EndToEnd.Row latency = rows.get(3);
        assertThat(latency.note()).isEmpty();
        assertThat(latency.records()).isGreaterThan(30);
        assertThat(latency.p50Ms()).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(latency.p99Ms());
        // Records are in flight when the timed phase starts, so its start may be one batch off.
        assertThat(latency.timestepsPerUpdate()).as("batch.timesteps=1: one update per record")
                .isCloseTo(1.0, within(2.0 / latency.records()));
        assertThat(latency.timing().warmUpSeconds()).as("paced warm-up before timing").isBetween(1.0, 10.0);
        assertThat(latency.timing().jitPercent()).isNotNegative();

        EndToEnd.Row batched = rows.get(4);
        assertThat(batched.batch()).isEqualTo("64");
        if (batched.note().startsWith("SKIPPED")) {
            assertThat(batched.note()).contains("batch.timesteps");
            assertThat(batched.recordsPerSecond()).isNaN();
        } else {
            assertThat(batched.note()).isEmpty();
            assertThat(batched.recordsPerSecond()).isPositive();
        }
        assertThat(EndToEndReport.table(rows)).contains("ratio exactly_once_v2 batch.timesteps=1 output.objects=per-object round 1: c/a = ");
        try (Stream<Path> roots = Files.list(stateDir)) {
            assertThat(roots).as("--state-dir holds the runs' state").anyMatch(d -> d.getFileName().toString()
                    .startsWith("streamfit-e2e-"));
        }
    }

    /**
     * Rounds interleave the topologies (a, b, then f and c per layout, then again), short numbers
     * reach streamfit as records it learns from, per-timestep outputs drain as per-object ones do,
     * and so do the output floor's.
     */
    @Test
    void roundsInterleaveTheTopologiesAndBothLayoutsDrain(@TempDir Path stateDir) throws Exception {
        EndToEnd bench = new EndToEnd();
        bench.options.stateDir = stateDir;
        bench.options.records = 200;
        bench.options.series = 4;
        bench.options.partitions = 2;
        bench.options.guarantees = List.of("exactly_once_v2");
        bench.options.batchTimesteps = List.of(8);
        bench.options.outputObjects = List.of("per-object", "per-timestep");
        bench.options.numberFormat = TimestepRecords.NumberFormat.SHORT;
        bench.options.rounds = 2;
        bench.options.warmUpRounds = 1;
        bench.options.latencySeconds = 0;
        bench.options.warmUpRecords = 50;
        bench.options.topologies = List.of("a", "b", "c", "f");
        List<EndToEnd.Row> rows = bench.runAll();

        assertThat(rows).extracting(r -> r.topology().charAt(0) + "/" + r.layout() + "/" + r.round())
                .as("the warm-up round ran first and is not counted; each layout's output floor before its c")
                .containsExactly("a/-/1", "b/-/1", "f/per-object/1", "c/per-object/1", "f/per-timestep/1",
                        "c/per-timestep/1", "a/-/2", "b/-/2", "f/per-object/2", "c/per-object/2", "f/per-timestep/2",
                        "c/per-timestep/2");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.note()).as("%s", r).isEmpty();
            assertThat(r.recordsPerSecond()).as("%s", r).isPositive();
        });
        assertThat(EndToEndReport.table(rows, bench.options.objects))
                .contains("median of 2 rounds exactly_once_v2 batch.timesteps=8 output.objects=per-timestep: c/a = ")
                .contains("output floor f ");
    }
}
