package io.streamfit.app.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.state.LabelCodec;
import io.streamfit.app.state.WriteAtCommitStore;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The micro-batches of one task: the validated timesteps that wait for their model's next call,
 * by model key, in arrival order, and the policy that says when a batch runs: full
 * ({@code batch.timesteps}), its oldest timestep has waited {@code batch.max.wait.ms}, or (with
 * {@code batch.flush.when.idle}) the task has drained its fetched input.
 *
 * <p>Exactly-once: with batches of more than one timestep every buffered timestep that is still
 * waiting when the task commits is in the logged pending store, so that the committed stores,
 * outputs and input offsets always describe the same records; a restarted task
 * {@link #recover recovers} its unfinished batches from the store and completes them. Store keys
 * are the model key, a NUL, and the position in the batch.
 *
 * <p>Most batches fill and run within one commit interval, so their timesteps are written to the
 * store only when a commit finds them waiting ({@link WriteAtCommitStore}); a batch that ran before
 * costs the store nothing. Where the store cannot hold writes back, each timestep is written as it
 * is buffered.
 */
final class MicroBatcher {

    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    /** Separates the model key from the batch position in pending store keys. */
    private static final char SEPARATOR = '\u0000';

    private final KeyValueStore<String, byte[]> store;
    private final int size;
    private final long maxWaitMs;
    private final long maxWaitNanos;
    private final boolean flushWhenIdle;
    private final Deserializer<Timestep> decoder = StreamfitSerdes.timestep().deserializer();
    /** Waiting timesteps by model key; insertion order is the order in which batches were started. */
    private final Map<String, List<PendingTimestep>> pending = new LinkedHashMap<>();
    /** Entries each model key has in the store (written by this batcher or found at recovery). */
    private final Map<String, Integer> stored = new HashMap<>();
    /** Model keys with buffered timesteps that are not in the store yet. */
    private final Set<String> unwritten = new LinkedHashSet<>();
    /** The store that lets the writes wait for the commit, or {@code null}: written as buffered. */
    private final WriteAtCommitStore atCommit;

    /**
     * @param size          timesteps per batch ({@code batch.timesteps}, >= 1)
     * @param maxWaitMs     longest a timestep waits ({@code batch.max.wait.ms}, >= 0)
     * @param flushWhenIdle whether a partial batch runs once the task has drained its input
     */
    MicroBatcher(KeyValueStore<String, byte[]> store, int size, long maxWaitMs, boolean flushWhenIdle) {
        if (size < 1 || maxWaitMs < 0) {
            throw new IllegalArgumentException("invalid micro-batch settings: " + size + " timesteps, " + maxWaitMs
                    + " ms");
        }
        this.store = store;
        this.size = size;
        this.maxWaitMs = maxWaitMs;
        this.maxWaitNanos = Duration.ofMillis(maxWaitMs).toNanos();
        this.flushWhenIdle = flushWhenIdle;
        this.atCommit = size > 1 ? WriteAtCommitStore.find(store).orElse(null) : null;
        if (atCommit != null) {
            atCommit.deferTo(new WriteAtCommitStore.Deferred() {
                @Override
                public void write() {
                    writeUnwritten();
                }

                @Override
                public boolean holds() {
                    return !unwritten.isEmpty();
                }
            });
        }
    }

    /**
     * How often the task should call {@link #due}: as often as Streams punctuates when flushing
     * when idle (about once per pass over the fetched records, so a tick without input means the
     * task drained what it fetched); otherwise a quarter of the wait, so a partial batch runs at
     * most a quarter late.
     */
    Duration tick() {
        return Duration.ofMillis(flushWhenIdle && size > 1 ? 1 : Math.max(1, Math.min(maxWaitMs / 4, 100)));
    }

    /**
     * Reads the unfinished micro-batches of this task from the pending store, by model key, in
     * batch order. Call once, before the task's first record or punctuation; the timesteps become
     * this batcher's pending ones.
     */
    Map<String, List<PendingTimestep>> recover() {
        Map<String, TreeMap<Integer, PendingTimestep>> byKey = new HashMap<>();
        List<String> undecodable = new ArrayList<>();
        long now = System.nanoTime();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                int sep = kv.key.lastIndexOf(SEPARATOR);
                // The entry itself must decode (else stop: see LearnProcessor#recover); the input
                // record in it is decoded again below.
                boolean joined = LabelCodec.isLabelWait(kv.value);
                var joinedValue = joined ? LabelCodec.decode(kv.value) : null;
                PendingTimestep.Stored s = joined ? null : PendingTimestep.Stored.decode(kv.value);
                try {
                    PendingTimestep p = joined ? LabelJoin.pending(joinedValue, now)
                            : new PendingTimestep(s.series(), decoder.deserialize("", s.origin().value()), s.origin(),
                                    now);
                    byKey.computeIfAbsent(kv.key.substring(0, sep), k -> new TreeMap<>())
                            .put(Integer.parseInt(kv.key.substring(sep + 1)), p);
                } catch (io.streamfit.schemas.SchemaRegistry.RegistryUnavailableException e) {
                    throw e; // stored input in the registry format waits for the registry; never dropped for it
                } catch (RuntimeException e) {
                    // It was valid when it was buffered; a different decoder version is the only way here.
                    LOG.warn("Dropping pending timestep {} that no longer decodes: {}", kv.key, e.getMessage());
                    undecodable.add(kv.key);
                }
            }
        }
        undecodable.forEach(store::delete);
        Map<String, List<PendingTimestep>> out = new LinkedHashMap<>();
        byKey.forEach((key, entries) -> {
            List<PendingTimestep> list = new ArrayList<>(entries.values());
            pending.put(key, list);
            stored.put(key, entries.lastKey() + 1);
            out.put(key, List.copyOf(list));
            LOG.info("Model '{}' resumes a micro-batch of {} pending timesteps", key, list.size());
        });
        return out;
    }

    /**
     * Buffers {@code p} for the batch of {@code key}.
     *
     * @return whether the batch is now full
     */
    boolean add(String key, PendingTimestep p) {
        List<PendingTimestep> batch = pending.computeIfAbsent(key, k -> new ArrayList<>(size));
        batch.add(p);
        if (size > 1) {
            unwritten.add(key);
            if (atCommit == null || !atCommit.defers()) {
                writeUnwritten();
            }
        }
        return batch.size() >= size;
    }

    /** Writes the buffered timesteps that are not in the store yet: at a commit, or as they come. */
    private void writeUnwritten() {
        for (String key : unwritten) {
            List<PendingTimestep> batch = pending.get(key);
            for (int position = stored.getOrDefault(key, 0); position < batch.size(); position++) {
                byte[] entry = batch.get(position).encode();
                try {
                    store.put(storeKey(key, position), entry);
                } catch (StreamsException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // The store's fault, not the record's (it passed the screen): the processing
                    // exception handler would dead-letter a good record and go on with a failing store.
                    throw new FaultClass.InstanceFault("the pending store " + store.name() + " failed to buffer a "
                            + "timestep of model '" + key + "'", e);
                }
                stored.put(key, position + 1);
            }
        }
        unwritten.clear();
    }

    /** The timesteps waiting for the batch of {@code key}, oldest first (empty when none). */
    List<PendingTimestep> pending(String key) {
        List<PendingTimestep> batch = pending.get(key);
        return batch == null ? List.of() : batch;
    }

    /**
     * The model keys whose batch should run now: those whose oldest timestep has waited long
     * enough and, when the task was {@code idle} for a tick and flushing when idle is on, every
     * key with a partial batch (waiting longer would add latency without adding timesteps to the
     * batch until the next fetch).
     */
    List<String> due(boolean idle, long nowNanos) {
        boolean all = idle && flushWhenIdle;
        List<String> out = new ArrayList<>();
        pending.forEach((key, batch) -> {
            if (!batch.isEmpty() && (all || nowNanos - batch.get(0).arrivedNanos() >= maxWaitNanos)) {
                out.add(key);
            }
        });
        return out;
    }

    /** The batch of {@code key} ran (or went to the dead letters): forget it, here and in the store. */
    void clear(String key) {
        pending.remove(key);
        unwritten.remove(key);
        Integer entries = stored.remove(key);
        if (entries != null) {
            for (int i = 0; i < entries; i++) {
                store.delete(storeKey(key, i));
            }
        }
    }

    private static String storeKey(String modelKey, int position) {
        return modelKey + SEPARATOR + position;
    }
}
