package io.streamfit.app.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.TreeMap;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.state.LabelCodec;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.LabelWait;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The delayed-labels join of one task over a sorted map in memory, for a replay of the history
 * ({@code streamfit backfill}): the stream's {@link LabelJoin} itself, so the same rules and bounds
 * ({@code labels.max.wait.timesteps}, {@code labels.max.wait.ms} of record time) decide what
 * matches, expires, is unmatched or a duplicate. What differs is only what the stream does around
 * it: no model call sits between features and their wait (features that wait for labels wait at
 * once, with nothing served), nothing is written to a changelog or the dead letters (the outcomes
 * are counted), and {@link #sweep} runs when the caller says, not on the wall clock.
 *
 * <p>Memory: the entries the bounds allow (waiting features with their record bytes, waiting labels,
 * flags of fully labelled timesteps), as in the stream's labels store; the caller sweeps now and
 * then so that entries past the time bound of series that went quiet leave too. Not thread-safe.
 */
public final class MemoryLabelJoin {

    /**
     * What became of a label record: {@code joined} is the timestep to train on now (the stored
     * features with this label's truths); {@code refused} says why the stream would dead-letter it;
     * both null: it waits for its features.
     */
    public record LabelOutcome(Timestep joined, Rejection refused) {
    }

    /** Streams' String serde orders store keys by their UTF-8 bytes; so does this map. */
    private static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private final NavigableMap<String, byte[]> entries = new TreeMap<>(UTF8_ORDER);
    private final LabelJoin join;
    private long matched;
    private long expired;
    private long unmatched;
    private long duplicate;
    private long waitingFeatures;

    /**
     * @param maxWaitTimesteps {@code labels.max.wait.timesteps} (>= 0)
     * @param maxWaitMs        {@code labels.max.wait.ms} (>= 0)
     */
    public MemoryLabelJoin(long maxWaitTimesteps, long maxWaitMs) {
        this.join = new LabelJoin(new MapEntries(entries), maxWaitTimesteps, maxWaitMs, new Counter());
    }

    /**
     * Features of {@code series} that passed the screen and the order check arrive.
     *
     * @param last       the series' previous timestep in this task ({@link Long#MIN_VALUE}: none)
     * @param streamTime the task's stream time with this record, ms
     * @return what the model trains on now: the features with the truths of labels that came first,
     *         or the features as they came
     */
    public Timestep features(String series, Timestep ts, Origin origin, long last, long streamTime) {
        PendingTimestep p = new PendingTimestep(series, ts, origin, 0L);
        PendingTimestep joined = join.features(series, ts, origin, last, streamTime, 0L);
        if (joined != null) {
            p = joined;
        }
        if (p.awaitsLabels()) {
            join.keepUnserved(p);
        }
        return p.timestep();
    }

    /**
     * A screened label record of {@code series} arrives.
     *
     * @param last       the series' last timestep in this task ({@link Long#MIN_VALUE}: none)
     * @param streamTime the task's stream time with this record, ms
     */
    public LabelOutcome label(String series, Labels labels, Origin origin, long last, long streamTime) {
        LabelJoin.Outcome outcome = join.label(series, labels, origin, last, streamTime);
        if (outcome instanceof LabelJoin.Matched m) {
            return new LabelOutcome(m.item().timestep(), null);
        }
        if (outcome instanceof LabelJoin.Refused r) {
            if (Rejection.LABEL_DUPLICATE.equals(r.reason())) {
                duplicate++;
            } else {
                unmatched++;
            }
            return new LabelOutcome(null, new Rejection(r.reason(), r.message()));
        }
        return new LabelOutcome(null, null);
    }

    /** Drops every entry past {@code labels.max.wait.ms} of {@code streamTime}. */
    public void sweep(long streamTime) {
        join.sweep(streamTime, Integer.MAX_VALUE);
    }

    /** Entries held now: waiting features, waiting labels and flags of labelled timesteps. */
    public int entries() {
        return entries.size();
    }

    /** Label records that joined their features. */
    public long matched() {
        return matched;
    }

    /** Features that waited for labels and were dropped without any. */
    public long expired() {
        return expired;
    }

    /** Label records that found no features within the bounds ({@code label-unmatched} dead letters in the stream). */
    public long unmatched() {
        return unmatched;
    }

    /** Label records for an object or sum that had its label ({@code label-duplicate}). */
    public long duplicate() {
        return duplicate;
    }

    /** Features waiting for labels now. */
    public long waitingFeatures() {
        return waitingFeatures;
    }

    /** Label records waiting for their features now. */
    public long waitingLabels() {
        long n = 0;
        for (byte[] value : entries.values()) {
            LabelWait w = LabelCodec.decode(value);
            if (w.getStage() == LabelCodec.LABELS_WAIT) {
                n += w.getLabels().size();
            }
        }
        return n;
    }

    private final class Counter implements LabelJoin.Listener {
        @Override
        public void expired(String series) {
            expired++;
        }

        @Override
        public void unmatched(String series, Origin label, String why) {
            unmatched++;
        }

        @Override
        public void waiting(String series, int delta) {
            waitingFeatures += delta;
        }

        @Override
        public void matched(String series, long delayMs) {
            matched++;
        }
    }

    /** The join's entries in a sorted map; the join never writes while it iterates. */
    private record MapEntries(NavigableMap<String, byte[]> map) implements LabelJoin.Entries {
        @Override
        public byte[] get(String key) {
            return map.get(key);
        }

        @Override
        public void put(String key, byte[] value) {
            map.put(key, value);
        }

        @Override
        public void delete(String key) {
            map.remove(key);
        }

        @Override
        public KeyValueIterator<String, byte[]> range(String from, String to) {
            NavigableMap<String, byte[]> view = map;
            if (from != null) {
                view = view.tailMap(from, true);
            }
            if (to != null) {
                view = view.headMap(to, true);
            }
            Iterator<Map.Entry<String, byte[]>> it = view.entrySet().iterator();
            return new KeyValueIterator<>() {
                private Map.Entry<String, byte[]> next = it.hasNext() ? it.next() : null;

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public KeyValue<String, byte[]> next() {
                    if (next == null) {
                        throw new NoSuchElementException();
                    }
                    KeyValue<String, byte[]> out = KeyValue.pair(next.getKey(), next.getValue());
                    next = it.hasNext() ? it.next() : null;
                    return out;
                }

                @Override
                public String peekNextKey() {
                    if (next == null) {
                        throw new NoSuchElementException();
                    }
                    return next.getKey();
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
