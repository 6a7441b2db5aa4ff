package io.streamfit.app.backfill;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The streaming shuffle buffer of {@code tf.data.Dataset.shuffle}: it holds up to {@code capacity}
 * elements; once full, every new element takes the place of a uniformly drawn buffered one, which
 * is emitted; {@link #drain} emits the rest in random order. Every element offered is emitted
 * exactly once, and memory stays at {@code capacity} elements however long the stream is. An
 * element moves at most about {@code capacity} places forward, and on average that far back, so
 * the buffer should be large against the runs of similar elements in the input.
 *
 * <p>The order depends only on the seed and the input order ({@link Random}'s generator is
 * specified by its Javadoc, so it is the same on every JVM). Capacity 0 passes elements through
 * unchanged. Not thread-safe.
 *
 * @param <T> the element type
 */
public final class ShuffleBuffer<T> {

    private final int capacity;
    private final Random random;
    private final List<T> buffer;

    /**
     * @param capacity elements held at most (>= 0; 0 turns shuffling off)
     * @param seed     seed of the random choices
     */
    public ShuffleBuffer(int capacity, long seed) {
        if (capacity < 0) {
            throw new IllegalArgumentException("shuffle buffer capacity must be >= 0, got " + capacity);
        }
        this.capacity = capacity;
        this.random = new Random(seed);
        // Grown as filled, so a large capacity over a short input costs nothing.
        this.buffer = new ArrayList<>(Math.min(capacity, 1024));
    }

    /** Offers the next element; emits one buffered element to {@code out} when the buffer is full. */
    public void add(T element, Consumer<? super T> out) {
        if (capacity == 0) {
            out.accept(element);
            return;
        }
        if (buffer.size() < capacity) {
            buffer.add(element);
            return;
        }
        int i = random.nextInt(capacity);
        T chosen = buffer.get(i);
        buffer.set(i, element);
        out.accept(chosen);
    }

    /** Emits every buffered element in random order; the buffer is empty afterwards. */
    public void drain(Consumer<? super T> out) {
        while (!buffer.isEmpty()) {
            int i = random.nextInt(buffer.size());
            int last = buffer.size() - 1;
            T chosen = buffer.get(i);
            // Swap-remove keeps each draw O(1); the order of the rest does not matter, the draw is uniform.
            buffer.set(i, buffer.get(last));
            buffer.remove(last);
            out.accept(chosen);
        }
    }

    /** Elements held now, at most the capacity. */
    public int size() {
        return buffer.size();
    }

    public int capacity() {
        return capacity;
    }
}
