package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backfill's checkpoints and offsets are one transaction (in-JVM KRaft broker, real model): a
 * failure after both were sent and before the commit leaves neither visible, and the next backfill
 * writes both.
 */
class BackfillTransactionIT {

    private static final int M = 4;
    private static final int HISTORY = 120;
    private static final String APP = "backfill-txn-it";
    private static final String INPUT = "txn-features";

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedBroker.start(0, null, Map.of());
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static StreamfitConfig config() {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("application.id", APP);
        p.put("state.dir", dir.resolve("state").toString());
        p.put("model.features", String.valueOf(M));
        p.put("model.hidden", "4");
        p.put("model.scope", "global");
        p.put("topics.partitions", "2");
        p.put("topic.features", INPUT);
        return new StreamfitConfig(p);
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    private static Map<TopicPartition, Long> committed() throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS)
                    .forEach((tp, om) -> out.put(tp, om.offset()));
            return out;
        }
    }

    /** Every record of the model store's changelog as a consumer of {@code isolation} reads it. */
    private static List<ConsumerRecord<byte[], byte[]>> changelog(String isolation) {
        String topic = Backfill.changelogTopic(APP);
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "isolation.level",
                isolation, "enable.auto.commit", "false");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("read %s to its end %s", topic, end).isLessThan(deadline);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static Backfill.Result backfill(CheckpointTransaction.BeforeCommit beforeCommit) throws Exception {
        return new Backfill(config(), new Backfill.Options(1, null, 0, 1L, 4), new Backfill.Listener() { },
                beforeCommit).run();
    }

    @Test
    void aFailureBeforeTheCommitLeavesNeitherCheckpointsNorOffsetsAndTheNextBackfillWritesBoth() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(INPUT, 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        SyntheticStream stream = new SyntheticStream(3, M, 0.2, 3, 1);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < HISTORY; i++) {
                Timestep ts = stream.next();
                producer.send(new ProducerRecord<>(INPUT, ts.series(),
                        StreamfitSerdes.timestep().serializer().serialize(INPUT, ts)));
            }
        }
        // Offsets the application had committed before: the failed backfill must leave them.
        TopicPartition p0 = new TopicPartition(INPUT, 0);
        try (Admin admin = admin()) {
            admin.alterConsumerGroupOffsets(APP, Map.of(p0, new OffsetAndMetadata(1))).all().get(60, TimeUnit.SECONDS);
        }

        // The failure comes once the checkpoint is on the broker (uncommitted): the producer
        // lingers a few ms, and an abort before the send would drop it unsent, which tests less.
        Throwable failed = catchThrowable(() -> backfill(() -> {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> changelog("read_uncommitted").size() == 1);
            throw new KafkaException("injected failure before the commit");
        }));

        assertThat(failed).isInstanceOf(IllegalStateException.class).hasMessageContaining("neither was written")
                .hasRootCauseMessage("injected failure before the commit");
        assertThat(changelog("read_uncommitted")).as("the checkpoint was sent (and then aborted)").hasSize(1);
        assertThat(changelog("read_committed")).as("no checkpoint visible").isEmpty();
        assertThat(committed()).as("offsets as before").isEqualTo(Map.of(p0, 1L));

        Backfill.Result done = backfill(CheckpointTransaction.NONE);

        List<ConsumerRecord<byte[], byte[]>> visible = changelog("read_committed");
        assertThat(visible).hasSize(1);
        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().deserialize(visible.get(0).topic(), visible.get(0).value());
        assertThat(cp.getModelKey()).isEqualTo("global");
        assertThat(cp.getModelVersion()).as("one pass from scratch, batches of 4").isEqualTo(HISTORY / 4);
        assertThat(committed()).isEqualTo(done.endOffsets());
        assertThat(done.endOffsets().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(HISTORY);
    }
}
