package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ProgressWatchTest {

    private static final TopicPartition P0 = new TopicPartition("features", 0);
    private static final TopicPartition P1 = new TopicPartition("features", 1);
    private final AtomicLong clock = new AtomicLong();
    private final ProgressWatch watch = new ProgressWatch(Duration.ofMinutes(5), clock::get);

    private void at(Duration t, Map<TopicPartition, Long> committed, Map<TopicPartition, Long> ends, boolean restored) {
        clock.set(t.toNanos());
        watch.observe(Set.of(P0, P1), committed, ends, restored);
    }

    @Test
    void aPartitionBehindItsEndWhoseCommittedOffsetDoesNotMoveForTheTimeoutIsStalled() {
        Map<TopicPartition, Long> ends = Map.of(P0, 100L, P1, 100L);
        at(Duration.ZERO, Map.of(P0, 40L, P1, 40L), ends, false);
        at(Duration.ofMinutes(3), Map.of(P0, 40L, P1, 70L), ends, false);
        assertThat(watch.stalls()).isEmpty();
        at(Duration.ofMinutes(5), Map.of(P0, 40L, P1, 90L), ends, false);
        assertThat(watch.stalls()).singleElement().satisfies(s -> {
            assertThat(s.partition()).isEqualTo(P0);
            assertThat(s.committed()).isEqualTo(40);
            assertThat(s.end()).isEqualTo(100);
            assertThat(s.since()).isEqualTo(Duration.ofMinutes(5));
        });
        // It moves again: no longer stalled.
        at(Duration.ofMinutes(6), Map.of(P0, 41L, P1, 100L), ends, false);
        assertThat(watch.stalls()).isEmpty();
    }

    @Test
    void aQuietPartitionThatIsCaughtUpIsNeverStalled() {
        Map<TopicPartition, Long> ends = Map.of(P0, 100L, P1, 7L);
        for (int minute = 0; minute <= 20; minute += 5) {
            at(Duration.ofMinutes(minute), Map.of(P0, 100L, P1, 7L), ends, false);
        }
        assertThat(watch.stalls()).isEmpty();
    }

    @Test
    void restorationCountsAsProgressAndUnknownOffsetsAsNoEvidence() {
        Map<TopicPartition, Long> ends = Map.of(P0, 100L, P1, 100L);
        at(Duration.ZERO, Map.of(P0, 10L), ends, false);
        at(Duration.ofMinutes(4), Map.of(P0, 10L), ends, true);
        at(Duration.ofMinutes(8), Map.of(P0, 10L), ends, false);
        assertThat(watch.stalls()).as("restored at minute 4: the clock starts again there").isEmpty();
        at(Duration.ofMinutes(9), Map.of(P0, 10L), ends, false);
        assertThat(watch.stalls()).extracting(ProgressWatch.Stall::partition).containsExactly(P0);
        // P1 never had a committed offset: where its consumer starts is not known, so it is not judged.
        at(Duration.ofMinutes(30), Map.of(P0, 10L), ends, false);
        assertThat(watch.stalls()).extracting(ProgressWatch.Stall::partition).containsExactly(P0);
    }

    @Test
    void aPartitionNoLongerOwnedIsForgotten() {
        Map<TopicPartition, Long> ends = Map.of(P0, 100L, P1, 100L);
        at(Duration.ZERO, Map.of(P0, 10L, P1, 10L), ends, false);
        at(Duration.ofMinutes(6), Map.of(P0, 10L, P1, 10L), ends, false);
        assertThat(watch.stalls()).hasSize(2);
        clock.set(Duration.ofMinutes(7).toNanos());
        watch.observe(Set.of(P1), Map.of(P1, 10L), ends, false);
        assertThat(watch.stalls()).extracting(ProgressWatch.Stall::partition).containsExactly(P1);
        // Owned again later: judged from then on, not from the old mark.
        clock.set(Duration.ofMinutes(8).toNanos());
        watch.observe(Set.of(P0, P1), Map.of(P0, 10L, P1, 10L), ends, false);
        assertThat(watch.stalls()).extracting(ProgressWatch.Stall::partition).containsExactly(P1);
    }
}
