package io.streamfit.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.devkit.broker.EmbeddedBroker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The end-to-end benchmark: an in-JVM single-node Kafka, one input topic preloaded with N JSON
 * timestep records (k objects of m features, every object with a target), and the steady drain
 * rate of three topologies over those same records, each with a fresh application.id and the
 * same processing guarantee:
 * <ol type="a">
 *   <li>a pass-through that copies the bytes (the pipeline limit),</li>
 *   <li>a pass-through that parses each value into a Jackson tree and writes it back,</li>
 *   <li>streamfit ({@link StreamfitTopology#build}) predicting and training every record, once
 *       per {@code batch.timesteps} value.</li>
 * </ol>
 * An unmeasured byte-copy drain of a small topic comes first, so that the first measured
 * topology does not pay alone for loading Kafka's code. The rate counts the records between the
 * 10th and 90th percentile of the output records' LogAppendTime (the broker's clock when each
 * output was appended; for streamfit the {@code sum-predictions} topic, one record per input;
 * see {@link DrainRate}). Then, for each streamfit configuration, the record-to-prediction latency
 * at a fixed rate, half the drain rate just measured unless {@code --latency-rate}
 * ({@link LatencyRun}). This class only orders the runs: the latency rate depends on the drain
 * just before it, and every run shares one broker.
 */
@Command(name = "end-to-end", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Drain rate of byte-copy, JSON-tree and streamfit topologies over the same preloaded "
                + "records on an in-JVM Kafka, and streamfit's record-to-prediction latency at half that rate.")
public final class EndToEnd implements Callable<Integer> {

    @Mixin
    EndToEndOptions options = new EndToEndOptions();

    public static void main(String[] args) {
        System.exit(new CommandLine(new EndToEnd()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    /**
     * One row of the report: a drain, or a latency run, or a configuration the config rejected.
     *
     * @param timestepsPerUpdate latency runs: input records per model update while timed (the mean
     *                           micro-batch); NaN otherwise
     * @param timing             latency runs: how long they warmed up, and the JIT while timed; null otherwise
     */
    record Row(String topology, String guarantee, String batch, int records, double recordsPerSecond,
               long p50Ms, long p99Ms, double timestepsPerUpdate, Timing timing, String note, int round,
               String layout) {

        Row(String topology, String guarantee, String batch, int records, double recordsPerSecond,
            long p50Ms, long p99Ms, double timestepsPerUpdate, Timing timing, String note) {
            this(topology, guarantee, batch, records, recordsPerSecond, p50Ms, p99Ms, timestepsPerUpdate, timing, note,
                    1, "-");
        }

        Row(String topology, String guarantee, String batch, int records, double recordsPerSecond,
            long p50Ms, long p99Ms, String note) {
            this(topology, guarantee, batch, records, recordsPerSecond, p50Ms, p99Ms, Double.NaN, null, note);
        }

        /** This row as run in round {@code round} with {@code output.objects=layout} ("-": not streamfit). */
        Row in(int round, String layout) {
            return new Row(topology, guarantee, batch, records, recordsPerSecond, p50Ms, p99Ms, timestepsPerUpdate,
                    timing, note, round, layout);
        }
    }

    /**
     * @param warmUpSeconds paced sending before the timed phase
     * @param jitPercent    share of one core the JIT compiler used during the timed phase
     */
    record Timing(double warmUpSeconds, double jitPercent) {
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = runAll();
        System.out.println();
        System.out.print(EndToEndReport.table(rows, options.objects));
        return rows.stream().anyMatch(r -> r.note().startsWith("FAILED")) ? 1 : 0;
    }

    /** Starts the broker, preloads the input and runs every configuration; the rows in run order. */
    List<Row> runAll() throws Exception {
        Path stateRoot = options.stateDir == null ? Files.createTempDirectory("streamfit-e2e-")
                : Files.createTempDirectory(Files.createDirectories(options.stateDir), "streamfit-e2e-");
        List<Row> counted = new ArrayList<>();
        List<Row> rows;
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, null, brokerOverrides())) {
            EndToEndCluster cluster = new EndToEndCluster(broker.bootstrapServers(), options, stateRoot);
            DrainRate drains = new DrainRate(cluster, options);
            LatencyRun latency = new LatencyRun(cluster, options);
            drains.preload();
            if (options.warmUpRecords > 0) {
                drains.warmUp();
            }
            // Interleaved: a, b, c, a, b, c, ... so that a slow phase of the VM falls on every topology.
            // Warm-up rounds (numbered 0 and below) run the same drains first and count for nothing: in
            // this JVM (broker, clients, Streams, TensorFlow) the JIT compiler takes a core for much of
            // the first minute, and streamfit's code is compiled only once its first drain runs.
            List<Row> warmUp = new ArrayList<>();
            for (int round = 1 - options.warmUpRounds; round <= options.rounds; round++) {
                if (round < 1) {
                    System.out.printf("warm-up round %d of %d (not counted)%n", round + options.warmUpRounds,
                            options.warmUpRounds);
                    rows = warmUp;
                } else {
                    rows = counted;
                    if (options.rounds > 1) {
                        System.out.printf("round %d of %d%n", round, options.rounds);
                    }
                }
                boolean last = round == options.rounds;
                for (String guarantee : options.guarantees) {
                    if (options.topologies.contains("a")) {
                        rows.add(drains.passThrough("a bytes copy", guarantee, PassThroughTopologies::copyBytes, round));
                    }
                    if (options.topologies.contains("b")) {
                        rows.add(drains.passThrough("b json tree", guarantee, PassThroughTopologies::jsonTree, round));
                    }
                    if (!options.topologies.contains("c") && !options.topologies.contains("f")) {
                        continue;
                    }
                    for (int batch : options.batchTimesteps) {
                        for (String layout : options.outputObjects) {
                            if (options.topologies.contains("f")) {
                                rows.add(drains.outputFloor(guarantee, batch, layout, round));
                            }
                            if (!options.topologies.contains("c")) {
                                continue;
                            }
                            Row drained = drains.streamfit(guarantee, batch, layout, round);
                            rows.add(drained);
                            if (last && options.latencySeconds > 0 && drained.note().isEmpty()
                                    && layout.equals(options.outputObjects.get(0))) {
                                double rate = options.latencyRate > 0 ? options.latencyRate
                                        : drained.recordsPerSecond() / 2;
                                rows.add(latency.measure(guarantee, batch, rate).in(round, layout));
                            }
                        }
                    }
                }
            }
        }
        return counted;
    }

    /** Broker settings from system properties {@code bench.broker.KEY=VALUE} (none by default). */
    private static Map<String, String> brokerOverrides() {
        Map<String, String> out = new HashMap<>();
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith("bench.broker.")) {
                out.put(k.toString().substring("bench.broker.".length()), v.toString());
            }
        });
        return out;
    }
}
