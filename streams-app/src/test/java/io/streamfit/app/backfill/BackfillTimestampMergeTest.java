package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class BackfillTimestampMergeTest {

    private static ConsumerRecord<String, String> rec(int partition, long offset, long timestamp) {
        return rec("t", partition, offset, timestamp);
    }

    private static ConsumerRecord<String, String> rec(String topic, int partition, long offset, long timestamp) {
        String name = (topic.equals("t") ? "" : topic + "-") + partition + "@" + offset;
        return new ConsumerRecord<>(topic, partition, offset, timestamp, TimestampType.CREATE_TIME, 0, 0, null,
                name, new RecordHeaders(), Optional.empty());
    }

    private static List<TopicPartition> tps(String topic, int... partitions) {
        List<TopicPartition> out = new ArrayList<>();
        for (int p : partitions) {
            out.add(new TopicPartition(topic, p));
        }
        return out;
    }

    private static TopicPartition tp(int partition) {
        return new TopicPartition("t", partition);
    }

    private static List<String> drain(TimestampMerge<String, String> merge) {
        List<String> out = new ArrayList<>();
        ConsumerRecord<String, String> r;
        while ((r = merge.next()) != null) {
            out.add(r.value());
        }
        return out;
    }

    @Test
    void smallestTimestampFirstTiesToTheLowerPartition() {
        TimestampMerge<String, String> merge = new TimestampMerge<>(tps("t", 0, 1, 2));
        merge.add(rec(1, 0, 10));
        merge.add(rec(1, 1, 30));
        merge.add(rec(0, 0, 20));
        merge.add(rec(0, 1, 30));
        merge.add(rec(2, 0, 5));
        assertThat(merge.next().value()).isEqualTo("2@0");
        // Partition 2 ran dry: its next record might come before anything queued.
        assertThat(merge.next()).isNull();
        merge.add(rec(2, 1, 50));
        merge.finish(tp(2));
        // 0@1 and 1@1 tie at 30: partition 0 first; then partition 0 ran dry.
        assertThat(drain(merge)).containsExactly("1@0", "0@0", "0@1");
        assertThat(merge.done()).isFalse();
        merge.finish(tp(0));
        assertThat(drain(merge)).containsExactly("1@1");
        merge.finish(tp(1));
        assertThat(drain(merge)).containsExactly("2@1");
        assertThat(merge.done()).isTrue();
    }

    @Test
    void arrivalOrderOfFetchesDoesNotChangeTheMergedOrder() {
        List<ConsumerRecord<String, String>> p0 = List.of(rec(0, 0, 1), rec(0, 1, 4), rec(0, 2, 9));
        List<ConsumerRecord<String, String>> p1 = List.of(rec(1, 0, 2), rec(1, 1, 3), rec(1, 2, 9));
        TimestampMerge<String, String> a = new TimestampMerge<>(tps("t", 0, 1));
        p0.forEach(a::add);
        p1.forEach(a::add);
        a.finish(tp(0));
        a.finish(tp(1));
        TimestampMerge<String, String> b = new TimestampMerge<>(tps("t", 0, 1));
        List<String> fromB = new ArrayList<>();
        // Partition 1 fetched first, one record at a time, partition 0 later.
        b.add(p1.get(0));
        assertThat(b.next()).isNull();
        p0.forEach(b::add);
        b.finish(tp(0));
        fromB.addAll(drain(b));
        b.add(p1.get(1));
        b.add(p1.get(2));
        b.finish(tp(1));
        fromB.addAll(drain(b));
        assertThat(fromB).isEqualTo(drain(a)).containsExactly("0@0", "1@0", "1@1", "0@1", "0@2", "1@2");
        assertThat(b.done()).isTrue();
        assertThat(b.queued(tp(0))).isZero();
    }

    @Test
    void featuresAndLabelsMergeByTimestampTiesToTheFeatures() {
        List<TopicPartition> order = tps("features", 0, 1);
        order.addAll(tps("labels", 0, 1));
        TimestampMerge<String, String> merge = new TimestampMerge<>(order);
        merge.add(rec("labels", 0, 0, 10));
        merge.add(rec("labels", 0, 1, 20));
        merge.add(rec("labels", 1, 0, 5));
        merge.add(rec("features", 1, 0, 10));
        merge.add(rec("features", 0, 0, 20));
        // An open partition without a record holds the merge back, of either topic.
        assertThat(merge.next().value()).isEqualTo("labels-1@0");
        assertThat(merge.next()).isNull();
        order.forEach(merge::finish);
        // 10: the features first, then the label; 20: likewise.
        assertThat(drain(merge)).containsExactly("features-1@0", "labels-0@0", "features-0@0", "labels-0@1");
        assertThat(merge.done()).isTrue();
    }
}
