package io.streamfit.app.it;

import static io.streamfit.app.it.ChildApp.freePort;
import static io.streamfit.app.it.ChildApp.logTail;
import static io.streamfit.app.it.Topics.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.streamfit.app.errors.DeadLetters;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ScaleWindow;
import io.streamfit.schemas.avro.TimestepRecord;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service survives hostile input: {@code streamfit run} in a child JVM with a 256 MB heap, against
 * a real broker, gets a clean stream of two twin series with identical data, and the poisoned one
 * of them also gets, over and over, each hostile record: the 16-byte Avro value that declares a 2 GB
 * string, an object id over {@code max.id.bytes}, a record whose object prediction is larger than
 * its topic takes, a target of 1e9, a {@code sumTarget} of 1e30 and sparse features that name an
 * index twice; other series get a fuzz corpus ({@link Mutations}) of the clean records.
 *
 * <p>Throughout, {@code /health} must answer UP with the Streams client RUNNING and the child must
 * live. Afterwards (read committed): every clean timestep is predicted exactly once; each invalid
 * record is a dead letter with its reason and its original bytes, and each fuzzed record is either
 * predicted or a dead letter with its bytes; the outlier targets are predicted but not trained on;
 * no output holds a non-finite number; and the poisoned series' error over its last 10% of
 * timesteps is within 1.2x of its twin's.
 */
@Slow
class HostileInputIT {

    private static final String APP = "hostile";
    private static final String FEATURES = APP + "-features";
    private static final String OBJECTS = APP + "-object-predictions";
    private static final String SUMS = APP + "-sum-predictions";
    private static final String DEAD = APP + "-dead-letters";
    private static final List<String> CHILD_JVM = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");

    private static final int M = 8;
    private static final double SIGMA = 0.2;
    /** Clean timesteps of each twin; the clean timestep i is written as timestep 10 i, the poison between. */
    private static final int CLEAN = 1500;
    /** A round of every hostile record after this many clean timesteps, once the outlier rule warmed up. */
    private static final int ROUND_EVERY = 50;
    private static final int FUZZ_PER_CLEAN = 1;
    private static final int FUZZ_SERIES = 4;
    private static final int MAX_OBJECTS = 64;
    private static final int MAX_RECORD_BYTES = 64 * 1024;
    /**
     * The object predictions topic's {@code max.message.bytes}: above the producer's batch.size (16 KiB), so
     * that batches of ordinary outputs fit it and only the one output made too large does not.
     */
    private static final int OBJECTS_TOPIC_LIMIT = 32 * 1024;
    /** An object id that passes the screen and makes an object prediction too large for its topic. */
    private static final String LONG_ID = "x".repeat(OBJECTS_TOPIC_LIMIT + 4096);
    /** Raised from 256 so that {@link #LONG_ID} passes the screen and its output is what does not fit. */
    private static final int MAX_ID_BYTES = LONG_ID.length() + 4096;

    private static final String POISONED = "poisoned";
    private static final String TWIN = "twin";
    private static final String HOSTILE = "hostile";
    private static final String FUZZ = "fuzz";

    private static final ObjectMapper LENIENT = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    /** A hostile record as sent: {@code reason} is its dead letter's, or null for a valid one. */
    private record Sent(String tag, byte[] key, byte[] value, String reason, long timestep,
                        Future<RecordMetadata> ack) {
    }

    private static Map<String, String> config() {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(APP).stateDir(dir.resolve("state"))
                .topicPrefix(APP + "-").partitions(2)
                .with("model.scope", "series").with("model.hidden", 16).with("optimizer.learning.rate", 0.003)
                .with("max.objects", MAX_OBJECTS).with("max.record.bytes", MAX_RECORD_BYTES)
                .with("max.id.bytes", MAX_ID_BYTES)
                // A short stall watch: a partition that stopped moving for 10 s while it had records
                // would turn /health to STALLED and fail the health watch; hostile records must not.
                .with("health.stall.timeout.ms", 10_000)
                .toMap();
    }

    @Test
    void hostileRecordsAmongACleanStreamNeitherStopTheAppNorHurtTheModelOfTheirSeries() throws Exception {
        long t0 = System.nanoTime();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(FEATURES, 2, (short) 1),
                    // A topic someone else made with a limit below what a long object id makes.
                    new NewTopic(OBJECTS, 2, (short) 1).configs(Map.of("max.message.bytes",
                            String.valueOf(OBJECTS_TOPIC_LIMIT))))).all().get(60, TimeUnit.SECONDS);
        }
        Path log = dir.resolve("child.log");
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        List<Timestep> clean = new ArrayList<>();
        List<Sent> hostile = new ArrayList<>();
        Map<String, Sent> fuzz = new HashMap<>();
        List<Future<RecordMetadata>> cleanAcks = new ArrayList<>();
        String metrics;
        ChildApp child = ChildApp.start(config(), dir, log, freePort(), CHILD_JVM);
        try (HealthWatch health = new HealthWatch(child)) {
            health.awaitUp(Duration.ofMinutes(2), log);
            phase(t0, "child up; fuzz seed " + seed);
            SyntheticStream synthetic = new SyntheticStream(1, M, SIGMA, 7, 1);
            var json = StreamfitSerdes.timestep().serializer();
            var avro = StreamfitSerdes.timestepAvro().serializer();
            List<byte[]> corpus = new ArrayList<>();
            int rounds = 0;
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (int i = 1; i <= CLEAN; i++) {
                    Timestep drawn = synthetic.next();
                    double sum = drawn.objects().stream().mapToDouble(Timestep.ObjectInput::target).sum();
                    long t = 10L * i;
                    for (String series : List.of(POISONED, TWIN)) {
                        Timestep ts = new Timestep(series, t, drawn.objects(), new double[] {sum});
                        byte[] value = i % 4 == 0 ? avro.serialize(FEATURES, ts) : json.serialize(FEATURES, ts);
                        corpus.add(value);
                        cleanAcks.add(producer.send(new ProducerRecord<>(FEATURES, utf8(series), value)));
                        if (series.equals(POISONED)) {
                            clean.add(ts);
                        }
                    }
                    for (int f = 0; f < FUZZ_PER_CLEAN; f++) {
                        String tag = "fuzz#" + fuzz.size();
                        byte[] key = utf8("fuzz-" + rnd.nextInt(FUZZ_SERIES));
                        byte[] value = Mutations.mutate(rnd, corpus.get(rnd.nextInt(corpus.size())), M, MAX_OBJECTS);
                        fuzz.put(tag, new Sent(tag, key, value, null, -1, producer.send(new ProducerRecord<>(FEATURES,
                                null, key, value, new RecordHeaders().add(FUZZ, utf8(tag))))));
                    }
                    if (i % ROUND_EVERY == 0) {
                        for (Sent s : round(rounds++, t, rnd)) {
                            hostile.add(new Sent(s.tag(), s.key(), s.value(), s.reason(), s.timestep(),
                                    producer.send(new ProducerRecord<>(FEATURES, null, s.key(), s.value(),
                                            new RecordHeaders().add(HOSTILE, utf8(s.tag()))))));
                        }
                    }
                }
                producer.flush();
            }
            for (Future<RecordMetadata> a : cleanAcks) {
                a.get();
            }
            phase(t0, "sent " + cleanAcks.size() + " clean, " + hostile.size() + " hostile and " + fuzz.size()
                    + " fuzzed records");

            long total = cleanAcks.size() + hostile.size() + fuzz.size();
            try {
                await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> !child.alive() || health.failed() || counter(child, "streamfit_records_total",
                                null) >= total);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the child did not process " + total + " records in 4 minutes (at "
                        + counter(child, "streamfit_records_total", null) + "); its log:\n" + logTail(log), e);
            }
            // The last transaction may still be open: wait until the twins' predictions are committed.
            int expectedSums = 2 * CLEAN + 3 * rounds;
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> !child.alive() || health.failed() || sumsOf(POISONED, TWIN) >= expectedSums);
            phase(t0, "processed");
            health.stop();
            health.assertNoFailure(log);
            assertThat(child.alive()).as("child alive; its log:%n%s", logTail(log)).isTrue();
            metrics = child.get("/metrics", Duration.ofSeconds(10)).body();
            // SIGTERM runs the shutdown hook, which closes the app; the JVM then exits with 128 + 15.
            assertThat(child.terminate()).as("exit code after SIGTERM").isIn(0, 143);
        } finally {
            child.close();
            keep(log);
        }
        phase(t0, "child stopped");
        assertThat(Files.readString(log)).as("child log").doesNotContain("OutOfMemoryError");
        // The child ran within the small heap (pools without a maximum report -1).
        double heap = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_max_bytes{") && line.contains("area=\"heap\"")) {
                heap += Math.max(0, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        assertThat(heap).as("the child's maximum heap").isPositive().isLessThanOrEqualTo(256.0 * 1024 * 1024);

        List<ConsumerRecord<byte[], byte[]>> objectOuts = Topics.readCommitted(broker.bootstrapServers(), OBJECTS);
        List<ConsumerRecord<byte[], byte[]>> sumOuts = Topics.readCommitted(broker.bootstrapServers(), SUMS);
        List<ConsumerRecord<byte[], byte[]>> dead = Topics.readCommitted(broker.bootstrapServers(), DEAD);

        // No output holds a non-finite number, and each is there once.
        Map<String, JsonNode> sums = new HashMap<>();
        Map<String, JsonNode> objects = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : sumOuts) {
            JsonNode n = finiteOutput(SUMS, r);
            String key = n.path("series").asText() + "@" + n.path("timestep").asLong();
            assertThat(sums.put(key, n)).as("second committed sum prediction of %s", key).isNull();
        }
        Map<String, Integer> fuzzObjects = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : objectOuts) {
            JsonNode n = finiteOutput(OBJECTS, r);
            String timestep = n.path("series").asText() + "@" + n.path("timestep").asLong();
            String key = timestep + "/" + n.path("object").asText();
            if (timestep.startsWith(FUZZ + "-")) {
                // A fuzzed record may name an object twice (a duplicated span of its JSON): each is
                // predicted. Counted against the record's objects below, not as a second output.
                fuzzObjects.merge(timestep, 1, Integer::sum);
                objects.putIfAbsent(key, n);
                continue;
            }
            assertThat(objects.put(key, n)).as("second committed object prediction of %s", key).isNull();
        }
        // A fuzzed timestep has exactly one object prediction per object of its record (its sum's count).
        fuzzObjects.forEach((timestep, n) -> {
            JsonNode sum = sums.get(timestep);
            assertThat(sum != null).as("sum prediction of %s", timestep).isTrue();
            assertThat(sum.path("objects").asInt()).as("objects of %s", timestep).isEqualTo(n);
        });

        // Every clean timestep of both twins is predicted exactly once, and the valid poison of one of them too.
        Set<Long> cleanTimesteps = new TreeSet<>();
        clean.forEach(ts -> cleanTimesteps.add(ts.timestep()));
        Set<Long> poisonedTimesteps = new TreeSet<>(cleanTimesteps);
        hostile.stream().filter(s -> s.timestep() > 0).forEach(s -> poisonedTimesteps.add(s.timestep()));
        assertThat(timestepsOf(sums, TWIN)).isEqualTo(cleanTimesteps);
        assertThat(timestepsOf(sums, POISONED)).isEqualTo(poisonedTimesteps);
        for (Timestep ts : clean) {
            for (String series : List.of(POISONED, TWIN)) {
                for (Timestep.ObjectInput o : ts.objects()) {
                    assertThat(objects).containsKey(series + "@" + ts.timestep() + "/" + o.id());
                }
            }
        }

        // Dead letters: only hostile and fuzzed records, each invalid one once with its reason and bytes.
        Map<String, ConsumerRecord<byte[], byte[]>> deadHostile = new HashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> deadFuzz = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            String h = header(r, HOSTILE);
            String f = header(r, FUZZ);
            assertThat(h != null || f != null).as("a dead letter of a clean record: %s %s", header(r,
                    DeadLetters.REASON), header(r, DeadLetters.MESSAGE)).isTrue();
            assertThat(h != null ? deadHostile.put(h, r) : deadFuzz.put(f, r)).as("second dead letter of %s",
                    h != null ? h : f).isNull();
        }
        for (Sent s : hostile) {
            ConsumerRecord<byte[], byte[]> r = deadHostile.get(s.tag());
            if (s.reason() == null) {
                assertThat(r).as("dead letter of the valid %s", s.tag()).isNull();
                continue;
            }
            assertThat(r).as("dead letter of %s", s.tag()).isNotNull();
            assertThat(header(r, DeadLetters.REASON)).as("reason of %s (%s)", s.tag(),
                    header(r, DeadLetters.MESSAGE)).isEqualTo(s.reason());
            assertThat(r.key()).as("key of %s", s.tag()).isEqualTo(s.key());
            assertThat(r.value()).as("bytes of %s", s.tag()).isEqualTo(s.value());
            if (s.tag().startsWith("oversize-id")) {
                assertThat(header(r, DeadLetters.MESSAGE)).contains("max.id.bytes=" + MAX_ID_BYTES);
            }
            RecordMetadata md = s.ack().get();
            assertThat(header(r, DeadLetters.TOPIC)).isEqualTo(FEATURES);
            assertThat(header(r, DeadLetters.PARTITION)).isEqualTo(String.valueOf(md.partition()));
            assertThat(header(r, DeadLetters.OFFSET)).isEqualTo(String.valueOf(md.offset()));
        }
        assertThat(deadHostile.keySet()).allMatch(tag -> hostile.stream().anyMatch(s -> s.tag().equals(tag)));
        // The output that did not fit is missing, its record's other objects and its sum are there.
        for (Sent s : hostile) {
            if (s.tag().startsWith("output-too-large")) {
                assertThat(objects).containsKey(POISONED + "@" + s.timestep() + "/obj-0")
                        .doesNotContainKey(POISONED + "@" + s.timestep() + "/" + LONG_ID);
            }
            if (s.tag().startsWith("target-1e9")) {
                assertThat(objects.get(POISONED + "@" + s.timestep() + "/obj-0").path("target").asDouble())
                        .isEqualTo(1e9);
            }
        }

        // Each fuzzed record was either predicted or is a dead letter with its bytes.
        long fuzzPredicted = sums.keySet().stream().filter(k -> k.startsWith("fuzz-")).count();
        for (Map.Entry<String, ConsumerRecord<byte[], byte[]>> e : deadFuzz.entrySet()) {
            Sent s = fuzz.get(e.getKey());
            assertThat(s).as("fuzzed record %s", e.getKey()).isNotNull();
            assertThat(e.getValue().value()).as("bytes of %s (seed %d)", e.getKey(), seed).isEqualTo(s.value());
            assertThat(e.getValue().key()).isEqualTo(s.key());
            assertThat(header(e.getValue(), DeadLetters.REASON)).isNotBlank();
        }
        assertThat(deadFuzz.size() + fuzzPredicted).as("fuzzed records accounted for (seed %d)", seed)
                .isEqualTo(fuzz.size());
        assertThat(deadFuzz).as("most mutations break a record").hasSizeGreaterThan(fuzz.size() / 2);

        // The outlier targets were predicted, not trained on: counted, never in a model's accepted targets.
        long poisonTargets = hostile.stream().filter(s -> s.tag().startsWith("target-1e9")
                || s.tag().startsWith("sum-1e30")).count();
        assertThat(counter(metrics, "streamfit_skipped_updates_total", "reason=\"" + StreamfitMetrics.SKIP_OUTLIER_TARGET
                + "\"")).as("skipped updates for outlier targets").isGreaterThanOrEqualTo(poisonTargets);
        Map<String, ModelCheckpoint> models = checkpoints();
        for (String series : List.of(POISONED, TWIN)) {
            ModelCheckpoint cp = models.get(series);
            assertThat(cp).as("checkpoint of %s", series).isNotNull();
            assertThat(cp.getLearning()).as("learning state of %s", series).isNotNull();
            for (ScaleWindow w : List.of(cp.getLearning().getObjectTargets(), cp.getLearning().getSumTargets())) {
                assertThat(w.getValues()).as("accepted targets of %s", series).isNotEmpty()
                        .allMatch(v -> Math.abs(v) < 100);
            }
        }
        assertThat(models.get(TWIN).getRecords()).isEqualTo((long) CLEAN);
        assertThat(models.get(POISONED).getRecords()).as("clean and valid hostile records").isEqualTo(
                (long) poisonedTimesteps.size());

        // The poison did not hurt: the late error of the poisoned series is that of its twin.
        double poisonedMse = lateObjectMse(objects, clean, POISONED);
        double twinMse = lateObjectMse(objects, clean, TWIN);
        double earlyTwinMse = objectMse(objects, clean.subList(0, CLEAN / 10), TWIN);
        phase(t0, String.format("late object MSE: poisoned %.4f, twin %.4f (twin early %.4f)", poisonedMse, twinMse,
                earlyTwinMse));
        assertThat(twinMse).as("the twin learned").isLessThan(earlyTwinMse / 2);
        assertThat(poisonedMse).as("late object MSE of the poisoned series against its twin's %.4f", twinMse)
                .isLessThanOrEqualTo(1.2 * twinMse);
    }

    /**
     * One round of every hostile record for the poisoned series, between clean timesteps {@code t}
     * and {@code t + 10}: valid ones take timesteps of their own, invalid ones are rejected before
     * their timestep counts.
     */
    private static List<Sent> round(int round, long t, Random rnd) {
        List<Sent> out = new ArrayList<>();
        byte[] key = utf8(POISONED);
        // Valid: an outlier target among objects without one; predicted, not trained on.
        out.add(new Sent("target-1e9#" + round, key, utf8(record(t + 1, rnd, "\"target\":1e9", null, null)),
                null, t + 1, null));
        out.add(new Sent("sum-1e30#" + round, key, utf8(record(t + 2, rnd, null, "1e30", null)), null, t + 2,
                null));
        // Valid input whose object prediction does not fit its topic: predicted, and a dead letter.
        out.add(new Sent("output-too-large#" + round, key, utf8(record(t + 3, rnd, null, null,
                LONG_ID)), Rejection.OUTPUT_TOO_LARGE, t + 3, null));
        out.add(new Sent("avro-2gb-string#" + round, key, sixteenBytes(), Rejection.UNPARSABLE, -1, null));
        out.add(new Sent("oversize-id#" + round, key, utf8(record(t + 4, rnd, null, null,
                "i".repeat(MAX_ID_BYTES + 1))), Rejection.TOO_LARGE, -1, null));
        // Two values near the float limit at one index would add up to infinity.
        out.add(new Sent("duplicate-index#" + round, key, utf8("{\"timestep\":" + (t + 5) + ",\"objects\":["
                + "{\"id\":\"obj-0\",\"features\":{\"indices\":[1,3,3],\"values\":[0.5,3e38,3e38]}}]}"),
                Rejection.DUPLICATE_INDEX, -1, null));
        return out;
    }

    /**
     * A record of four objects with random features; object 0 gets {@code target0} (a JSON member)
     * and, when given, the id {@code id1} is object 1's.
     */
    private static String record(long t, Random rnd, String target0, String sumTarget, String id1) {
        StringBuilder sb = new StringBuilder("{\"series\":\"" + POISONED + "\",\"timestep\":" + t + ",\"objects\":[");
        for (int o = 0; o < 4; o++) {
            sb.append(o == 0 ? "" : ",").append("{\"id\":\"").append(o == 1 && id1 != null ? id1 : "obj-" + o)
                    .append("\",\"features\":[");
            for (int j = 0; j < M; j++) {
                sb.append(j == 0 ? "" : ",").append((float) (2 * rnd.nextDouble() - 1));
            }
            sb.append("]");
            if (o == 0 && target0 != null) {
                sb.append(",").append(target0);
            }
            sb.append("}");
        }
        sb.append("]");
        if (sumTarget != null) {
            sb.append(",\"sumTarget\":").append(sumTarget);
        }
        return sb.append("}").toString();
    }

    /** {@code c3 01}, TimestepRecord's fingerprint, series' string branch, and a length of 2,000,000,000. */
    private static byte[] sixteenBytes() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xC3).put((byte) 0x01);
        b.putLong(SchemaNormalization.parsingFingerprint64(TimestepRecord.getClassSchema()));
        b.put(new byte[] {0x02, (byte) 0x80, (byte) 0xD0, (byte) 0xAC, (byte) 0xF3, 0x0E});
        return b.array();
    }

    /** The output's JSON, after checking that every number in it is finite. */
    private static JsonNode finiteOutput(String topic, ConsumerRecord<byte[], byte[]> r) throws IOException {
        JsonNode n = LENIENT.readTree(r.value());
        assertFinite(n, topic + " " + new String(r.value(), StandardCharsets.UTF_8));
        return n;
    }

    private static void assertFinite(JsonNode n, String where) {
        if (n.isNumber()) {
            assertThat(Double.isFinite(n.asDouble())).as("a non-finite number in %s", where).isTrue();
        } else if (n.isTextual()) {
            assertThat(n.asText()).as("a non-finite number as text in %s", where)
                    .isNotIn("NaN", "Infinity", "-Infinity", "+Infinity");
        } else {
            n.forEach(child -> assertFinite(child, where));
        }
    }

    private static Set<Long> timestepsOf(Map<String, JsonNode> sums, String series) {
        Set<Long> out = new TreeSet<>();
        sums.forEach((k, n) -> {
            if (n.path("series").asText().equals(series)) {
                out.add(n.path("timestep").asLong());
            }
        });
        return out;
    }

    /** Mean squared object error of {@code series} over the last 10% of the clean timesteps. */
    private static double lateObjectMse(Map<String, JsonNode> objects, List<Timestep> clean, String series) {
        return objectMse(objects, clean.subList(clean.size() - clean.size() / 10, clean.size()), series);
    }

    private static double objectMse(Map<String, JsonNode> objects, List<Timestep> timesteps, String series) {
        double sq = 0;
        int n = 0;
        for (Timestep ts : timesteps) {
            for (Timestep.ObjectInput o : ts.objects()) {
                double e = objects.get(series + "@" + ts.timestep() + "/" + o.id()).path("prediction").asDouble()
                        - o.target();
                sq += e * e;
                n++;
            }
        }
        return sq / n;
    }

    /** Committed sum predictions of the given series. */
    private static int sumsOf(String... series) {
        Set<String> wanted = Set.of(series);
        int n = 0;
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), SUMS)) {
            if (wanted.contains(new String(r.key(), StandardCharsets.UTF_8))) {
                n++;
            }
        }
        return n;
    }

    private static Map<String, ModelCheckpoint> checkpoints() {
        String topic = APP + "-model-store-changelog";
        Map<String, ModelCheckpoint> out = new HashMap<>();
        var de = StreamfitSerdes.modelCheckpoint().deserializer();
        Topics.latestByKey(Topics.readCommitted(broker.bootstrapServers(), topic))
                .forEach((k, v) -> out.put(k, de.deserialize(topic, v)));
        return out;
    }

    /** The sum of a Prometheus counter's samples on the child's {@code /metrics}, or -1 when it does not answer. */
    private static double counter(ChildApp child, String name, String label) {
        try {
            return counter(child.get("/metrics", Duration.ofSeconds(10)).body(), name, label);
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The sum of the samples of {@code name} whose labels contain {@code label} (any when null). */
    private static double counter(String scrape, String name, String label) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") && (label == null || line.substring(0, line.indexOf('}')).contains(label))) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /**
     * Polls the child's {@code /health} from the start: once it answered UP with the Streams client
     * RUNNING, every later answer must be that, and every request must succeed, until closed.
     */
    private static final class HealthWatch implements AutoCloseable {
        private final ChildApp child;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicBoolean up = new AtomicBoolean();
        private final AtomicLong polls = new AtomicLong();
        private final AtomicReference<String> failure = new AtomicReference<>();
        private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
        private final long start = System.nanoTime();
        private final Thread thread;

        HealthWatch(ChildApp child) {
            this.child = child;
            thread = new Thread(this::watch, "health-watch");
            thread.setDaemon(true);
            thread.start();
        }

        private void watch() {
            while (running.get()) {
                String problem = null;
                String state;
                try {
                    ChildApp.Reply r = child.get("/health", Duration.ofSeconds(5));
                    JsonNode body = r.json();
                    state = r.status() + " " + body.path("status").asText() + "/" + body.path("streams").asText();
                    boolean ok = r.status() == 200 && "UP".equals(body.path("status").asText())
                            && "RUNNING".equals(body.path("streams").asText());
                    if (ok) {
                        up.set(true);
                    } else {
                        problem = state + " " + body;
                    }
                } catch (IOException e) {
                    state = "request failed";
                    problem = "request failed: " + e + (child.alive() ? "" : " (the child is dead)");
                } catch (InterruptedException e) {
                    return;
                }
                if (seen.isEmpty() || !seen.get(seen.size() - 1).endsWith(state)) {
                    seen.add(String.format("+%.1fs %s", (System.nanoTime() - start) / 1e9, state));
                }
                if (up.get()) {
                    polls.incrementAndGet();
                    if (problem != null && failure.get() == null && running.get()) {
                        failure.set(String.format("+%.1fs after the watch began: %s", (System.nanoTime() - start)
                                / 1e9, problem));
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void awaitUp(Duration timeout, Path log) {
            try {
                await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> up.get() || !child.alive());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the child was not UP and RUNNING within " + timeout + " (" + seen
                        + "); its log:\n" + logTail(log), e);
            }
            assertThat(child.alive()).as("child alive at start; its log:%n%s", logTail(log)).isTrue();
        }

        boolean failed() {
            return failure.get() != null;
        }

        void assertNoFailure(Path log) {
            assertThat(failure.get()).as("/health after startup (states seen: %s); the child's log:%n%s", seen,
                    failure.get() == null ? "" : logTail(log)).isNull();
            assertThat(polls.get()).as("health polls after startup").isGreaterThan(20);
        }

        /** Stops polling; what it saw stays for {@link #assertNoFailure}. */
        void stop() {
            running.set(false);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            stop();
        }
    }

    private static void phase(long t0, String what) {
        System.out.printf("[HostileInputIT +%.1fs] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /** The child's log outlives the temporary directory in the build's output, for a look after a failure. */
    private static void keep(Path log) throws IOException {
        Path target = Path.of("target");
        if (Files.isDirectory(target) && Files.exists(log)) {
            Files.copy(log, target.resolve("HostileInputIT-child.log"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                "max.in.flight.requests.per.connection", 1, "linger.ms", 10), new ByteArraySerializer(),
                new ByteArraySerializer());
    }
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
