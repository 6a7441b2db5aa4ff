package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.names.Names;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which series of a task have been idle for longer than {@code model.idle.ttl}, by record time.
 *
 * <p>The logged activity store holds, per series, the largest timestamp of its records, and under
 * the reserved key {@code ""} (no series id is empty: the screen rejects it) the task's clock: the
 * largest timestamp of any record the processor accepted. A series is idle when
 * {@code clock - lastSeen > ttl}. Both are written with every accepted record, in the task's
 * transaction, so after a crash they are exactly what the committed input made them; wall-clock
 * time plays no part in the decision. The processor checks a series when its next record arrives
 * (so a record's fate never depends on when a scan passed), and {@link #scan} finds the idle
 * series of keys that send nothing more, a bounded number per call.
 */
final class IdleExpiry {

    private static final Logger LOG = LoggerFactory.getLogger(IdleExpiry.class);

    /** The key of the clock in the activity store. */
    static final String CLOCK_KEY = "";

    private final KeyValueStore<String, Long> store;
    private final long ttlMs;
    private final int scanKeys;
    private long clock = Long.MIN_VALUE;
    private boolean loaded;
    /** The last series the scan looked at, or null: the next scan starts after it (or at the start). */
    private String cursor;
    /** Where {@link #adopt} goes on, and whether it has passed over every key once since the task opened. */
    private String adoptCursor;
    private boolean adopted;

    /**
     * @param ttlMs    idle time after which a series expires (> 0)
     * @param scanKeys series a {@link #scan} looks at, at most (>= 1)
     */
    IdleExpiry(KeyValueStore<String, Long> store, long ttlMs, int scanKeys) {
        if (ttlMs <= 0 || scanKeys < 1) {
            throw new IllegalArgumentException("invalid idle expiry: ttl " + ttlMs + " ms, " + scanKeys + " keys a scan");
        }
        this.store = store;
        this.ttlMs = ttlMs;
        this.scanKeys = scanKeys;
    }

    /** The task's record clock (the largest accepted record timestamp), or {@link Long#MIN_VALUE}. */
    long clock() {
        load();
        return clock;
    }

    /** No record of the series in the store. */
    static final long NEVER = Long.MIN_VALUE;

    /**
     * A record of {@code series} at {@code timestamp} arrived: moves the clock on and returns the
     * series' last record time before it ({@link #NEVER} when none). The caller expires the series
     * when {@link #wasIdle} says so (the record then starts it afresh) and then calls
     * {@link #touch} with what this returned, or {@link #NEVER} after an expiry: one store read
     * per record.
     */
    long arrive(String series, long timestamp) {
        load();
        if (timestamp > clock) {
            clock = timestamp;
            store.put(CLOCK_KEY, clock);
        }
        Long last = store.get(series);
        return last == null ? NEVER : last;
    }

    /** Whether a series last seen at {@code lastSeen} (from {@link #arrive}) had been idle past the TTL. */
    boolean wasIdle(long lastSeen) {
        return lastSeen != NEVER && idle(lastSeen);
    }

    /** Records that {@code series}, last seen at {@code lastSeen}, had a record at {@code timestamp}. */
    void touch(String series, long timestamp, long lastSeen) {
        if (timestamp > lastSeen) {
            store.put(series, timestamp);
        }
    }

    /** Forgets {@code series} (a tombstone on the changelog at the commit). */
    void forget(String series) {
        store.delete(series);
    }

    /**
     * Looks at the next {@code scanKeys} series after the last call's (from the start after the
     * last one) and returns those idle past the TTL. Bounded work per call, so a task with a
     * million series never stalls; a full pass takes (series / scanKeys) calls.
     */
    List<String> scan() {
        load();
        List<String> idle = new ArrayList<>();
        int seen = 0;
        String last = null;
        boolean more;
        try (KeyValueIterator<String, Long> it = store.range(cursor, null)) {
            while (seen < scanKeys && it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                if (kv.key.equals(CLOCK_KEY) || kv.key.equals(cursor)) {
                    continue;
                }
                seen++;
                last = kv.key;
                if (kv.value != null && idle(kv.value)) {
                    idle.add(kv.key);
                }
            }
            more = it.hasNext();
        }
        cursor = more ? last : null;
        return idle;
    }

    /**
     * Gives the next {@code scanKeys} series of {@code owners} (the store whose keys are the
     * task's series: the model store in series scope, the series store in global scope) that the
     * activity store does not know a record time, the clock as their last record time, until one
     * pass over {@code owners} is done. So state written before {@code model.idle.ttl} was turned
     * on (or by backfill) expires one TTL of record time after the pass first sees it, instead of
     * never. Bounded work per call, like {@link #scan}; a no-op before the first record sets the
     * clock.
     *
     * @return how many series it gave a record time
     */
    int adopt(KeyValueStore<String, ?> owners) {
        load();
        if (adopted || clock == Long.MIN_VALUE) {
            return 0;
        }
        int seen = 0;
        int adoptedNow = 0;
        String last = null;
        boolean more;
        try (KeyValueIterator<String, ?> it = owners.range(adoptCursor, null)) {
            while (seen < scanKeys && it.hasNext()) {
                String key = it.next().key;
                if (key.equals(adoptCursor)) {
                    continue;
                }
                seen++;
                last = key;
                // A challenger's model (<key> NUL <name>) is not a series: its champion's key is.
                if (!key.equals(CLOCK_KEY) && !Names.isChallengerKey(key) && store.get(key) == null) {
                    store.put(key, clock);
                    adoptedNow++;
                }
            }
            more = it.hasNext();
        } catch (StreamsException e) {
            throw e;
        } catch (RuntimeException e) {
            // A value that does not decode (a corrupt checkpoint: its key is quarantined when used)
            // ends the iterator; the keys after it keep no record time until they send again.
            LOG.warn("Idle expiry stopped giving stored series a record time at a value of {} that does not decode: {}",
                    owners.name(), e.toString());
            adopted = true;
            return adoptedNow;
        }
        if (more) {
            adoptCursor = last;
        } else {
            adopted = true;
            adoptCursor = null;
        }
        return adoptedNow;
    }

    private boolean idle(long lastSeen) {
        // The clock is the largest timestamp seen, so it is never below lastSeen: no overflow.
        return clock - lastSeen > ttlMs;
    }

    private void load() {
        if (!loaded) {
            Long c = store.get(CLOCK_KEY);
            clock = c == null ? Long.MIN_VALUE : c;
            loaded = true;
        }
    }
}
