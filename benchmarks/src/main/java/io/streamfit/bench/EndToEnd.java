package io.streamfit.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.streamfit.app.names.Names;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.devkit.broker.EmbeddedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
 * output was appended; for streamfit the {@code sum-predictions} topic, one record per input). Then, for each streamfit configuration,
 * the record-to-prediction latency: a producer sends fresh records at a fixed rate (half the
 * drain rate just measured, unless {@code --latency-rate}) with CreateTime = send time; streamfit
 * keeps that timestamp on its outputs; a read_committed consumer of {@code sum-predictions}
 * takes its clock at arrival minus that timestamp. Before the timed phase a burst (at least 4
 * records per series, about 2 s worth) builds every model, then records go at the rate until the
 * JIT compiler has gone quiet (see {@link #settle}); neither is counted. All clocks are this JVM's.
 */
@Command(name = "end-to-end", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Drain rate of byte-copy, JSON-tree and streamfit topologies over the same preloaded "
                + "records on an in-JVM Kafka, and streamfit's record-to-prediction latency at half that rate.")
public final class EndToEnd implements Callable<Integer> {

    private static final String INPUT = "e2e-features";

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

    @Option(names = "--topologies", split = ",", description = "Which of a, b, c to run (default ${DEFAULT-VALUE}).")
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

    private EmbeddedBroker broker;
    private Path stateRoot;
    private int run;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EndToEnd()).execute(args));
    }

    /**
     * One row of the report: a drain, or a latency run, or a configuration the config rejected.
     *
     * @param timestepsPerUpdate latency runs: input records per model update while timed (the mean
     *                           micro-batch); NaN otherwise
     * @param timing             latency runs: how long they warmed up, and the JIT while timed; null otherwise
     */
    record Row(String topology, String guarantee, String batch, int records, double recordsPerSecond,
               long p50Ms, long p99Ms, double timestepsPerUpdate, Timing timing, String note) {

        Row(String topology, String guarantee, String batch, int records, double recordsPerSecond,
            long p50Ms, long p99Ms, String note) {
            this(topology, guarantee, batch, records, recordsPerSecond, p50Ms, p99Ms, Double.NaN, null, note);
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
        System.out.print(report(rows));
        return rows.stream().anyMatch(r -> r.note().startsWith("FAILED")) ? 1 : 0;
    }

    /** Starts the broker, preloads the input and runs every configuration; the rows in run order. */
    List<Row> runAll() throws Exception {
        stateRoot = stateDir == null ? Files.createTempDirectory("streamfit-e2e-")
                : Files.createTempDirectory(Files.createDirectories(stateDir), "streamfit-e2e-");
        List<Row> rows = new ArrayList<>();
        try (EmbeddedBroker b = EmbeddedBroker.start(0, null, Map.of())) {
            broker = b;
            createTopic(INPUT, false);
            long t0 = System.nanoTime();
            produce(INPUT, records, 0);
            System.out.printf(Locale.ROOT, "preloaded %d records (k=%d, m=%d, %d series, %d partitions) in %.1f s%n",
                    records, objects, features, series, partitions, (System.nanoTime() - t0) / 1e9);
            if (warmUpRecords > 0) {
                warmUp();
            }
            for (String guarantee : guarantees) {
                if (topologies.contains("a")) {
                    rows.add(drainPassThrough("a bytes copy", guarantee, PassThroughTopologies::copyBytes));
                }
                if (topologies.contains("b")) {
                    rows.add(drainPassThrough("b json tree", guarantee, PassThroughTopologies::jsonTree));
                }
                if (topologies.contains("c")) {
                    for (int batch : batchTimesteps) {
                        Row drained = drainStreamfit(guarantee, batch);
                        rows.add(drained);
                        if (latencySeconds > 0 && drained.note().isEmpty()) {
                            double rate = latencyRate > 0 ? latencyRate : drained.recordsPerSecond() / 2;
                            rows.add(latency(guarantee, batch, rate));
                        }
                    }
                }
            }
        } finally {
            broker = null;
        }
        return rows;
    }

    /**
     * An unmeasured byte-copy drain of a small topic first, so that the first measured topology
     * does not pay for loading and compiling Kafka's code paths alone.
     */
    private void warmUp() throws Exception {
        String id = nextRunId("warm-up");
        String in = id + "-in";
        String out = id + "-out";
        createTopic(in, false);
        createTopic(out, true);
        int n = Math.min(records, warmUpRecords);
        produce(in, n, 0);
        Properties props = baseProps(id, guarantees.get(0));
        props.putAll(extraStreamsKeys());
        drain(PassThroughTopologies.copyBytes(in, out), props, out, n);
    }

    private Row drainPassThrough(String name, String guarantee, PassThroughFactory factory) throws Exception {
        String id = nextRunId(name.substring(0, 1));
        String out = id + "-out";
        createTopic(out, true);
        Properties props = baseProps(id, guarantee);
        props.putAll(extraStreamsKeys());
        try {
            double rate = drain(factory.build(INPUT, out), props, out, records);
            return print(new Row(name, guarantee, "-", records, rate, -1, -1, ""));
        } catch (RuntimeException e) {
            return print(new Row(name, guarantee, "-", records, Double.NaN, -1, -1, "FAILED: " + e.getMessage()));
        }
    }

    private Row drainStreamfit(String guarantee, int batch) throws Exception {
        String id = nextRunId("c");
        StreamfitConfig config;
        try {
            config = streamfitConfig(id, guarantee, batch, INPUT);
        } catch (ConfigException e) {
            return print(new Row("c streamfit", guarantee, String.valueOf(batch), 0, Double.NaN, -1, -1,
                    "SKIPPED: config rejects it: " + e.getMessage()));
        }
        createStreamfitTopics(config);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        try {
            double rate = drain(StreamfitTopology.build(config, metrics), config.streamsProperties(),
                    config.topics().sumPredictions().name(), records);
            String note = metrics.deadLetters() == 0 ? "" : "FAILED: " + metrics.deadLetters() + " dead letters";
            return print(new Row("c streamfit", guarantee, String.valueOf(batch), records, rate, -1, -1, note));
        } catch (RuntimeException e) {
            return print(new Row("c streamfit", guarantee, String.valueOf(batch), records, Double.NaN, -1, -1,
                    "FAILED: " + e.getMessage()));
        }
    }

    /** Runs the topology until every record's output is committed; the steady rate in records/s. */
    private double drain(Topology topology, Properties props, String countedTopic, int expected) throws Exception {
        try (OutputCollector collector = new OutputCollector(broker.bootstrapServers(), countedTopic, expected,
                Duration.ofSeconds(idleTimeoutSeconds))) {
            KafkaStreams streams = new KafkaStreams(topology, props);
            try {
                long t0 = System.nanoTime();
                streams.start();
                collector.await();
                long[] ts = collector.timestamps();
                System.out.printf(Locale.ROOT, "  %s: %d outputs %.1f s after start; first to last output %d ms%n",
                        props.get(StreamsConfig.APPLICATION_ID_CONFIG), ts.length, (System.nanoTime() - t0) / 1e9,
                        Arrays.stream(ts).max().orElse(0) - Arrays.stream(ts).min().orElse(0));
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
            return Stats.middleRate(collector.timestamps());
        }
    }

    private Row latency(String guarantee, int batch, double rate) throws Exception {
        String id = nextRunId("l");
        String input = id + "-in";
        createTopic(input, false);
        StreamfitConfig config = streamfitConfig(id, guarantee, batch, input);
        // Output timestamps must stay the input's CreateTime here, so no LogAppendTime topics.
        createStreamfitTopics(config, false);
        int total = (int) Math.max(10, Math.round(rate * latencySeconds));
        // Warm-up burst: every series' model is built before anything is paced.
        int burst = Math.max(series * 4, (int) Math.min(total, Math.round(rate * 2)));
        int chunk = (int) Math.max(1, Math.round(rate * WARM_UP_CHUNK_SECONDS));
        int warmUpCapacity = latencyWarmUpSeconds <= 0 ? 0
                : chunk * (int) Math.ceil(Math.max(latencyWarmUpSeconds, latencyWarmUpMaxSeconds) / WARM_UP_CHUNK_SECONDS);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        String label = "c latency @" + Math.round(rate) + "/s";
        try (OutputCollector collector = new OutputCollector(broker.bootstrapServers(),
                config.topics().sumPredictions().name(), burst + warmUpCapacity + total,
                Duration.ofSeconds(idleTimeoutSeconds));
             KafkaProducer<String, byte[]> producer = producer(true)) {
            KafkaStreams streams = new KafkaStreams(StreamfitTopology.build(config, metrics), config.streamsProperties());
            try {
                streams.start();
                TimestepRecords source = new TimestepRecords(objects, features, series, 7);
                produce(producer, input, source, burst, 0);
                collector.awaitCount(burst);
                List<Window> warmUp = settle(producer, input, source, chunk, rate);
                int sent = burst + warmUp.stream().mapToInt(Window::records).sum();

                long start = System.currentTimeMillis();
                // Records are in flight here (the warm-up goes straight on), so this may be one batch off.
                long recordsBefore = metrics.recordsTotal();
                long updatesBefore = metrics.updatesTotal();
                Window timed = paced(producer, input, source, total, rate);
                collector.awaitCount(sent + total);
                // How big the micro-batches were at this rate: what the latency buys in updates.
                long updates = metrics.updatesTotal() - updatesBefore;
                double perUpdate = (metrics.recordsTotal() - recordsBefore) / (double) Math.max(1, updates);
                long[] ts = collector.timestamps();
                long[] arrived = collector.arrivals();
                for (Window w : warmUp) {
                    long[] l = latencies(ts, arrived, w.startMs(), w.endMs());
                    if (l.length == 0) {
                        continue; // a window of a record or two can end in the millisecond it was sent
                    }
                    System.out.printf(Locale.ROOT, "  warm-up %5.1f s at %.0f/s: JIT %3.0f%% of a core, p50 %d ms, p99 %d ms%n",
                            (w.endMs() - warmUp.get(0).startMs()) / 1e3, rate, w.jitPercent(),
                            Stats.percentile(l, 0.5), Stats.percentile(l, 0.99));
                }
                // The timed phase in windows of about WARM_UP_CHUNK_SECONDS each: a stall shows where it was.
                int windows = (int) Math.max(1, Math.round((timed.endMs() - start) / (WARM_UP_CHUNK_SECONDS * 1000)));
                for (int i = 0; i < windows; i++) {
                    long from = start + (timed.endMs() - start) * i / windows;
                    long to = i == windows - 1 ? Long.MAX_VALUE : start + (timed.endMs() - start) * (i + 1) / windows;
                    long[] w = latencies(ts, arrived, from, to);
                    if (w.length == 0) {
                        continue;
                    }
                    System.out.printf(Locale.ROOT, "  timed   %5.1f s at %.0f/s: p50 %d ms, p99 %d ms, max %d ms%n",
                            (Math.min(to, timed.endMs()) - start) / 1e3, rate, Stats.percentile(w, 0.5),
                            Stats.percentile(w, 0.99), Stats.percentile(w, 1.0));
                }
                long[] l = latencies(ts, arrived, start, Long.MAX_VALUE);
                double warmUpSeconds = warmUp.isEmpty() ? 0 : (warmUp.get(warmUp.size() - 1).endMs() - warmUp.get(0).startMs()) / 1e3;
                return print(new Row(label, guarantee, String.valueOf(batch), l.length, rate,
                        Stats.percentile(l, 0.5), Stats.percentile(l, 0.99), perUpdate,
                        new Timing(warmUpSeconds, timed.jitPercent()), ""));
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
        } catch (RuntimeException e) {
            return print(new Row(label, guarantee, String.valueOf(batch), total, rate, -1, -1,
                    "FAILED: " + e.getMessage()));
        }
    }

    /** Length of one paced warm-up window: the JIT's share of a core is judged over one window. */
    private static final double WARM_UP_CHUNK_SECONDS = 5;

    /**
     * Paced records sent in one stretch of time, and how much of one core the JIT compiler used
     * meanwhile (total compilation time over wall time; above 100% when compiler threads overlap).
     */
    record Window(int records, long startMs, long endMs, double jitPercent) {
    }

    /**
     * Sends at {@code rate} in windows of {@link #WARM_UP_CHUNK_SECONDS} until at least
     * {@code --latency-warm-up-seconds} passed and the JIT used less than
     * {@code --jit-quiet-percent} of a core in the last window, or {@code --latency-warm-up-max-seconds}
     * passed. A JVM compiles a freshly started broker, Streams and model for minutes; on few cores
     * that compiling competes with the service, and a latency measured meanwhile is the JIT's.
     */
    private List<Window> settle(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source,
                                int chunk, double rate) {
        List<Window> windows = new ArrayList<>();
        if (latencyWarmUpSeconds <= 0) {
            return windows;
        }
        long t0 = System.nanoTime();
        while (true) {
            Window w = paced(producer, topic, source, chunk, rate);
            windows.add(w);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (elapsed >= latencyWarmUpMaxSeconds || elapsed >= latencyWarmUpSeconds && w.jitPercent() < jitQuietPercent) {
                return windows;
            }
        }
    }

    private Window paced(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source, int n, double rate) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jit0 = jit.getTotalCompilationTime();
        long w0 = System.nanoTime();
        long startMs = System.currentTimeMillis();
        produce(producer, topic, source, n, rate);
        double wallMs = (System.nanoTime() - w0) / 1e6;
        return new Window(n, startMs, System.currentTimeMillis(), 100.0 * (jit.getTotalCompilationTime() - jit0) / wallMs);
    }

    /** Arrival minus timestamp of the outputs whose timestamp is in [fromMs, toMs). */
    private static long[] latencies(long[] timestamps, long[] arrivals, long fromMs, long toMs) {
        List<Long> lat = new ArrayList<>();
        for (int i = 0; i < timestamps.length; i++) {
            if (timestamps[i] >= fromMs && timestamps[i] < toMs) {
                lat.add(arrivals[i] - timestamps[i]);
            }
        }
        return lat.stream().mapToLong(Long::longValue).toArray();
    }

    private StreamfitConfig streamfitConfig(String id, String guarantee, int batch, String input) {
        Map<String, String> p = new HashMap<>();
        p.put(StreamfitConfig.MODEL_FEATURES, String.valueOf(features));
        p.put(StreamfitConfig.BATCH_TIMESTEPS, String.valueOf(batch));
        p.put(StreamfitConfig.TOPIC_FEATURES, input);
        p.put(StreamfitConfig.TOPIC_OBJECT_PREDICTIONS, id + "-objects");
        p.put(StreamfitConfig.TOPIC_SUM_PREDICTIONS, id + "-sums");
        p.put(StreamfitConfig.TOPIC_ANOMALY_SCORES, id + "-anomalies");
        p.put(StreamfitConfig.TOPIC_DEAD_LETTERS, id + "-dead");
        p.put(StreamfitConfig.TOPICS_CREATE, "false");
        p.put(StreamfitConfig.MAX_OBJECTS, String.valueOf(Math.max(objects, 4096)));
        baseProps(id, guarantee).forEach((k, v) -> p.put(k.toString(), v.toString()));
        p.putAll(extra);
        return new StreamfitConfig(p);
    }

    private Properties baseProps(String id, String guarantee) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateRoot.resolve(id).toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // As streamfit sets it (StreamfitConfig#streamsProperties), so that all topologies run alike.
        p.put("processing.exception.handler.global.enabled", "true");
        return p;
    }

    /** The --set keys that are not streamfit's own: they go to the pass-through topologies too. */
    private Map<String, String> extraStreamsKeys() {
        Map<String, String> m = new HashMap<>(extra);
        m.keySet().removeAll(StreamfitConfig.configDef().names());
        return m;
    }

    private String nextRunId(String kind) {
        return "e2e-" + (++run) + "-" + kind;
    }

    private void createStreamfitTopics(StreamfitConfig config) throws Exception {
        createStreamfitTopics(config, true);
    }

    private void createStreamfitTopics(StreamfitConfig config, boolean countedByAppendTime) throws Exception {
        var t = config.topics();
        createTopic(t.objectPredictions().name(), false);
        createTopic(t.sumPredictions().name(), countedByAppendTime);
        createTopic(t.deadLetters().name(), false);
        if (config.globalScope()) {
            // model.scope=global: the one-partition topic that routes every record to the one model.
            createTopic(Names.globalRouteTopic(config.applicationId()), 1, false);
        }
    }

    private void createTopic(String name, boolean logAppendTime) throws Exception {
        createTopic(name, partitions, logAppendTime);
    }

    private void createTopic(String name, int partitionCount, boolean logAppendTime) throws Exception {
        NewTopic topic = new NewTopic(name, partitionCount, (short) 1);
        if (logAppendTime) {
            topic.configs(Map.of("message.timestamp.type", "LogAppendTime"));
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends {@code n} fresh records to {@code topic}; at {@code rate} records/s when rate &gt; 0
     * (each with CreateTime = its send time), else as fast as the producer batches them.
     */
    private void produce(String topic, int n, double rate) {
        // The same seed for every topic: every run sees the same records in the same order.
        produce(topic, new TimestepRecords(objects, features, series, 7), n, rate);
    }

    private void produce(String topic, TimestepRecords source, int n, double rate) {
        try (KafkaProducer<String, byte[]> producer = producer(rate > 0)) {
            produce(producer, topic, source, n, rate);
        }
    }

    private KafkaProducer<String, byte[]> producer(boolean paced) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, paced ? 0 : 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1); // see DemoProducer
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Sends {@code n} records and flushes; at {@code rate} records/s when rate &gt; 0 (each with
     * CreateTime = its send time), else as fast as the producer batches them.
     */
    private static void produce(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source,
                                int n, double rate) {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String key = source.nextKey();
            byte[] value = source.nextValue();
            if (rate > 0) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, value));
            } else {
                producer.send(new ProducerRecord<>(topic, key, value));
            }
        }
        producer.flush();
    }

    private static Row print(Row r) {
        System.out.println(format(r));
        return r;
    }

    private static String format(Row r) {
        String value = Double.isNaN(r.recordsPerSecond()) ? "-" : String.format(Locale.ROOT, "%.0f", r.recordsPerSecond());
        String latency = r.p50Ms() < 0 ? "" : String.format(Locale.ROOT, "p50 %d ms  p99 %d ms", r.p50Ms(), r.p99Ms());
        if (!Double.isNaN(r.timestepsPerUpdate())) {
            latency += String.format(Locale.ROOT, "  %.1f timesteps/update", r.timestepsPerUpdate());
        }
        if (r.timing() != null) {
            latency += String.format(Locale.ROOT, "  (timed after %.0f s warm-up; JIT %.0f%% of a core)",
                    r.timing().warmUpSeconds(), r.timing().jitPercent());
        }
        return String.format(Locale.ROOT, "%-22s %-16s %-6s %8d %10s  %s%s", r.topology(), r.guarantee(), r.batch(),
                r.records(), value, latency, r.note());
    }

    /** The final table, with c/a and c/b of each streamfit drain against the baselines of its guarantee. */
    static String report(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-22s %-16s %-6s %8s %10s  %s%n", "topology", "guarantee", "batch",
                "records", "records/s", "latency / note"));
        for (Row r : rows) {
            out.append(format(r)).append('\n');
        }
        Map<String, Double> baseline = new HashMap<>();
        for (Row r : rows) {
            if (r.topology().startsWith("a ") || r.topology().startsWith("b ")) {
                baseline.put(r.topology().charAt(0) + "|" + r.guarantee(), r.recordsPerSecond());
            }
        }
        for (Row r : rows) {
            if (r.topology().equals("c streamfit") && r.note().isEmpty()) {
                Double a = baseline.get("a|" + r.guarantee());
                Double b = baseline.get("b|" + r.guarantee());
                out.append(String.format(Locale.ROOT, "ratio %s batch.timesteps=%s: c/a = %s, c/b = %s%n",
                        r.guarantee(), r.batch(), ratio(r.recordsPerSecond(), a), ratio(r.recordsPerSecond(), b)));
            }
        }
        return out.toString();
    }

    private static String ratio(double c, Double base) {
        return base == null || Double.isNaN(base) || Double.isNaN(c) ? "-" : String.format(Locale.ROOT, "%.2f", c / base);
    }

    /** A pass-through topology from an input to an output topic. */
    @FunctionalInterface
    interface PassThroughFactory {
        Topology build(String input, String output);
    }
}
