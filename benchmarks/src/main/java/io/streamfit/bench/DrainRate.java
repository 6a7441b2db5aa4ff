package io.streamfit.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.bench.EndToEnd.Row;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/**
 * The drain-rate half of the end-to-end benchmark. Every topology drains the same preloaded input
 * topic under a fresh application.id, so the rates of a, b and c differ by the topology alone. The
 * rate counts the records between the 10th and 90th percentile of the output records'
 * LogAppendTime ({@link Stats#middleRate}), the broker's clock, so that neither start-up nor the
 * last commit's tail counts.
 */
final class DrainRate {

    /** The preloaded topic every drain reads. */
    static final String INPUT = "e2e-features";

    private final EndToEndCluster cluster;
    private final EndToEndOptions options;

    DrainRate(EndToEndCluster cluster, EndToEndOptions options) {
        this.cluster = cluster;
        this.options = options;
    }

    /** Writes the records every drain reads, once, before any topology runs. */
    void preload() throws Exception {
        cluster.createTopic(INPUT, false);
        long t0 = System.nanoTime();
        cluster.produce(INPUT, options.records, 0);
        System.out.printf(Locale.ROOT, "preloaded %d records (k=%d, m=%d, %d series, %d partitions, %s numbers, "
                        + "%d bytes each on average) in %.1f s%n", options.records, options.objects, options.features,
                options.series, options.partitions, options.numberFormat.name().toLowerCase(Locale.ROOT),
                averageBytes(), (System.nanoTime() - t0) / 1e9);
    }

    /** The mean value size of the preloaded records (of one pass over their distinct draws). */
    private long averageBytes() {
        TimestepRecords source = cluster.records();
        long bytes = 0;
        for (int i = 0; i < TimestepRecords.DISTINCT; i++) {
            bytes += source.nextValue().length;
        }
        return bytes / TimestepRecords.DISTINCT;
    }

    /**
     * An unmeasured byte-copy drain of a small topic first, so that the first measured topology
     * does not pay for loading and compiling Kafka's code paths alone.
     */
    void warmUp() throws Exception {
        String id = cluster.nextRunId("warm-up");
        String in = id + "-in";
        String out = id + "-out";
        cluster.createTopic(in, false);
        cluster.createTopic(out, true);
        int n = Math.min(options.records, options.warmUpRecords);
        cluster.produce(in, n, 0);
        drain(PassThroughTopologies.copyBytes(in, out), cluster.passThroughProps(id, options.guarantees.get(0)),
                out, n);
    }

    /** Drains the input through a baseline; a failure is a row, so that the other runs still report. */
    Row passThrough(String name, String guarantee, PassThroughFactory factory) throws Exception {
        return passThrough(name, guarantee, factory, 1);
    }

    /** As {@link #passThrough(String, String, PassThroughFactory)}, in round {@code round}. */
    Row passThrough(String name, String guarantee, PassThroughFactory factory, int round) throws Exception {
        String id = cluster.nextRunId(name.substring(0, 1));
        String out = id + "-out";
        cluster.createTopic(out, true);
        Properties props = cluster.passThroughProps(id, guarantee);
        int records = options.records;
        try {
            double rate = drain(factory.build(INPUT, out), props, out, records);
            return EndToEndReport.print(new Row(name, guarantee, "-", records, rate, -1, -1, "").in(round, "-"));
        } catch (RuntimeException e) {
            return EndToEndReport.print(new Row(name, guarantee, "-", records, Double.NaN, -1, -1,
                    "FAILED: " + e.getMessage()).in(round, "-"));
        }
    }

    /**
     * Drains the input through the output floor ({@link OutputFloor}) of layout {@code layout}, with the
     * Streams and producer settings streamfit would run with (batch {@code batch}): the same
     * outputs as a streamfit run, encoded in advance.
     */
    Row outputFloor(String guarantee, int batch, String layout, int round) throws Exception {
        String id = cluster.nextRunId("f");
        String objects = id + "-objects";
        String sums = id + "-sums";
        cluster.createTopic(objects, false);
        cluster.createTopic(sums, true);
        Properties props = cluster.passThroughProps(id, guarantee);
        streamfitClientSettings(guarantee, batch, layout).forEach(props::putIfAbsent);
        int records = options.records;
        String batchText = String.valueOf(batch);
        try {
            double rate = drain(OutputFloor.topology(INPUT, objects, sums, options.objects, layout), props, sums, records);
            return EndToEndReport.print(new Row(OutputFloor.NAME, guarantee, batchText, records, rate, -1, -1, "")
                    .in(round, layout));
        } catch (RuntimeException e) {
            return EndToEndReport.print(new Row(OutputFloor.NAME, guarantee, batchText, records, Double.NaN, -1, -1,
                    "FAILED: " + e.getMessage()).in(round, layout));
        }
    }

    /**
     * The producer and poll settings a streamfit run of this configuration gets ({@code producer.*},
     * {@code poll.ms}), --set keys included.
     */
    private Properties streamfitClientSettings(String guarantee, int batch, String layout) {
        Properties all = cluster.streamfitConfig("settings", guarantee, batch, layout, INPUT).streamsProperties();
        Properties p = new Properties();
        all.forEach((k, v) -> {
            String key = k.toString();
            if (key.startsWith("producer.") || key.equals(StreamsConfig.POLL_MS_CONFIG)) {
                p.put(key, v);
            }
        });
        return p;
    }

    /**
     * Drains the input through streamfit. A batch.timesteps the config rejects is reported as
     * skipped, never as a number; a dead letter fails the run, since the rate would count a record
     * the model never learned from.
     */
    Row streamfit(String guarantee, int batch) throws Exception {
        return streamfit(guarantee, batch, options.outputObjects.get(0), 1);
    }

    /** As {@link #streamfit(String, int)}, with {@code output.objects=layout}, in round {@code round}. */
    Row streamfit(String guarantee, int batch, String layout, int round) throws Exception {
        String id = cluster.nextRunId("c");
        StreamfitConfig config;
        try {
            config = cluster.streamfitConfig(id, guarantee, batch, layout, INPUT);
        } catch (ConfigException e) {
            return EndToEndReport.print(new Row("c streamfit", guarantee, String.valueOf(batch), 0, Double.NaN, -1, -1,
                    "SKIPPED: config rejects it: " + e.getMessage()).in(round, layout));
        }
        cluster.createStreamfitTopics(config, true);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        int records = options.records;
        try {
            double rate = drain(StreamfitTopology.build(config, metrics), config.streamsProperties(),
                    config.topics().sumPredictions().name(), records);
            System.out.println("    " + modelTime(registry, records));
            String note = metrics.deadLetters() == 0 ? "" : "FAILED: " + metrics.deadLetters() + " dead letters";
            return EndToEndReport.print(new Row("c streamfit", guarantee, String.valueOf(batch), records, rate, -1, -1,
                    note).in(round, layout));
        } catch (RuntimeException e) {
            return EndToEndReport.print(new Row("c streamfit", guarantee, String.valueOf(batch), records, Double.NaN,
                    -1, -1, "FAILED: " + e.getMessage()).in(round, layout));
        }
    }

    /**
     * The stream thread's time in streamfit's own timers, over the whole drain (start-up included):
     * model calls (predict and train, TensorFlow) and checkpoints (export, encode, put), per input
     * record, with how many calls. Native TensorFlow time is what JFR's sampling misses.
     */
    static String modelTime(MeterRegistry registry, int records) {
        StringBuilder out = new StringBuilder("streamfit timers:");
        for (String name : List.of("streamfit.update", "streamfit.predict", "streamfit.checkpoint")) {
            Timer t = registry.find(name).timer();
            if (t == null || t.count() == 0) {
                continue;
            }
            out.append(String.format(Locale.ROOT, " %s %.1f us a record (%d calls, %.0f us each);",
                    name.substring("streamfit.".length()), t.totalTime(TimeUnit.MICROSECONDS) / records, t.count(),
                    t.mean(TimeUnit.MICROSECONDS)));
        }
        return out.toString();
    }

    /** Runs the topology until every record's output is committed; the steady rate in records/s. */
    private double drain(Topology topology, Properties props, String countedTopic, int expected) throws Exception {
        try (OutputCollector collector = new OutputCollector(cluster.bootstrapServers(), countedTopic, expected,
                Duration.ofSeconds(options.idleTimeoutSeconds))) {
            KafkaStreams streams = new KafkaStreams(topology, props);
            try {
                long t0 = System.nanoTime();
                streams.start();
                // The stream threads' CPU time between 10% and 90% of the outputs: start-up and the
                // last commit left out, as the rate leaves them out.
                String appId = props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
                int from = expected / 10;
                int to = expected - from;
                collector.awaitCount(from);
                long cpuFrom = streamThreadCpuNanos(appId);
                long helperFrom = decodeHelperCpuNanos();
                long ioFrom = producerIoCpuNanos(appId);
                long readerFrom = readerCpuNanos();
                long processFrom = processCpuNanos();
                CoreUse.Snapshot coresFrom = CoreUse.snapshot();
                collector.awaitCount(to);
                CoreUse.Snapshot coresTo = CoreUse.snapshot();
                long cpuTo = streamThreadCpuNanos(appId);
                long helperTo = decodeHelperCpuNanos();
                long ioTo = producerIoCpuNanos(appId);
                long readerTo = readerCpuNanos();
                long processTo = processCpuNanos();
                collector.await();
                long[] ts = collector.timestamps();
                System.out.printf(Locale.ROOT, "  %s: %d outputs %.1f s after start; first to last output %d ms%n",
                        props.get(StreamsConfig.APPLICATION_ID_CONFIG), ts.length, (System.nanoTime() - t0) / 1e9,
                        Arrays.stream(ts).max().orElse(0) - Arrays.stream(ts).min().orElse(0));
                System.out.println("    stream thread: " + threadTime(streams) + "; " + (cpuFrom < 0 ? ""
                        : String.format(Locale.ROOT, "CPU %.1f us a record", (cpuTo - cpuFrom) / 1e3 / (to - from)))
                        + (helperFrom < 0 || helperTo - helperFrom <= 0 ? "" : String.format(Locale.ROOT,
                        "; decode helper CPU %.1f us a record", (helperTo - helperFrom) / 1e3 / (to - from))));
                System.out.println("    " + requests(streams, expected));
                if (processFrom >= 0 && ioFrom >= 0) {
                    System.out.println("    " + processCpu(processTo - processFrom, cpuTo - cpuFrom,
                            helperTo - helperFrom, ioTo - ioFrom, readerTo - readerFrom, to - from));
                }
                String cores = CoreUse.report(CoreUse.between(coresFrom, coresTo, appId + "-"), to - from);
                if (!cores.isEmpty()) {
                    System.out.println("    " + cores);
                    System.out.println("    busiest threads, us a record: "
                            + CoreUse.busiest(coresFrom, coresTo, 8, to - from));
                }
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
            return Stats.middleRate(collector.timestamps());
        } finally {
            cluster.deleteRunTopics(props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
        }
    }

    /**
     * Where the stream thread's time went (Kafka Streams' own thread metrics, averaged over their
     * sample windows, which cover the drain): processing, punctuating, committing, polling, and
     * the mean commit's latency. Under exactly-once a commit flushes the producer and commits the
     * transaction, and the thread waits for both.
     */
    static String threadTime(KafkaStreams streams) {
        Map<String, Double> values = new java.util.HashMap<>();
        streams.metrics().forEach((name, metric) -> {
            if (name.group().equals("stream-thread-metrics") && metric.metricValue() instanceof Double d) {
                values.merge(name.name(), d, Double::sum);
            }
        });
        // commit-total counts every commit of the run; commit-rate would average over the metric's
        // 30 s sample windows, longer than a drain, and understate it.
        return String.format(Locale.ROOT, "process %.0f%%, punctuate %.0f%%, commit %.0f%%, poll %.0f%%; "
                        + "%.0f commits, %.1f ms each",
                100 * values.getOrDefault("process-ratio", Double.NaN),
                100 * values.getOrDefault("punctuate-ratio", Double.NaN),
                100 * values.getOrDefault("commit-ratio", Double.NaN),
                100 * values.getOrDefault("poll-ratio", Double.NaN),
                values.getOrDefault("commit-total", Double.NaN), values.getOrDefault("commit-latency-avg", Double.NaN));
    }

    /**
     * How the application's clients talked to the broker over the whole drain (their own
     * metrics): produce requests and records per request, bytes sent per input record (outputs
     * and changelogs, after compression) and the compression rate, fetches and records per fetch.
     * The broker's CPU per record follows the bytes and the number of requests.
     */
    static String requests(KafkaStreams streams, int inputRecords) {
        Map<String, Double> values = new java.util.HashMap<>();
        streams.metrics().forEach((name, metric) -> {
            String group = name.group();
            if ((group.equals("producer-metrics") || group.equals("consumer-fetch-manager-metrics"))
                    && !name.tags().containsKey("topic") && !name.tags().containsKey("partition")
                    && metric.metricValue() instanceof Double d && !d.isNaN()) {
                values.merge(group + "/" + name.name(), d, Double::sum);
            }
        });
        double produces = values.getOrDefault("producer-metrics/request-total", Double.NaN);
        double sent = values.getOrDefault("producer-metrics/record-send-total", Double.NaN);
        double bytes = values.getOrDefault("producer-metrics/outgoing-byte-total", Double.NaN);
        double compression = values.getOrDefault("producer-metrics/compression-rate-avg", Double.NaN);
        double fetches = values.getOrDefault("consumer-fetch-manager-metrics/fetch-total", Double.NaN);
        double consumed = values.getOrDefault("consumer-fetch-manager-metrics/records-consumed-total", Double.NaN);
        return String.format(Locale.ROOT, "clients: %.0f producer requests (%.0f records each), %.0f bytes sent "
                        + "an input record (batches at %.0f%% of their size), %.0f fetches (%.0f records each)",
                produces, sent / produces, bytes / inputRecords, 100 * compression, fetches, consumed / fetches);
    }

    /**
     * The CPU time the run's stream threads have used since they started, ns; -1 where the JVM
     * does not measure it. Unlike the rate, it hardly moves when other threads and processes take
     * the cores, so it shows a change to the per-record code that the rate's noise hides.
     */
    static long streamThreadCpuNanos(String applicationId) {
        // The stream threads are "<application.id>-<uuid>-StreamThread-N"; their producers' network
        // threads carry the same name after "kafka-producer-network-thread | ".
        return threadCpuNanos(name -> name.startsWith(applicationId + "-") && name.contains("-StreamThread-"));
    }

    /**
     * The CPU time streamfit's decode helper threads ({@code decode.ahead}) have used, ns; -1 where
     * the JVM does not measure it. They serve every streamfit run of this JVM, and only a streamfit
     * run gives them work.
     */
    static long decodeHelperCpuNanos() {
        return threadCpuNanos(name -> name.startsWith("streamfit-decode-"));
    }

    /**
     * The CPU time of the network threads of the application's producers (Kafka Streams' own, one
     * per stream thread under exactly-once v2), ns; -1 where not measured.
     */
    static long producerIoCpuNanos(String applicationId) {
        return threadCpuNanos(name -> name.startsWith("kafka-producer-network-thread | " + applicationId + "-"));
    }

    /** The CPU time of the benchmark's output readers ({@link OutputCollector}), ns; -1 where not measured. */
    static long readerCpuNanos() {
        return threadCpuNanos(name -> name.startsWith("collector-"));
    }

    /** The CPU time of this whole JVM (the in-JVM broker and the benchmark's clients too), ns; -1 if unknown. */
    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /**
     * Where the process's CPU went between two marks, per record: the whole JVM, its stream
     * threads, decode helpers and their producers' network threads, the benchmark's output
     * reader, and the rest (the in-JVM broker, garbage collection, the JIT compiler).
     */
    static String processCpu(long processNanos, long streamNanos, long helperNanos, long ioNanos, long readerNanos,
                             int records) {
        double per = 1e3 * records;
        long reader = Math.max(readerNanos, 0);
        return String.format(Locale.ROOT, "process CPU %.1f us a record: stream thread %.1f, decode helper %.1f, "
                        + "its producer's network thread %.1f, output reader %.1f, the rest (broker, GC, JIT) %.1f",
                processNanos / per, streamNanos / per, Math.max(helperNanos, 0) / per, ioNanos / per, reader / per,
                (processNanos - streamNanos - Math.max(helperNanos, 0) - ioNanos - reader) / per);
    }

    /** The CPU time of the live threads whose name {@code named} accepts, ns; -1 where not measured. */
    private static long threadCpuNanos(java.util.function.Predicate<String> named) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return -1;
        }
        long nanos = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && named.test(t.getThreadName())) {
                nanos += Math.max(threads.getThreadCpuTime(t.getThreadId()), 0);
            }
        }
        return nanos;
    }

    /** A pass-through topology from an input to an output topic. */
    @FunctionalInterface
    interface PassThroughFactory {
        Topology build(String input, String output);
    }
}
