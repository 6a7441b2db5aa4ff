package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.STALL;
import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;
import static io.streamfit.app.backfill.BackfillClients.byPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model store's changelog as backfill uses it without Kafka Streams: backfill starts each
 * model where {@code run} left it, so it reads the latest checkpoints as Streams would restore
 * them, and it writes into the partitions of the tasks that will restore them, so the changelog
 * must have (or be created with) one partition per task.
 */
final class ChangelogCheckpoints {

    // Backfill's name, as before this class was split from it, so that the log lines read the same.
    private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);

    private final StreamfitConfig config;
    private final String topic;
    private final int taskPartitions;

    /** @param taskPartitions the application's tasks: one per input partition, or one with {@code model.scope=global} */
    ChangelogCheckpoints(StreamfitConfig config, String topic, int taskPartitions) {
        this.config = config;
        this.topic = topic;
        this.taskPartitions = taskPartitions;
    }

    /**
     * The latest checkpoint per model key (a tombstone deletes), read to the changelog's end with
     * {@code read_committed}, so that the checkpoints of an aborted backfill do not count; empty
     * when the changelog does not exist yet.
     *
     * @param common the client's connection and security properties
     * @throws BackfillRefused when the changelog's partitions do not match the application's tasks
     */
    Map<String, ModelCheckpoint> read(Map<String, Object> common) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                BackfillClients.consumerProperties(common, true),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            return read(consumer);
        }
    }

    private Map<String, ModelCheckpoint> read(KafkaConsumer<byte[], byte[]> consumer) {
        List<TopicPartition> partitions = BackfillClients.partitionsOf(consumer, topic);
        if (partitions.isEmpty()) {
            return Map.of();
        }
        if (partitions.size() != taskPartitions) {
            throw new BackfillRefused(topic + " has " + partitions.size() + " partitions but the application "
                    + "has " + taskPartitions + " tasks (" + config.topics().features().name() + " and model.scope="
                    + (config.globalScope() ? "global" : "series") + "); was the topic or the scope changed?");
        }
        Deserializer<String> keys = new StringDeserializer();
        Deserializer<ModelCheckpoint> values = StreamfitSerdes.modelCheckpoint().deserializer();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
        Map<String, byte[]> latest = new HashMap<>();
        long deadline = System.nanoTime() + STALL.toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + topic + " to its end " + byPartition(end)
                        + " within " + STALL.toSeconds() + "s");
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                String key = keys.deserialize(r.topic(), r.key());
                if (r.value() == null) {
                    latest.remove(key);
                } else {
                    latest.put(key, r.value());
                }
            }
        }
        Map<String, ModelCheckpoint> out = new HashMap<>();
        latest.forEach((k, v) -> out.put(k, values.deserialize(topic, v)));
        return out;
    }

    /**
     * Creates the changelog if the service never ran, as Streams would: compacted, with the model
     * store's record size limit, the partitions of the tasks and Streams' {@code replication.factor}.
     * A changelog created meanwhile by someone else is as good.
     */
    void createIfMissing(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
        if (admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).contains(topic)) {
            return;
        }
        String rf = config.kafkaProperties().get(StreamsConfig.REPLICATION_FACTOR_CONFIG);
        Optional<Short> replication = rf == null || Short.parseShort(rf.trim()) < 1
                ? Optional.empty() : Optional.of(Short.parseShort(rf.trim()));
        NewTopic newTopic = new NewTopic(topic, Optional.of(taskPartitions), replication)
                .configs(Map.of("cleanup.policy", "compact",
                        "max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES));
        try {
            admin.createTopics(List.of(newTopic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created {} with {} partitions", topic, taskPartitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }
}
