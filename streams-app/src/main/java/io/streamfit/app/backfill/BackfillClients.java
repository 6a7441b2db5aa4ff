package io.streamfit.app.backfill;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * What the parts of a backfill share about the cluster: one timeout for every call, one limit on
 * how long reading may stall, one way to list partitions and to print offsets, so that the input,
 * the changelog and the group behave and read alike in messages.
 */
final class BackfillClients {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** How long a pass (or the read of the changelog) may go without progress before backfill gives up. */
    static final Duration STALL = Duration.ofMinutes(2);

    private BackfillClients() {
    }

    /**
     * Consumer properties: the client's connection and security keys, read_committed, no group.
     *
     * @param checkpoints whether it reads the changelog, whose records (big models) exceed the
     *                    default fetch sizes; the input keeps the defaults, so that what the
     *                    consumer buffers does not grow with the history
     */
    static Map<String, Object> consumerProperties(Map<String, Object> common, boolean checkpoints) {
        Map<String, Object> p = new HashMap<>(common);
        // A changelog that does not exist must not be created by asking for it: backfill creates it
        // with the tasks' partitions, and a broker that creates topics on request would not.
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, checkpoints ? "streamfit-backfill-changelog" : "streamfit-backfill");
        if (checkpoints) {
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
            p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        }
        return p;
    }

    /** The partitions of {@code topic} in partition order; empty when the topic does not exist. */
    static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
        List<TopicPartition> out = new ArrayList<>();
        if (infos != null) {
            infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
        }
        out.sort(Comparator.comparingInt(TopicPartition::partition));
        return out;
    }

    /** Offsets by topic, then partition number, in order, for messages. */
    static Map<String, Map<Integer, Long>> byTopic(Map<TopicPartition, Long> offsets) {
        Map<String, Map<Integer, Long>> out = new TreeMap<>();
        offsets.forEach((tp, o) -> out.computeIfAbsent(tp.topic(), t -> new TreeMap<>()).put(tp.partition(), o));
        return out;
    }

    /** Offsets by partition number, in partition order, for messages. */
    static Map<Integer, Long> byPartition(Map<TopicPartition, Long> offsets) {
        Map<Integer, Long> out = new TreeMap<>();
        offsets.forEach((tp, o) -> out.put(tp.partition(), o));
        return out;
    }
}
