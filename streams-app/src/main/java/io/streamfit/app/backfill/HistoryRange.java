package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.runtime.TopicInitializer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of the input topics a backfill trains on (the features topic and the labels topic,
 * by the same rules), fixed once before the first pass: every pass reads exactly these, and the
 * group's offsets are set to {@link #end} afterwards, so records that arrive while backfill runs
 * are left to {@code run}.
 *
 * @param features every partition of the features topic, in partition order
 * @param labels   every partition of the labels topic, in partition order; empty when it does not exist
 * @param start    where each partition's range starts (inclusive)
 * @param end      where each partition's range ends (exclusive): its end offset when the range was found
 */
record HistoryRange(List<TopicPartition> features, List<TopicPartition> labels, Map<TopicPartition, Long> start,
                    Map<TopicPartition, Long> end) {

    HistoryRange {
        features = List.copyOf(features);
        labels = List.copyOf(labels);
        start = Map.copyOf(start);
        end = Map.copyOf(end);
    }

    /**
     * @param fromTimestampMs  start at the first offset at or after this time (epoch ms), or null
     *                         for the beginning of every partition
     * @param bootstrapServers where the topic was looked for, for the refusal
     * @throws BackfillRefused when the features topic does not exist, or the labels topic has another
     *         partition count (the service refuses to start then too)
     */
    static HistoryRange find(KafkaConsumer<?, ?> consumer, String featuresTopic, String labelsTopic,
                             Long fromTimestampMs, String bootstrapServers) {
        List<TopicPartition> features = BackfillClients.partitionsOf(consumer, featuresTopic);
        if (features.isEmpty()) {
            throw new BackfillRefused("input topic " + featuresTopic + " does not exist on " + bootstrapServers);
        }
        List<TopicPartition> labels = labelsTopic == null ? List.of()
                : BackfillClients.partitionsOf(consumer, labelsTopic);
        if (!labels.isEmpty()) {
            String problem = TopicInitializer.coPartitionProblem(featuresTopic, features.size(), labelsTopic,
                    labels.size());
            if (problem != null) {
                throw new BackfillRefused(problem);
            }
        }
        List<TopicPartition> all = new ArrayList<>(features);
        all.addAll(labels);
        Map<TopicPartition, Long> end = consumer.endOffsets(all, TIMEOUT);
        Map<TopicPartition, Long> start = startOffsets(consumer, all, end, fromTimestampMs);
        return new HistoryRange(features, labels, start, end);
    }

    private static Map<TopicPartition, Long> startOffsets(KafkaConsumer<?, ?> consumer, List<TopicPartition> partitions,
                                                          Map<TopicPartition, Long> end, Long fromTimestampMs) {
        if (fromTimestampMs == null) {
            return consumer.beginningOffsets(partitions, TIMEOUT);
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, fromTimestampMs));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp at = found.get(tp);
            // No record at or after the time: the partition's range is empty.
            out.put(tp, at == null ? end.get(tp) : Math.min(at.offset(), end.get(tp)));
        }
        return out;
    }

    /**
     * Every partition read, the features topic's first, each topic in partition order: the order
     * {@link TimestampMerge} breaks timestamp ties in.
     */
    List<TopicPartition> partitions() {
        List<TopicPartition> all = new ArrayList<>(features);
        all.addAll(labels);
        return all;
    }

    /** Offsets in the range, records plus any transaction markers: what one pass reads. */
    long offsets() {
        return offsets(partitions());
    }

    /** Offsets of the labels topic in the range: 0 when it is missing or empty there. */
    long labelOffsets() {
        return offsets(labels);
    }

    /** The range's ends on the partitions of {@code topic}. */
    Map<TopicPartition, Long> endOf(String topic) {
        Map<TopicPartition, Long> out = new HashMap<>();
        end.forEach((tp, o) -> {
            if (tp.topic().equals(topic)) {
                out.put(tp, o);
            }
        });
        return out;
    }

    private long offsets(List<TopicPartition> partitions) {
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += end.get(tp) - start.get(tp);
        }
        return total;
    }
}
