package io.streamfit.app.it;

import static io.streamfit.app.it.ChildApp.freePort;
import static io.streamfit.app.it.ChildApp.logTail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 through a real broker: tens of thousands of series keys ({@link #KEYS}), one record each, in
 * {@code model.scope=series} (one model per key) with a models budget of
 * {@value #CACHE_BYTES} bytes, far below what the keys' models take, so that models leave memory
 * for the model store and come back from it all the time; {@code streamfit run} in a child JVM
 * with a 256 MB heap that exits on an out-of-memory error.
 *
 * <p>It must stay healthy (alive, {@code /health} UP with Streams RUNNING) and: predict every
 * record exactly once (one committed sum prediction per input record, every key present, no dead
 * letter); keep the models in memory to their budget ({@code streamfit_model_cache_bytes}) while
 * evicting ({@code streamfit_model_cache_evictions_total} &gt; 0); list every key with state on
 * {@code GET /models}, walked page by page ({@code limit=1000&after=...}); and keep its live
 * heap small. Then later records of {@value #LATE} other keys move record time past
 * {@code model.idle.ttl}: every one of the first keys expires and leaves {@code /models}, and only
 * the late keys are listed.
 */
@Slow
class ManyKeysIT {

    private static final String APP = "many-keys";
    private static final String FEATURES = APP + "-features";
    private static final String SUMS = APP + "-sum-predictions";
    /**
     * As many keys as a 2-core machine takes through in about a minute (one model call and checkpoint
     * each): the whole test took 43 s with 50,000 keys, 85 s with 100,000. {@code -Dmanykeys.keys=N}
     * runs another number.
     */
    private static final int KEYS = Integer.getInteger("manykeys.keys", 75_000);
    /** Keys whose records come after the TTL, so that every first key is idle by record time. */
    private static final int LATE = 40;
    private static final int PARTITIONS = 2;
    private static final int M = 4;
    /** 4 MiB: a few hundred models (each ~12 KB: state, outlier windows, statistics) of the keys. */
    private static final long CACHE_BYTES = 4L * 1024 * 1024;
    /** What the budget may be exceeded by: every task keeps the model it runs, whatever the budget. */
    private static final long CACHE_SLACK = 64L * 1024;
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final List<String> CHILD_JVM = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
    /** Live heap after a full GC that the child must stay under: half its -Xmx. */
    private static final long LIVE_HEAP_LIMIT = 128L * 1024 * 1024;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    /** Whether the child has answered UP: from then on it must stay so. */
    private volatile boolean up;

    private static String key(int i) {
        return String.format("key-%06d", i);
    }

    private static String lateKey(int i) {
        return String.format("late-%03d", i);
    }

    private static byte[] record(String series, long timestep, int i) {
        List<Timestep.ObjectInput> objs = new ArrayList<>(2);
        for (int o = 0; o < 2; o++) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = ((i * 31 + o * 7 + j * 3) % 17) / 17f - 0.5f;
            }
            objs.add(new Timestep.ObjectInput("o" + o, new FeatureVector.Dense(x), 0.25 * x[0] - x[1], null));
        }
        return StreamfitSerdes.timestep().serializer().serialize(FEATURES, new Timestep(series, timestep, objs, null));
    }

    private static Map<String, String> config() {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(APP).stateDir(dir.resolve("state"))
                .topicPrefix(APP + "-").partitions(PARTITIONS)
                .with("model.scope", "series").with("model.hidden", "8")
                .with("models.cache.max.bytes", CACHE_BYTES)
                .with("model.idle.ttl", TTL.toString())
                // A pass of the expiry scan over a task's keys in a few seconds.
                .with("model.idle.scan.keys", 5_000)
                .toMap();
    }

    @Test
    void tensOfThousandsOfKeysArePredictedListedEvictedAndExpiredInABoundedHeap() throws Exception {
        long t0 = System.nanoTime();
        // Record time starts now: records days old would fall to the broker's retention (7 days) at its
        // first check, outputs included, since the outputs keep their input's timestamp.
        long start = System.currentTimeMillis();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(FEATURES, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Path log = dir.resolve("child.log");
        ChildApp child = ChildApp.start(config(), dir, log, freePort(), CHILD_JVM);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "linger.ms", 20, "max.in.flight.requests.per.connection", 1),
                new StringSerializer(), new ByteArraySerializer())) {
            // Record time spans KEYS ms, far within the TTL: nothing is idle yet.
            for (int i = 0; i < KEYS; i++) {
                producer.send(new ProducerRecord<>(FEATURES, null, start + i, key(i), record(key(i), 1, i)));
            }
            producer.flush();
            phase(t0, "sent " + KEYS + " records of " + KEYS + " keys");

            awaitChild(child, log, Duration.ofMinutes(2), "to serve /health UP", () -> healthy(child));
            awaitChild(child, log, Duration.ofMinutes(5), "to process " + KEYS + " records",
                    () -> metric(child, "streamfit_records_total") >= KEYS);
            phase(t0, "processed " + KEYS + " records");

            Map<String, Double> m = metrics(child);
            assertThat(m.getOrDefault("streamfit_records_total{outcome=\"dead_letter\"}", 0.0))
                    .as("dead letters; child log:%n%s", logTail(log)).isZero();
            assertThat(sum(m, "streamfit_model_cache_evictions_total"))
                    .as("models that left memory for the %d-byte budget", CACHE_BYTES).isPositive();
            assertThat(sum(m, "streamfit_model_cache_bytes"))
                    .as("bytes of the models in memory, budget %d", CACHE_BYTES)
                    .isLessThanOrEqualTo((double) CACHE_BYTES + CACHE_SLACK);
            assertThat(sum(m, "streamfit_model_cache_models")).as("models in memory").isPositive()
                    .isLessThan((double) KEYS / 10);
            phase(t0, String.format("cache: %.0f models, %.2f MiB, %.0f evictions, %.0f loads",
                    sum(m, "streamfit_model_cache_models"), sum(m, "streamfit_model_cache_bytes") / 1048576.0,
                    sum(m, "streamfit_model_cache_evictions_total"), sum(m, "streamfit_model_cache_loads_total")));

            // Every record predicted exactly once: one committed sum prediction per input record.
            Map<String, Integer> predicted = new HashMap<>();
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                predicted.clear();
                for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), SUMS)) {
                    predicted.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
                assertThat(predicted.size()).as("keys with a committed sum prediction; none for %s",
                        missing(predicted)).isEqualTo(KEYS);
            });
            List<String> notOnce = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                if (predicted.getOrDefault(key(i), 0) != 1) {
                    notOnce.add(key(i) + "=" + predicted.getOrDefault(key(i), 0));
                }
            }
            assertThat(notOnce).as("keys not predicted exactly once (key=count)").isEmpty();
            phase(t0, "every key predicted once");

            // Every key with state is on /models (the evicted ones too: the model store holds them).
            TreeSet<String> all = new TreeSet<>();
            for (int i = 0; i < KEYS; i++) {
                all.add(key(i));
            }
            TreeSet<String> listed = listed(child);
            assertMissing("keys with state missing from /models", all, listed);
            assertThat(listed).as("/models").isEqualTo(all);
            phase(t0, "/models lists all " + listed.size() + " keys");

            long live = liveHeap(child);
            if (live >= 0) {
                phase(t0, String.format("live heap after a full GC: %.1f MiB", live / 1048576.0));
                assertThat(live).as("the child's live heap after a full GC with %d keys", KEYS)
                        .isLessThan(LIVE_HEAP_LIMIT);
            }

            // Later records of other keys move every task's record time past the TTL of the first keys.
            TreeSet<String> late = new TreeSet<>();
            long after = start + KEYS + TTL.toMillis() + 1_000;
            for (int i = 0; i < LATE; i++) {
                late.add(lateKey(i));
                producer.send(new ProducerRecord<>(FEATURES, null, after + i, lateKey(i), record(lateKey(i), 1, i)));
            }
            producer.flush();
            awaitChild(child, log, Duration.ofMinutes(3), "to expire the " + KEYS + " idle keys",
                    () -> metric(child, "streamfit_models_expired_total") >= KEYS
                            && metric(child, "streamfit_records_total") >= KEYS + LATE);
            assertThat(metric(child, "streamfit_models_expired_total")).as("expired keys: the idle ones, no late one")
                    .isEqualTo(KEYS);
            TreeSet<String> left = listed(child);
            Set<String> stillListed = new TreeSet<>(left);
            stillListed.removeAll(late);
            assertThat(stillListed).as("expired keys still on /models (%d of them)", stillListed.size()).isEmpty();
            assertThat(left).as("/models after the expiry").isEqualTo(late);
            phase(t0, "the idle keys expired; /models lists the " + left.size() + " late keys");

            assertThat(healthy(child)).as("/health UP and RUNNING at the end; log:%n%s", logTail(log)).isTrue();
            assertThat(child.terminate()).as("exit code after SIGTERM").isIn(0, 143);
        } finally {
            child.close();
            keep(log);
        }
        assertThat(Files.readString(log)).as("child log").doesNotContain("OutOfMemoryError");
        phase(t0, "done");
    }

    /** Every model key that {@code GET /models} lists, page by page through {@code next}. */
    private static TreeSet<String> listed(ChildApp child) throws Exception {
        TreeSet<String> keys = new TreeSet<>();
        String after = null;
        int pages = 0;
        do {
            String path = "/models?limit=1000" + (after == null ? "" : "&after=" + URLEncoder.encode(after,
                    StandardCharsets.UTF_8));
            ChildApp.Reply r = child.get(path, Duration.ofSeconds(30));
            assertThat(r.status()).as("GET %s: %s", path, r.body()).isEqualTo(200);
            JsonNode page = r.json();
            int before = keys.size();
            page.path("models").fieldNames().forEachRemaining(keys::add);
            assertThat(keys.size() - before).as("new keys on page %d (after %s)", pages, after)
                    .isEqualTo(page.path("models").size());
            after = page.path("next").isTextual() ? page.path("next").asText() : null;
            assertThat(++pages).as("pages walked").isLessThanOrEqualTo(KEYS / 1000 + 2);
        } while (after != null);
        return keys;
    }

    /** Up to 10 first keys without an entry in {@code predicted}, and how many there are. */
    private static String missing(Map<String, Integer> predicted) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            if (!predicted.containsKey(key(i))) {
                missing.add(key(i));
            }
        }
        return missing.size() + " keys, e.g. " + missing.subList(0, Math.min(10, missing.size()));
    }

    private static void assertMissing(String what, Set<String> expected, Set<String> actual) {
        List<String> missing = new ArrayList<>();
        for (String k : expected) {
            if (!actual.contains(k)) {
                missing.add(k);
            }
        }
        assertThat(missing).as("%s: %d, e.g. %s", what, missing.size(),
                missing.subList(0, Math.min(10, missing.size()))).isEmpty();
    }

    /**
     * Waits for {@code condition}, checking at every poll that the child lives and, once it has
     * been UP, that {@code /health} still answers UP with Streams RUNNING; fails at once with the
     * child's log otherwise.
     */
    private void awaitChild(ChildApp child, Path log, Duration atMost, String what, BooleanSupplier condition) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(500)).until(() -> {
                if (!child.alive()) {
                    throw new AssertionError("the child died waiting " + what + "; its log:\n" + logTail(log));
                }
                String health = health(child);
                if (health.startsWith("200 UP/RUNNING")) {
                    up = true;
                } else if (up) {
                    throw new AssertionError("the child turned unhealthy waiting " + what + ": /health " + health
                            + "; its log:\n" + logTail(log));
                }
                return condition.getAsBoolean();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the child did not manage " + what + " within " + atMost + " (records "
                    + metric(child, "streamfit_records_total") + ", expired "
                    + metric(child, "streamfit_models_expired_total") + ", /health " + health(child)
                    + "); its log:\n" + logTail(log), e);
        }
    }

    /** {@code /health} as "status UP/RUNNING body", or why it did not answer. */
    private static String health(ChildApp child) {
        try {
            ChildApp.Reply r = child.get("/health", Duration.ofSeconds(10));
            JsonNode body = r.json();
            return r.status() + " " + body.path("status").asText() + "/" + body.path("streams").asText() + " " + body;
        } catch (IOException e) {
            return "no answer: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static boolean healthy(ChildApp child) {
        return health(child).startsWith("200 UP/RUNNING");
    }

    /** The child's {@code /metrics}, sample name with its labels to value. */
    private static Map<String, Double> metrics(ChildApp child) throws IOException, InterruptedException {
        Map<String, Double> out = new HashMap<>();
        for (String line : child.get("/metrics", Duration.ofSeconds(30)).body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                // +Inf and the like: not needed here
            }
        }
        return out;
    }

    /** The sum of the samples called {@code name}, whatever their labels. */
    private static double sum(Map<String, Double> metrics, String name) {
        double total = 0;
        for (Map.Entry<String, Double> e : metrics.entrySet()) {
            String k = e.getKey();
            if (k.equals(name) || k.startsWith(name + "{")) {
                total += e.getValue();
            }
        }
        return total;
    }

    /** {@link #sum} of a fresh scrape; -1 when the child does not answer. */
    private static double metric(ChildApp child, String name) {
        try {
            return sum(metrics(child), name);
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The child's heap in use just after a full GC ({@code jcmd PID GC.run}), bytes; -1 without jcmd. */
    private static long liveHeap(ChildApp child) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return -1;
        }
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(child.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            return -1;
        }
        Map<String, Double> m = metrics(child);
        double heap = 0;
        for (Map.Entry<String, Double> e : m.entrySet()) {
            if (e.getKey().startsWith("jvm_memory_used_bytes{") && e.getKey().contains("area=\"heap\"")) {
                heap += e.getValue();
            }
        }
        return (long) heap;
    }

    private static void phase(long t0, String what) {
        System.out.printf("[ManyKeysIT +%.1fs] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /** The child's log outlives the temporary directory in the build's output, for a look after a failure. */
    private static void keep(Path log) throws IOException {
        Path target = Path.of("target");
        if (Files.isDirectory(target) && Files.exists(log)) {
            Files.copy(log, target.resolve("ManyKeysIT-child.log"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
