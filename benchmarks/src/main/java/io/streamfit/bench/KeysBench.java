package io.streamfit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.streamfit.devkit.broker.EmbeddedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 18, a million models per instance: what many series keys cost the service
 * ({@code model.scope=series}, one model per key), measured on this machine with an in-JVM broker
 * and the service ({@code streamfit run}) in a child JVM whose resident set is its own:
 * <ol>
 *   <li><b>curve</b>: N distinct keys, one record each, drained from a preloaded topic; when the
 *       committed predictions pass each of {@code --keys}, the child's RSS, heap in use, heap live
 *       after a full GC, and the model cache's bytes and models; the drain rate of each segment;</li>
 *   <li><b>first-sight</b>: in this JVM, without Kafka, what a record of a new key costs the
 *       model layer against one of the key the graph holds ({@link FirstSight});</li>
 *   <li><b>drain</b>: the same records over many keys cycling (e.g. 100,000 keys x 2 timesteps)
 *       against 8 keys, exactly-once, default {@code batch.timesteps}: both drain rates, their
 *       ratio;</li>
 *   <li><b>global</b>: {@code model.scope=global} after 8 series and after many: the
 *       {@code streamfit_checkpoint_bytes} gauge and the size of the model store's record (the
 *       last value of its changelog).</li>
 * </ol>
 * Drain rates count committed {@code sum-predictions} (one per input record) by their
 * LogAppendTime, as {@link DrainRate} does.
 *
 * <p>Defaults (1M keys in the curve, 200,000 records per drain run, 10,000 series in global scope)
 * take about 13 minutes on 2 cores; {@code --keys 10000,100000} about 6. Reading the numbers:
 * {@code streamfit_restore_seconds} counts both the per-key restores from a checkpoint (a cache
 * miss) and, at start, one changelog restore per store of every task (18 with 6 partitions, about
 * 100 ms each even with nothing to restore). Global scope writes its whole per-series bookkeeping in
 * every checkpoint, so its cost per record grows with the series: 1M series there is not practical
 * (pass {@code --global-series 8,100000} to see the trend).
 */
@Command(name = "keys", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Many series keys: RSS/heap curve, a new key's set-up time, drain rate of many keys vs 8, "
                + "global-scope checkpoint size.")
public final class KeysBench implements Callable<Integer> {

    @Option(names = "--phases", split = ",", description = "Phases to run, of curve, first-sight, drain, global "
            + "(default ${DEFAULT-VALUE}).")
    List<String> phases = List.of("first-sight", "curve", "drain", "global");

    @Option(names = "--keys", split = ",", description = "curve: checkpoints in distinct keys; the largest is how "
            + "many keys stream (default ${DEFAULT-VALUE}; 10000,100000 for a run of about 8 minutes).")
    List<Integer> keys = List.of(10_000, 100_000, 1_000_000);

    @Option(names = "--curve-series", description = "curve: series keys the records cycle through; 0 (default) gives "
            + "every record a key of its own. A control run with a few keys shows what grows with time and records "
            + "rather than with keys (the marks of --keys then count records).")
    int curveSeries = 0;

    @Option(names = "--cache-bytes", description = "models.cache.max.bytes of the service (default ${DEFAULT-VALUE}, "
            + "64 MiB).")
    long cacheBytes = 64L * 1024 * 1024;

    @Option(names = "--xmx", description = "Heap limit of the service's JVM (default ${DEFAULT-VALUE}).")
    String xmx = "1g";

    @Option(names = "--jvm-option", description = "An extra flag of the service's JVM, repeatable (e.g. "
            + "--jvm-option=-Xms1g --jvm-option=-XX:+AlwaysPreTouch, so that the heap is committed before the curve).")
    List<String> jvmOptions = new ArrayList<>();

    @Option(names = "--objects", description = "k, objects per record, each with a target (default ${DEFAULT-VALUE}).")
    int objects = 4;

    @Option(names = "--features", description = "m, features per object (default ${DEFAULT-VALUE}).")
    int features = 8;

    @Option(names = "--hidden", description = "model.hidden (default ${DEFAULT-VALUE}).")
    String hidden = "16";

    @Option(names = "--partitions", description = "Partitions of every topic, tasks of the service "
            + "(default ${DEFAULT-VALUE}, topics.partitions' default).")
    int partitions = 6;

    @Option(names = "--live-heap", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "curve: a full GC in the child (jcmd GC.run) at each checkpoint, for the live heap "
                    + "(default ${DEFAULT-VALUE}).")
    boolean liveHeap = true;

    @Option(names = "--iterations", description = "first-sight: timed records of each kind (default ${DEFAULT-VALUE}).")
    int iterations = 2_000;

    @Option(names = "--own-graphs", description = "first-sight: new keys with a graph of their own, the old way "
            + "(default ${DEFAULT-VALUE}).")
    int ownGraphs = 10;

    @Option(names = "--drain-records", description = "drain: records per run (default ${DEFAULT-VALUE}).")
    int drainRecords = 200_000;

    @Option(names = "--drain-keys",
            description = "drain: keys cycling in the many-keys run (default ${DEFAULT-VALUE}).")
    int drainKeys = 100_000;

    @Option(names = "--hot-keys", description = "drain: keys of the few-keys run (default ${DEFAULT-VALUE}).")
    int hotKeys = 8;

    @Option(names = "--repeats", description = "drain: pairs of runs, interleaved (default ${DEFAULT-VALUE}).")
    int repeats = 1;

    @Option(names = "--global-series", split = ",", description = "global: series counts, one run each; every run "
            + "streams as many records as the largest (default ${DEFAULT-VALUE}).")
    List<Integer> globalSeries = List.of(8, 10_000);

    @Option(names = "--idle-timeout-seconds", description = "A run fails after this long without output "
            + "(default ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds = 300;

    @Option(names = "--set", description = "Extra key=value for every service config (e.g. batch.timesteps=8); "
            + "repeatable.")
    Map<String, String> extra = new HashMap<>();

    @Option(names = "--dir", description = "Where state, configs and logs go (default: a new temporary folder).")
    Path dir;

    @Option(names = "--keep-data", description = "Keep the broker's logs and the services' state at the end "
            + "(configs and service logs are always kept).")
    boolean keepData;

    private final List<String> report = new ArrayList<>();
    private EmbeddedBroker broker;
    private Path work;
    private int runs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KeysBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        for (String p : phases) {
            if (!List.of("curve", "first-sight", "drain", "global").contains(p)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown phase '" + p + "'");
            }
        }
        work = dir == null ? Files.createTempDirectory("streamfit-keys-bench-")
                : Files.createTempDirectory(Files.createDirectories(dir), "streamfit-keys-bench-");
        long started = System.nanoTime();
        boolean failed = false;
        if (phases.contains("first-sight")) {
            firstSight();
        }
        if (phases.stream().anyMatch(p -> !p.equals("first-sight"))) {
            try (EmbeddedBroker b = EmbeddedBroker.start(0, work.resolve("broker"), Map.of())) {
                broker = b;
                for (String phase : List.of("curve", "drain", "global")) {
                    if (!phases.contains(phase)) {
                        continue;
                    }
                    try {
                        switch (phase) {
                            case "curve" -> curve();
                            case "drain" -> drain();
                            default -> global();
                        }
                    } catch (Exception | AssertionError e) {
                        failed = true;
                        add("### " + phase + ": FAILED\n" + e.getMessage() + "\n");
                        e.printStackTrace();
                    }
                }
            } finally {
                if (!keepData) {
                    deleteRecursively(work.resolve("broker"));
                    deleteRecursively(work.resolve("state"));
                }
            }
        }
        System.out.println();
        System.out.println("## streamfit keys benchmark");
        System.out.println(machine());
        System.out.printf(Locale.ROOT, "command: benchmarks/run.sh keys %s%n", String.join(" ", commandLine()));
        System.out.printf(Locale.ROOT, "settings: model.scope=series (global in its phase), k=%d objects, m=%d "
                + "features, model.hidden=%s, every object with a target, models.cache.max.bytes=%,d (%.0f MiB), "
                + "child -Xmx%s %s (MALLOC_ARENA_MAX=%s), %d partitions, exactly_once_v2, batch.timesteps=%s, extra %s; "
                + "work dir %s%n",
                objects, features, hidden, cacheBytes, cacheBytes / 1048576.0, xmx, String.join(" ", jvmOptions),
                System.getenv().getOrDefault("MALLOC_ARENA_MAX", "2"), partitions,
                extra.getOrDefault("batch.timesteps", "1 (default)"), extra, work);
        System.out.printf(Locale.ROOT, "total %.1f min%n%n", (System.nanoTime() - started) / 60e9);
        report.forEach(System.out::println);
        return failed ? 1 : 0;
    }

    private void add(String section) {
        report.add(section);
        System.err.println(section);
    }

    // ---- first sight ------------------------------------------------------------------------------------------

    private void firstSight() {
        Map<String, String> cfg = modelConfig();
        cfg.put("bootstrap.servers", "unused:9092");
        cfg.put("application.id", "first-sight");
        System.err.println("first-sight: " + iterations + " iterations ...");
        FirstSight.Result r = new FirstSight(cfg, objects).run(iterations, ownGraphs);
        add("### First sight of a new key (in-process, one task's ModelPool, no Kafka)\n"
                + "Each timed record = OnlineModel.step(train) + exportState into an Avro ModelCheckpoint (what a "
                + "record costs the model layer at batch.timesteps=1). 'new key' adds ModelPool.newModel(), the "
                + "slot's PrequentialStats and kind extras, and one load of the initial state into the graph; "
                + "'known key' one load of its state bytes; 'evicted key' also decodes its Avro checkpoint and "
                + "restores it (RocksDB read not included).\n" + FirstSight.report(r, iterations));
    }

    // ---- curve ------------------------------------------------------------------------------------------------

    private record Point(int keys, long rssKb, double heapCommitted, double heapUsed, double heapLive,
                         double cacheBytes, double cacheModels, double evictions, double published, double rate,
                         double seconds) {
    }

    private void curve() throws Exception {
        List<Integer> marks = keys.stream().sorted().distinct().toList();
        int n = marks.get(marks.size() - 1);
        String id = nextId("curve");
        String input = id + "-features";
        createTopic(input, partitions, false);
        long t0 = System.nanoTime();
        produce(input, new TimestepRecords(objects, features, curveSeries > 0 ? curveSeries : n, 7), n);
        System.err.printf(Locale.ROOT, "curve: preloaded %,d keys x 1 record in %.1f s%n", n,
                (System.nanoTime() - t0) / 1e9);
        Map<String, String> cfg = serviceConfig(id, input, "series");
        createTopic(cfg.get("topic.sum.predictions"), partitions, true);
        List<Point> points = new ArrayList<>();
        PromText end;
        long hwm;
        try (OutputCollector out = new OutputCollector(broker.bootstrapServers(), cfg.get("topic.sum.predictions"), n,
                Duration.ofSeconds(idleTimeoutSeconds));
             ServiceChild child = ServiceChild.start(cfg, jvm(), work, id)) {
            child.awaitServing(Duration.ofMinutes(3));
            long start = System.nanoTime();
            for (int mark : marks) {
                awaitOutputs(out, child, mark);
                long rss = child.statusKb("VmRSS");
                PromText m = child.metrics();
                double live = Double.NaN;
                if (liveHeap && child.fullGc()) {
                    live = child.metrics().sum("jvm_memory_used_bytes", "area=\"heap\"");
                }
                points.add(new Point(mark, rss, m.sum("jvm_memory_committed_bytes", "area=\"heap\""),
                        m.sum("jvm_memory_used_bytes", "area=\"heap\""), live,
                        m.sum("streamfit_model_cache_bytes"), m.sum("streamfit_model_cache_models"),
                        m.sumOrZero("streamfit_model_cache_evictions_total"), m.sum("streamfit_models"), Double.NaN,
                        (System.nanoTime() - start) / 1e9));
                System.err.printf(Locale.ROOT, "curve: %,d keys after %.0f s: RSS %.0f MiB%n", mark,
                        (System.nanoTime() - start) / 1e9, rss / 1024.0);
            }
            out.await();
            end = child.metrics();
            hwm = child.statusKb("VmHWM");
            long[] ts = out.timestamps();
            Arrays.sort(ts);
            for (int i = 0; i < points.size(); i++) {
                Point p = points.get(i);
                int from = i == 0 ? 0 : points.get(i - 1).keys;
                double span = (ts[p.keys - 1] - ts[from == 0 ? 0 : from - 1]) / 1000.0;
                points.set(i, new Point(p.keys, p.rssKb, p.heapCommitted, p.heapUsed, p.heapLive, p.cacheBytes,
                        p.cacheModels,
                        p.evictions, p.published, (p.keys - from) / Math.max(span, 0.001), p.seconds));
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(curveSeries > 0
                ? String.format(Locale.ROOT, "### RSS and heap against records, control: %d series keys cycling "
                        + "(model.scope=series, preloaded, %d partitions; the first column counts records)%n",
                        curveSeries, partitions)
                : String.format(Locale.ROOT, "### RSS and heap against distinct keys (model.scope=series, one record "
                        + "per key, preloaded, %d partitions)%n", partitions));
        sb.append("| keys | RSS MiB | heap committed MiB | RSS outside the heap MiB | heap used MiB "
                + "| heap live after full GC MiB | cache MiB | models in memory "
                + "| evictions | models published (streamfit_models) | drain records/s (segment) | s since start |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            sb.append(String.format(Locale.ROOT,
                    "| %,d | %.0f | %.0f | %.0f | %.0f | %s | %.1f | %,.0f | %,.0f | %,.0f | %,.0f | %.0f |%n",
                    p.keys, p.rssKb / 1024.0, p.heapCommitted / 1048576.0,
                    p.rssKb / 1024.0 - p.heapCommitted / 1048576.0, p.heapUsed / 1048576.0,
                    Double.isNaN(p.heapLive) ? "-" : String.format(Locale.ROOT, "%.0f", p.heapLive / 1048576.0),
                    p.cacheBytes / 1048576.0, p.cacheModels, p.evictions, p.published, p.rate, p.seconds));
        }
        sb.append(String.format(Locale.ROOT, "peak RSS (VmHWM) %.0f MiB; dead letters %.0f; %s; restores %.0f; "
                        + "update (step) mean %.3f ms, p99 <= %.1f ms; checkpoint mean %.3f ms%n", hwm / 1024.0,
                end.sumOrZero("streamfit_records_total", "outcome=\"dead_letter\""), loadsLine(end),
                end.sumOrZero("streamfit_restore_seconds_count"), 1e3 * end.timerMeanSeconds("streamfit_update_seconds",
                        null), 1e3 * end.histogramQuantile("streamfit_update_seconds", 0.99, null),
                1e3 * end.timerMeanSeconds("streamfit_checkpoint_seconds", null)));
        add(sb.toString());
    }

    private static String loadsLine(PromText m) {
        return String.format(Locale.ROOT, "cache loads %,.0f, evictions %,.0f",
                m.sumOrZero("streamfit_model_cache_loads_total"), m.sumOrZero("streamfit_model_cache_evictions_total"));
    }

    // ---- drain ------------------------------------------------------------------------------------------------

    private record Drain(String name, double rate, double seconds, PromText end, long hwmKb, long changelogRecords) {
    }

    private void drain() throws Exception {
        String many = nextId("input-many");
        String hot = nextId("input-few");
        createTopic(many + "-features", partitions, false);
        createTopic(hot + "-features", partitions, false);
        long t0 = System.nanoTime();
        produce(many + "-features", new TimestepRecords(objects, features, drainKeys, 7), drainRecords);
        produce(hot + "-features", new TimestepRecords(objects, features, hotKeys, 7), drainRecords);
        System.err.printf(Locale.ROOT, "drain: preloaded 2 x %,d records in %.1f s%n", drainRecords,
                (System.nanoTime() - t0) / 1e9);
        List<Drain[]> pairs = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            // Interleaved, and the order alternates: neither side always runs on a cooler or warmer machine.
            Drain a;
            Drain b;
            if (r % 2 == 0) {
                a = drainRun(many, "many", drainKeys, r);
                b = drainRun(hot, "few", hotKeys, r);
            } else {
                b = drainRun(hot, "few", hotKeys, r);
                a = drainRun(many, "many", drainKeys, r);
            }
            pairs.add(new Drain[] {a, b});
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### Drain rate, %,d records: %,d keys cycling (%s timesteps each) vs "
                + "%d keys (%,d each), exactly-once%n", drainRecords, drainKeys,
                fmtPer(drainRecords, drainKeys), hotKeys, drainRecords / hotKeys));
        sb.append("| run | keys | drain records/s | first to last output s | update mean ms | update p99 <= ms | "
                + "restores | restore mean ms | cache loads | evictions | model-store changelog offsets | "
                + "peak RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < pairs.size(); r++) {
            for (Drain d : pairs.get(r)) {
                PromText e = d.end;
                sb.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.1f | %.3f | %.1f | %,.0f | %.3f | %,.0f | "
                                + "%,.0f | %,d | %.0f |%n", r + 1, d.name, d.rate, d.seconds,
                        1e3 * e.timerMeanSeconds("streamfit_update_seconds", null),
                        1e3 * e.histogramQuantile("streamfit_update_seconds", 0.99, null),
                        e.sumOrZero("streamfit_restore_seconds_count"),
                        1e3 * e.timerMeanSeconds("streamfit_restore_seconds", null),
                        e.sumOrZero("streamfit_model_cache_loads_total"),
                        e.sumOrZero("streamfit_model_cache_evictions_total"), d.changelogRecords, d.hwmKb / 1024.0));
            }
            ratios.add(pairs.get(r)[0].rate / pairs.get(r)[1].rate);
        }
        sb.append(String.format(Locale.ROOT, "ratio many/few keys: %s (target >= 0.5)%n", ratios.stream()
                .map(x -> String.format(Locale.ROOT, "%.2f", x)).collect(Collectors.joining(", "))));
        add(sb.toString());
    }

    private static String fmtPer(int records, int keys) {
        return records % keys == 0 ? String.valueOf(records / keys)
                : String.format(Locale.ROOT, "%.2f", (double) records / keys);
    }

    private Drain drainRun(String inputId, String name, int nKeys, int repeat) throws Exception {
        String id = nextId("drain-" + name + "-r" + (repeat + 1));
        Map<String, String> cfg = serviceConfig(id, inputId + "-features", "series");
        createTopic(cfg.get("topic.sum.predictions"), partitions, true);
        System.err.printf(Locale.ROOT, "drain: %s, %,d keys ...%n", id, nKeys);
        try (OutputCollector out = new OutputCollector(broker.bootstrapServers(), cfg.get("topic.sum.predictions"),
                drainRecords, Duration.ofSeconds(idleTimeoutSeconds));
             ServiceChild child = ServiceChild.start(cfg, jvm(), work, id)) {
            child.awaitServing(Duration.ofMinutes(3));
            awaitOutputs(out, child, drainRecords);
            PromText end = child.metrics();
            long[] ts = out.timestamps();
            double rate = Stats.middleRate(ts);
            double seconds = (Arrays.stream(ts).max().orElse(0) - Arrays.stream(ts).min().orElse(0)) / 1000.0;
            double dead = end.sumOrZero("streamfit_records_total", "outcome=\"dead_letter\"");
            if (dead > 0) {
                throw new IllegalStateException(id + ": " + dead + " dead letters; log " + child.log());
            }
            System.err.printf(Locale.ROOT, "drain: %s: %,.0f records/s%n", id, rate);
            long hwm = child.statusKb("VmHWM");
            child.close();
            return new Drain(String.format(Locale.ROOT, "%,d keys", nKeys), rate, seconds, end, hwm,
                    endOffsets(id + "-model-store-changelog"));
        }
    }

    // ---- global -----------------------------------------------------------------------------------------------

    private void global() throws Exception {
        int records = globalSeries.stream().mapToInt(Integer::intValue).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "### model.scope=global: checkpoint size after %,d records over S series%n",
                records));
        sb.append("| series | streamfit_checkpoint_bytes | model-store record bytes (last changelog value) | "
                + "last timesteps in it | drain records/s | first to last output s |\n|---|---|---|---|---|---|\n");
        for (int series : globalSeries) {
            String id = nextId("global-" + series);
            String input = id + "-features";
            createTopic(input, partitions, false);
            produce(input, new TimestepRecords(objects, features, series, 7), records);
            Map<String, String> cfg = serviceConfig(id, input, "global");
            createTopic(cfg.get("topic.sum.predictions"), partitions, true);
            System.err.printf(Locale.ROOT, "global: %s, %,d series ...%n", id, series);
            double gauge;
            double rate;
            double seconds;
            try (OutputCollector out = new OutputCollector(broker.bootstrapServers(), cfg.get("topic.sum.predictions"),
                    records, Duration.ofSeconds(idleTimeoutSeconds));
                 ServiceChild child = ServiceChild.start(cfg, jvm(), work, id)) {
                child.awaitServing(Duration.ofMinutes(3));
                awaitOutputs(out, child, records);
                gauge = child.metrics().sum("streamfit_checkpoint_bytes");
                long[] ts = out.timestamps();
                rate = Stats.middleRate(ts);
                seconds = (Arrays.stream(ts).max().orElse(0) - Arrays.stream(ts).min().orElse(0)) / 1000.0;
            }
            byte[] last = lastValue(id + "-model-store-changelog", "global");
            int lastTimesteps = last == null ? -1 : io.streamfit.schemas.StreamfitSerdes.modelCheckpoint()
                    .deserializer().deserialize("", last).getLastTimesteps().size();
            sb.append(String.format(Locale.ROOT, "| %,d | %,.0f | %s | %,d | %,.0f | %.1f |%n", series, gauge,
                    last == null ? "none" : String.format(Locale.ROOT, "%,d", last.length), lastTimesteps, rate,
                    seconds));
        }
        add(sb.toString());
    }

    /** The sum of the end offsets of {@code topic}'s partitions (records and transaction markers written). */
    private long endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            var description = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()),
                    org.apache.kafka.clients.admin.OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get(60, TimeUnit.SECONDS).values().stream()
                    .mapToLong(org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
        }
    }

    /** The last non-null value of {@code key} on {@code topic} (one partition), read committed; null when none. */
    private byte[] lastValue(String topic, String key) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "isolation.level",
                "read_committed", "enable.auto.commit", "false", "max.partition.fetch.bytes", 64 * 1024 * 1024,
                "fetch.max.bytes", 64 * 1024 * 1024);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            // The last few records are enough: every commit writes the one key again.
            for (TopicPartition tp : tps) {
                c.seek(tp, Math.max(0, end.get(tp) - 20));
            }
            byte[] last = null;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (key.equals(new String(r.key(), StandardCharsets.UTF_8)) && r.value() != null) {
                        last = r.value();
                    }
                }
            }
            return last;
        }
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    /** Waits until {@code n} committed outputs arrived, failing when the child dies. */
    private static void awaitOutputs(OutputCollector out, ServiceChild child, int n) throws InterruptedException {
        while (out.count() < n) {
            child.ensureAlive();
            try {
                out.awaitCountFor(n, 500);
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; service log " + child.log() + ":\n"
                        + child.logTail(), e);
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String nextId(String what) {
        return "keys-" + (++runs) + "-" + what;
    }

    private List<String> jvm() {
        List<String> flags = new ArrayList<>(List.of("-Xmx" + xmx, "-XX:+ExitOnOutOfMemoryError"));
        flags.addAll(jvmOptions);
        return flags;
    }

    private Map<String, String> modelConfig() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("model.features", String.valueOf(features));
        p.put("model.hidden", hidden);
        p.put("models.cache.max.bytes", String.valueOf(cacheBytes));
        p.putAll(extra);
        return p;
    }

    private Map<String, String> serviceConfig(String id, String input, String scope) throws IOException {
        Map<String, String> p = modelConfig();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("application.id", id);
        p.put("state.dir", Files.createDirectories(work.resolve("state").resolve(id)).toString());
        p.put("model.scope", scope);
        p.put("topic.features", input);
        p.put("topic.object.predictions", id + "-object-predictions");
        p.put("topic.sum.predictions", id + "-sum-predictions");
        p.put("topic.anomaly.scores", id + "-anomaly-scores");
        p.put("topic.dead.letters", id + "-dead-letters");
        p.put("topics.partitions", String.valueOf(partitions));
        p.put("max.objects", String.valueOf(Math.max(objects, 64)));
        p.putAll(extra);
        return p;
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

    private void produce(String topic, TimestepRecords source, int n) {
        EndToEndOptions o = new EndToEndOptions();
        EndToEndCluster cluster = new EndToEndCluster(broker.bootstrapServers(), o, work);
        try (KafkaProducer<String, byte[]> producer = cluster.producer(false)) {
            EndToEndCluster.produce(producer, topic, source, n, 0);
        }
    }

    private String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException e) {
            // not Linux
        }
        long memKb = -1;
        try {
            memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(-1L);
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return String.format(Locale.ROOT, "machine: %s, %d cores, %.0f GiB RAM, Java %s (%s)", cpu,
                Runtime.getRuntime().availableProcessors(), memKb / 1048576.0, System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    }

    private List<String> commandLine() {
        String args = System.getProperty("sun.java.command", "");
        List<String> parts = new ArrayList<>(Arrays.asList(args.split(" ")));
        return parts.isEmpty() ? List.of() : parts.subList(1, parts.size());
    }
}
