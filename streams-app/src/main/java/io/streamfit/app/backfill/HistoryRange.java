package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of the input topic a backfill trains on, fixed once before the first pass: every
 * pass reads exactly these, and the group's offsets are set to {@link #end} afterwards, so records
 * that arrive while backfill runs are left to {@code run}.
 *
 * @param partitions every partition of the input topic, in partition order
 * @param start      where each partition's range starts (inclusive)
 * @param end        where each partition's range ends (exclusive): its end offset when the range was found
 */
record HistoryRange(List<TopicPartition> partitions, Map<TopicPartition, Long> start,
                    Map<TopicPartition, Long> end) {

    /**
     * @param fromTimestampMs  start at the first offset at or after this time (epoch ms), or null
     *                         for the beginning of every partition
     * @param bootstrapServers where the topic was looked for, for the refusal
     * @throws BackfillRefused when the input topic does not exist
     */
    static HistoryRange find(KafkaConsumer<?, ?> consumer, String inputTopic, Long fromTimestampMs,
                             String bootstrapServers) {
        List<TopicPartition> partitions = BackfillClients.partitionsOf(consumer, inputTopic);
        if (partitions.isEmpty()) {
            throw new BackfillRefused("input topic " + inputTopic + " does not exist on " + bootstrapServers);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
        Map<TopicPartition, Long> start = startOffsets(consumer, partitions, end, fromTimestampMs);
        return new HistoryRange(partitions, start, end);
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

    /** Offsets in the range, records plus any transaction markers: what one pass reads. */
    long offsets() {
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += end.get(tp) - start.get(tp);
        }
        return total;
    }
}
