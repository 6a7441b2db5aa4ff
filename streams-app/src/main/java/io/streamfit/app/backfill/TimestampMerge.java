package io.streamfit.app.backfill;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Merges the records of several partitions (of one topic or several: backfill merges the features
 * and the labels topics), each in offset order, into one order that does not depend on how the
 * consumer's fetches happened to interleave: the next record is always the one with the smallest
 * timestamp among the partitions' next records (ties: the partition given first, so the features
 * topic's before the labels topic's, each in partition order). So
 * every pass over the same history sees the same order, and a shuffle buffer with a given seed
 * gives the same permutation. (Kafka Streams picks its next record among partitions by timestamp
 * too.)
 *
 * <p>A record can only be taken while every partition that is not finished has a record waiting,
 * since a partition without one might still bring a smaller timestamp. Memory: the records queued
 * per partition; the caller pauses fetching for a partition whose queue is long.
 *
 * @param <K> key type
 * @param <V> value type
 */
final class TimestampMerge<K, V> {

    /** In the order of the constructor's partitions, which breaks ties. */
    private final Map<TopicPartition, ArrayDeque<ConsumerRecord<K, V>>> queues = new LinkedHashMap<>();
    private final Set<TopicPartition> open = new HashSet<>();

    /**
     * @param partitions the partitions to merge, in the order that breaks timestamp ties; each stays
     *                   open until {@link #finish}
     */
    TimestampMerge(Iterable<TopicPartition> partitions) {
        for (TopicPartition p : partitions) {
            queues.put(p, new ArrayDeque<>());
            open.add(p);
        }
    }

    /** Queues the next record of its partition (records of a partition arrive in offset order). */
    void add(ConsumerRecord<K, V> record) {
        ArrayDeque<ConsumerRecord<K, V>> q = queues.get(new TopicPartition(record.topic(), record.partition()));
        if (q == null) {
            throw new IllegalArgumentException("partition " + record.partition() + " of " + record.topic()
                    + " is not merged here");
        }
        q.addLast(record);
    }

    /** No more records will come for {@code partition}. */
    void finish(TopicPartition partition) {
        open.remove(partition);
    }

    boolean isOpen(TopicPartition partition) {
        return open.contains(partition);
    }

    /** Records queued for {@code partition}. */
    int queued(TopicPartition partition) {
        return queues.get(partition).size();
    }

    /**
     * The next record in merged order, or {@code null} when it is not known yet (an open partition
     * has nothing queued) or when everything was taken.
     */
    ConsumerRecord<K, V> next() {
        ConsumerRecord<K, V> best = null;
        ArrayDeque<ConsumerRecord<K, V>> from = null;
        for (Map.Entry<TopicPartition, ArrayDeque<ConsumerRecord<K, V>>> e : queues.entrySet()) {
            ConsumerRecord<K, V> head = e.getValue().peekFirst();
            if (head == null) {
                if (open.contains(e.getKey())) {
                    return null;
                }
                continue;
            }
            // Strictly smaller: on a tie the partition given first (iterated first) stays the choice.
            if (best == null || head.timestamp() < best.timestamp()) {
                best = head;
                from = e.getValue();
            }
        }
        if (from != null) {
            from.removeFirst();
        }
        return best;
    }

    /** Whether every partition is finished and every record taken. */
    boolean done() {
        return open.isEmpty() && queues.values().stream().allMatch(ArrayDeque::isEmpty);
    }
}
