package io.streamfit.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Option;

/**
 * The options of {@link EndToEnd}, a picocli mixin of its own so that the drain and latency runs
 * read their parameters without depending on the command class, and a test can set them as
 * fields without going through a command line.
 */
final class EndToEndOptions {

    @Option(names = "--records", description = "N, records preloaded and drained per topology (default ${DEFAULT-VALUE}).")
    int records = 20_000;

    @Option(names = "--objects", description = "k, objects per record (default ${DEFAULT-VALUE}).")
    int objects = 32;

    @Option(names = "--features", description = "m, features per object (default ${DEFAULT-VALUE}).")
    int features = 16;

    @Option(names = "--series", description = "Series keys, round-robin (default ${DEFAULT-VALUE}).")
    int series = 8;

    @Option(names = "--partitions", description = "Partitions of every topic (default ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(names = "--guarantees", split = ",",
            description = "processing.guarantee values to run (default ${DEFAULT-VALUE}).")
    List<String> guarantees = List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);

    @Option(names = "--batch-timesteps", split = ",",
            description = "batch.timesteps values for streamfit (default ${DEFAULT-VALUE}).")
    List<Integer> batchTimesteps = List.of(1, 64);

    @Option(names = "--number-format", description = "How the records' numbers are written: SHORT, 4 decimals "
            + "(0.1234), as sensors and feature pipelines usually send them, or LONG, full float/double precision "
            + "(default ${DEFAULT-VALUE}).")
    TimestepRecords.NumberFormat numberFormat = TimestepRecords.NumberFormat.LONG;

    @Option(names = "--output-objects", split = ",", description = "output.objects of the streamfit runs: "
            + "per-object, per-timestep, or both, each run in turn (default ${DEFAULT-VALUE}).")
    List<String> outputObjects = List.of("per-object");

    @Option(names = "--rounds", description = "Rounds of drains: each round drains a, b, then every c "
            + "configuration, so that a slow minute of the VM touches all of them; the report gives each "
            + "round's ratios and their medians (default ${DEFAULT-VALUE}). Latency runs only in the last round.")
    int rounds = 1;

    @Option(names = "--warm-up-rounds", description = "Rounds of the same drains before the counted ones, "
            + "reported but not counted: the JIT compiles streamfit's code during its first drains (default "
            + "${DEFAULT-VALUE}).")
    int warmUpRounds = 1;

    @Option(names = "--topologies", split = ",", description = "Which of a, b, c, f to run; f, the output floor, "
            + "writes streamfit's outputs of each layout, encoded in advance, with streamfit's producer settings, and "
            + "runs before each c (default ${DEFAULT-VALUE}).")
    List<String> topologies = List.of("a", "b", "c");

    @Option(names = "--latency-seconds",
            description = "Length of each latency run in seconds; 0 skips latency (default ${DEFAULT-VALUE}).")
    int latencySeconds = 20;

    @Option(names = "--latency-rate",
            description = "Records/s of the latency runs; 0 = half the measured streamfit drain rate (default ${DEFAULT-VALUE}).")
    double latencyRate = 0;

    @Option(names = "--latency-warm-up-seconds", description = "Least time each latency run sends at its rate "
            + "before timing starts; 0: time right after the model-building burst (default ${DEFAULT-VALUE}).")
    double latencyWarmUpSeconds = 10;

    @Option(names = "--jit-quiet-percent", description = "... and until the JIT compiler used less than this "
            + "share of one core over the last 5 s (default ${DEFAULT-VALUE}).")
    double jitQuietPercent = 10;

    @Option(names = "--latency-warm-up-max-seconds", description = "Time the latency runs regardless of the JIT "
            + "after this long (default ${DEFAULT-VALUE}).")
    double latencyWarmUpMaxSeconds = 180;

    @Option(names = "--set", description = "Extra key=value for every topology's config (Streams keys, or streamfit "
            + "keys such as model.hidden, batch.max.wait.ms, tf.intra.op.threads); repeatable.")
    Map<String, String> extra = new HashMap<>();

    @Option(names = "--warm-up-records", description = "Records of an unmeasured byte-copy drain before the "
            + "measured ones; 0 skips it (default ${DEFAULT-VALUE}).")
    int warmUpRecords = 2_000;

    @Option(names = "--state-dir", description = "Where the topologies' local state goes (a fresh folder inside "
            + "it); default: the JVM's temp folder, where the in-JVM broker's logs go too.")
    Path stateDir;

    @Option(names = "--idle-timeout", description = "Give a run up after this many seconds without output "
            + "(default ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds = 120;
}
