package io.streamfit.app.pipeline;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The last accepted timestep per series of one model: a record is accepted only when its timestep
 * is above its series' last. Where they are kept depends on {@code model.scope}:
 * <ul>
 * <li>{@link InCheckpoint} ({@code series}): in the slot, and written in the model's checkpoint
 *     ({@code lastTimesteps}); one entry, since the series is the model key.</li>
 * <li>{@link InStore} ({@code global}): in the logged series store, one entry per series, so that
 *     the one model's checkpoint stays the same size however many series there are. A timestep is
 *     written when it is accepted, so it commits in the same transaction as the pending store that
 *     buffers it; the store's cache takes the repeated writes of a series between two commits.</li>
 * </ul>
 */
abstract sealed class SeriesTimesteps permits SeriesTimesteps.InCheckpoint, SeriesTimesteps.InStore {

    /** No timestep of the series yet. */
    static final long NONE = Long.MIN_VALUE;

    /** The last accepted timestep of {@code series}, or {@link #NONE}. */
    abstract long last(String series);

    /** {@code timestep} of {@code series} was accepted (the caller checked it is above {@link #last}). */
    abstract void accept(String series, long timestep);

    /** Raises the last timestep of {@code series} to {@code timestep} if it is below (a recovered pending timestep). */
    abstract void merge(String series, long timestep);

    /** Forgets {@code series} (it expired). */
    abstract void forget(String series);

    /** What the model's checkpoint carries as {@code lastTimesteps}. */
    abstract Map<String, Long> checkpointed();

    /**
     * Takes the {@code lastTimesteps} of the checkpoint the model is restored from.
     *
     * @return how many entries went elsewhere than the checkpoint (the series store), so that the
     *         next checkpoint is written without them
     */
    abstract int restore(Map<String, Long> fromCheckpoint);

    /** An estimate of the heap these take, bytes. */
    abstract long memoryBytes();

    /** In the slot and its checkpoint ({@code model.scope=series}). */
    static final class InCheckpoint extends SeriesTimesteps {

        /** What one entry takes (node, boxed long, key string header). */
        private static final int ENTRY_BYTES = 96;

        private final Map<String, Long> last = new HashMap<>();

        @Override
        long last(String series) {
            Long t = last.get(series);
            return t == null ? NONE : t;
        }

        @Override
        void accept(String series, long timestep) {
            last.put(series, timestep);
        }

        @Override
        void merge(String series, long timestep) {
            last.merge(series, timestep, Math::max);
        }

        @Override
        void forget(String series) {
            last.remove(series);
        }

        @Override
        Map<String, Long> checkpointed() {
            return last;
        }

        @Override
        int restore(Map<String, Long> fromCheckpoint) {
            last.putAll(fromCheckpoint);
            return 0;
        }

        @Override
        long memoryBytes() {
            long bytes = 0;
            for (String series : last.keySet()) {
                bytes += ENTRY_BYTES + 2L * series.length();
            }
            return bytes;
        }
    }

    /** In the logged series store ({@code model.scope=global}); nothing in memory but the store's cache. */
    static final class InStore extends SeriesTimesteps {

        private final KeyValueStore<String, Long> store;

        InStore(KeyValueStore<String, Long> store) {
            this.store = store;
        }

        @Override
        long last(String series) {
            Long t = store.get(series);
            return t == null ? NONE : t;
        }

        @Override
        void accept(String series, long timestep) {
            store.put(series, timestep);
        }

        @Override
        void merge(String series, long timestep) {
            if (timestep > last(series)) {
                store.put(series, timestep);
            }
        }

        @Override
        void forget(String series) {
            store.delete(series);
        }

        @Override
        Map<String, Long> checkpointed() {
            return Map.of();
        }

        /**
         * Migration: a global checkpoint of an earlier version carries every series' last timestep.
         * They move into the store, where it holds none or a lower one (a second restore of the
         * same checkpoint, before a new one replaced it, changes nothing).
         */
        @Override
        int restore(Map<String, Long> fromCheckpoint) {
            fromCheckpoint.forEach(this::merge);
            return fromCheckpoint.size();
        }

        @Override
        long memoryBytes() {
            return 0;
        }
    }
}
