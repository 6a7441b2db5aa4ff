package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class ShuffleBufferTest {

    private static final List<Integer> INPUT = IntStream.range(0, 10_000).boxed().toList();

    /** One epoch through a buffer: what comes out, checking the buffer's size after every add. */
    private static List<Integer> epoch(List<Integer> input, int capacity, long seed) {
        ShuffleBuffer<Integer> buffer = new ShuffleBuffer<>(capacity, seed);
        List<Integer> out = new ArrayList<>();
        for (Integer x : input) {
            buffer.add(x, out::add);
            assertThat(buffer.size()).as("buffered after %d", x).isLessThanOrEqualTo(capacity);
        }
        buffer.drain(out::add);
        assertThat(buffer.size()).isZero();
        return out;
    }

    @Test
    void everyRecordComesOutExactlyOnce() {
        for (int capacity : new int[] {1, 7, 100, 20_000}) {
            List<Integer> out = epoch(INPUT, capacity, 42);
            assertThat(out).as("capacity %d", capacity).hasSize(INPUT.size()).containsExactlyInAnyOrderElementsOf(INPUT);
        }
    }

    @Test
    void sameSeedSameOrderOtherSeedOtherOrder() {
        List<Integer> first = epoch(INPUT, 100, 43);
        assertThat(epoch(INPUT, 100, 43)).isEqualTo(first);
        List<Integer> second = epoch(INPUT, 100, 44);
        assertThat(second).isNotEqualTo(first);
        // Not just a few swaps: most positions differ between two epochs.
        long same = IntStream.range(0, INPUT.size()).filter(i -> first.get(i).equals(second.get(i))).count();
        assertThat(same).isLessThan(INPUT.size() / 10);
    }

    @Test
    void shufflesButOnlyWithinReachOfTheBuffer() {
        int capacity = 100;
        List<Integer> out = epoch(INPUT, capacity, 42);
        assertThat(out).isNotEqualTo(INPUT);
        // Element x is offered when x - capacity elements have come out, and cannot come out at
        // its own offer: it moves at most capacity places forward (backward without limit).
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.get(i) - i).as("places %d moved forward", out.get(i)).isLessThanOrEqualTo(capacity);
        }
        // It is a real shuffle: the mean displacement is of the order of the capacity.
        double meanDisplacement = IntStream.range(0, out.size()).map(i -> Math.abs(i - out.get(i))).average()
                .orElseThrow();
        assertThat(meanDisplacement).isGreaterThan(capacity / 4.0);
    }

    @Test
    void capacityZeroKeepsTheInputOrder() {
        ShuffleBuffer<Integer> buffer = new ShuffleBuffer<>(0, 1);
        List<Integer> out = new ArrayList<>();
        INPUT.forEach(x -> buffer.add(x, out::add));
        assertThat(buffer.size()).isZero();
        assertThat(out).isEqualTo(INPUT);
    }

    @Test
    void aBufferLargerThanTheInputHoldsEverythingUntilTheDrain() {
        ShuffleBuffer<Integer> buffer = new ShuffleBuffer<>(1_000, 5);
        List<Integer> out = new ArrayList<>();
        List<Integer> input = INPUT.subList(0, 500);
        input.forEach(x -> buffer.add(x, out::add));
        assertThat(out).isEmpty();
        assertThat(buffer.size()).isEqualTo(500);
        buffer.drain(out::add);
        assertThat(out).containsExactlyInAnyOrderElementsOf(input).isNotEqualTo(input);
    }

    @Test
    void negativeCapacityIsRejected() {
        assertThatThrownBy(() -> new ShuffleBuffer<>(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }
}
