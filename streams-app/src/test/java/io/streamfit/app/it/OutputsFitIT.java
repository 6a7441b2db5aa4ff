package io.streamfit.app.it;

import static io.streamfit.app.it.Topics.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * No input can stop or loop the service through its outputs: an input whose output is larger than
 * its topic takes, or whose dead letter is, goes to the dead letters (whole, or with a stub for a
 * value too large to copy), the client stays up, and the records after it are processed exactly
 * once; also when the broker refuses an output that passed streamfit's own check (a topic limit
 * lowered while the service runs), which with exactly-once aborts the transaction.
 */
@Slow
class OutputsFitIT {

    private static final int M = 2;
    private static final int SMALL = 4096;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitConfig config(String app) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app).stateDir(dir.resolve(app))
                .topicPrefix(app + "-").partitions(2).with("model.hidden", 4).with("max.record.bytes", 64 * 1024)
                // Long ids pass the screen here, so that their outputs are what does not fit.
                .with("max.id.bytes", 16 * 1024).with("commit.interval.ms", 200).toConfig();
    }

    private static String record(long t, String... ids) {
        StringBuilder objects = new StringBuilder();
        for (String id : ids) {
            objects.append(objects.length() == 0 ? "" : ",").append("{\"id\":\"").append(id)
                    .append("\",\"features\":[0.25,-0.5],\"target\":1.0}");
        }
        return "{\"timestep\":" + t + ",\"objects\":[" + objects + "],\"sumTarget\":2.0}";
    }

    /** Samples the client's state from the start until closed: what a health check would have seen. */
    private static final class StateWatch implements AutoCloseable {
        private final Set<KafkaStreams.State> seen = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        StateWatch(StreamfitApp app) {
            thread = new Thread(() -> {
                while (running.get()) {
                    KafkaStreams.State s = app.state();
                    if (s != null) {
                        seen.add(s);
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "state-watch");
            thread.setDaemon(true);
            thread.start();
        }

        Set<KafkaStreams.State> seen() {
            return seen;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(1000);
        }
    }

    @Test
    void anOutputOrDeadLetterTooLargeForItsTopicIsDeadLetteredAndEverythingAfterItRunsOnce() throws Exception {
        String app = "fit";
        try (Admin admin = admin()) {
            // Topics someone else created, with limits far below what streamfit may write.
            Map<String, String> small = Map.of("max.message.bytes", String.valueOf(SMALL));
            admin.createTopics(List.of(new NewTopic(app + "-dead-letters", 2, (short) 1).configs(small),
                    new NewTopic(app + "-object-predictions", 2, (short) 1).configs(small))).all().get(60,
                    TimeUnit.SECONDS);
        }
        StreamfitConfig cfg = config(app);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        String longId = "x".repeat(5_000);
        byte[] unparsable = new byte[20_000];
        java.util.Arrays.fill(unparsable, (byte) '{');
        Map<String, RecordMetadata> sent = new HashMap<>();
        try (StreamfitApp streamfit = new StreamfitApp(cfg, metrics); StateWatch watch = startWatched(streamfit)) {
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (long t = 1; t <= 5; t++) {
                    producer.send(new ProducerRecord<>(app + "-features", utf8("s1"), utf8(record(t, "a", "b"))));
                }
                RecordHeaders trace = new RecordHeaders();
                trace.add("trace", utf8("long-id"));
                sent.put("long-id", producer.send(new ProducerRecord<>(app + "-features", null, utf8("s1"),
                        utf8(record(6, "a", longId)), trace)).get());
                sent.put("unparsable", producer.send(new ProducerRecord<>(app + "-features", null, utf8("s2"),
                        unparsable, new RecordHeaders().add("trace", utf8("unparsable")))).get());
                for (long t = 7; t <= 12; t++) {
                    producer.send(new ProducerRecord<>(app + "-features", utf8("s1"), utf8(record(t, "a", "b"))));
                }
                producer.flush();
            }
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                    .until(() -> committedSums(app, "s1").size() >= 12 || failed(streamfit));
            assertThat(streamfit.fatalError()).isNull();
            assertThat(streamfit.state()).isEqualTo(KafkaStreams.State.RUNNING);
            watch.close();
            assertThat(watch.seen()).as("states the client went through").isSubsetOf(KafkaStreams.State.CREATED,
                    KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING);
        }

        Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        Topics.readCommitted(broker.bootstrapServers(), app + "-dead-letters").forEach(r -> dead.put(header(r, "trace"), r));
        assertThat(dead).containsOnlyKeys("long-id", "unparsable");

        ConsumerRecord<byte[], byte[]> tooLarge = dead.get("long-id");
        assertThat(header(tooLarge, "error.reason")).isEqualTo("output-too-large");
        assertThat(header(tooLarge, "error.message")).contains(app + "-object-predictions");
        assertPosition(tooLarge, app + "-features", sent.get("long-id"));
        assertThat(tooLarge.key()).isEqualTo(utf8("s1"));
        // Its value (over 5 KB) does not fit a 4 KB dead-letter topic: a stub names it.
        int valueBytes = utf8(record(6, "a", longId)).length;
        assertThat(header(tooLarge, "error.stub")).isEqualTo(String.valueOf(valueBytes));
        assertThat(new String(tooLarge.value(), StandardCharsets.UTF_8)).isEqualTo("{\"stub\":\"value-too-large\","
                + "\"valueBytes\":" + valueBytes + ",\"topic\":\"" + app + "-features\",\"partition\":"
                + sent.get("long-id").partition() + ",\"offset\":" + sent.get("long-id").offset() + "}");

        ConsumerRecord<byte[], byte[]> stub = dead.get("unparsable");
        assertThat(header(stub, "error.reason")).isEqualTo("unparsable");
        assertThat(header(stub, "error.stub")).isEqualTo("20000");
        assertPosition(stub, app + "-features", sent.get("unparsable"));
        assertThat(stub.key()).isEqualTo(utf8("s2"));
        for (ConsumerRecord<byte[], byte[]> r : dead.values()) {
            assertThat(r.serializedValueSize() + r.serializedKeySize()).isLessThan(SMALL);
            assertThat(r.headers().toArray()).extracting(Header::key).noneMatch(k -> k.startsWith("streamfit."));
        }

        // Every timestep of s1 predicted and learned exactly once, the one with the long id too (its
        // sum and its small object fit); only the object that did not fit is missing.
        assertThat(committedSums(app, "s1")).extracting(SumPrediction::getTimestep)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        List<String> objects = committedObjects(app, "s1");
        assertThat(objects).doesNotHaveDuplicates().hasSize(23).contains("6/a").doesNotContain("6/" + longId);
        ModelCheckpoint cp = checkpoint(app, "s1");
        assertThat(cp.getRecords()).isEqualTo(12L);
        assertThat(cp.getLastTimesteps()).containsEntry("s1", 12L);
    }

    @Test
    void anOutputTheBrokerRefusesAfterTheCheckPassedAbortsOneTransactionAndIsDeadLetteredOnTheReplay()
            throws Exception {
        String app = "late";
        // The refusal fails a stream thread, whose member stays in the group until its session times
        // out; the replacement's tasks wait as long. Kafka's 45 s only make this test slower.
        StreamfitConfig cfg = new StreamfitConfig(withSession(config(app), 6_000));
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        // Letters at random: the producer compresses its batches (LZ4), and a repeated letter would
        // shrink under the lowered limit, which the broker checks on the compressed batch.
        String longId = incompressible(3_000);
        RecordMetadata refused;
        try (StreamfitApp streamfit = new StreamfitApp(cfg, metrics); StateWatch watch = startWatched(streamfit)) {
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (long t = 1; t <= 5; t++) {
                    producer.send(new ProducerRecord<>(app + "-features", utf8("s1"), utf8(record(t, "a", "b"))));
                }
                producer.flush();
                await().atMost(Duration.ofMinutes(2)).until(() -> committedSums(app, "s1").size() >= 5);

                // The service read the topic's limit at its start; now it is lowered under its feet.
                lowerLimit(app + "-object-predictions", 2048);
                refused = producer.send(new ProducerRecord<>(app + "-features", null, utf8("s1"),
                        utf8(record(6, "a", longId)), new RecordHeaders().add("trace", utf8("refused")))).get();
                for (long t = 7; t <= 12; t++) {
                    producer.send(new ProducerRecord<>(app + "-features", utf8("s1"), utf8(record(t, "a", "b"))));
                }
                producer.flush();
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> committedSums(app, "s1").size() >= 12 || failed(streamfit));
            assertThat(streamfit.fatalError()).isNull();
            await().atMost(Duration.ofMinutes(1)).until(() -> streamfit.state() == KafkaStreams.State.RUNNING);
            // The refusal failed the stream thread (exactly-once cannot keep the transaction); it was replaced.
            Collection<ThreadMetadata> threads = streamfit.streams().metadataForLocalThreads();
            assertThat(threads).extracting(ThreadMetadata::threadName).noneMatch(n -> n.endsWith("StreamThread-1"));
            watch.close();
            assertThat(watch.seen()).as("states the client went through").isSubsetOf(KafkaStreams.State.CREATED,
                    KafkaStreams.State.REBALANCING, KafkaStreams.State.RUNNING);
        }

        List<ConsumerRecord<byte[], byte[]>> dead = Topics.readCommitted(broker.bootstrapServers(),
                app + "-dead-letters");
        assertThat(dead).as("the refused input, once").hasSize(1);
        ConsumerRecord<byte[], byte[]> r = dead.get(0);
        assertThat(header(r, "error.reason")).isEqualTo("output-too-large");
        assertThat(header(r, "trace")).isEqualTo("refused");
        assertPosition(r, app + "-features", refused);
        assertThat(r.key()).isEqualTo(utf8("s1"));
        assertThat(r.value()).as("the whole input: it fits the dead letters").isEqualTo(utf8(record(6, "a", longId)));
        assertThat(header(r, "error.stub")).isNull();

        assertThat(committedSums(app, "s1")).extracting(SumPrediction::getTimestep)
                .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
        assertThat(committedObjects(app, "s1")).doesNotHaveDuplicates().hasSize(23).contains("6/a");
        ModelCheckpoint cp = checkpoint(app, "s1");
        assertThat(cp.getRecords()).as("each record learned once, the aborted ones not twice").isEqualTo(12L);
    }

    private static Map<String, Object> withSession(StreamfitConfig cfg, int ms) {
        Map<String, Object> props = new HashMap<>(cfg.originals());
        props.put("consumer.session.timeout.ms", ms);
        props.put("consumer.heartbeat.interval.ms", ms / 3);
        return props;
    }

    private static StateWatch startWatched(StreamfitApp streamfit) throws Exception {
        streamfit.start();
        return new StateWatch(streamfit);
    }

    private static boolean failed(StreamfitApp streamfit) {
        KafkaStreams.State s = streamfit.state();
        return streamfit.fatalError() != null || s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING
                || s == KafkaStreams.State.PENDING_ERROR;
    }

    private static void lowerLimit(String topic, int bytes) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = admin()) {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("max.message.bytes", String.valueOf(bytes)), AlterConfigOp.OpType.SET))))
                    .all().get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> String.valueOf(bytes).equals(admin
                    .describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                    .get("max.message.bytes").value()));
        }
    }

    private static void assertPosition(ConsumerRecord<byte[], byte[]> r, String topic, RecordMetadata md) {
        assertThat(header(r, "error.topic")).isEqualTo(topic);
        assertThat(header(r, "error.partition")).isEqualTo(String.valueOf(md.partition()));
        assertThat(header(r, "error.offset")).isEqualTo(String.valueOf(md.offset()));
    }

    private static List<SumPrediction> committedSums(String app, String series) {
        var de = StreamfitSerdes.sumPrediction().deserializer();
        List<SumPrediction> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), app + "-sum-predictions")) {
            SumPrediction p = de.deserialize("t", r.value());
            if (p.getSeries().equals(series)) {
                out.add(p);
            }
        }
        out.sort(java.util.Comparator.comparingLong(SumPrediction::getTimestep));
        return out;
    }

    /** "timestep/object" of every committed object prediction of {@code series}. */
    private static List<String> committedObjects(String app, String series) {
        var de = StreamfitSerdes.objectPrediction().deserializer();
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                app + "-object-predictions")) {
            ObjectPrediction p = de.deserialize("t", r.value());
            if (p.getSeries().equals(series)) {
                out.add(p.getTimestep() + "/" + p.getObject());
            }
        }
        return out;
    }

    private static ModelCheckpoint checkpoint(String app, String key) {
        Map<String, byte[]> models = Topics.latestByKey(Topics.readCommitted(broker.bootstrapServers(),
                app + "-model-store-changelog"));
        assertThat(models).containsKey(key);
        return StreamfitSerdes.modelCheckpoint().deserializer().deserialize("t", models.get(key));
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                "max.in.flight.requests.per.connection", 1, "linger.ms", 5), new ByteArraySerializer(),
                new ByteArraySerializer());
    }
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code n} letters and digits drawn at random (seeded): LZ4 leaves them about as long. */
    private static String incompressible(int n) {
        java.util.Random random = new java.util.Random(7);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }
}
