package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The models of a task in memory, least recently used first out while the instance's models take
 * more than their budget ({@link ModelMemory}); the model in use always stays. A model not in
 * memory is loaded (restored from its checkpoint, or new) on demand. A model leaves memory as it
 * is: its checkpoint in the store is its whole state, and its pending micro-batch stays with the
 * batcher (and the pending store) until it runs as it would have, by size or by time. So when a
 * model leaves memory never changes what any model learns: batches close as they would with an
 * unbounded cache, and a run with evictions equals one without, bit for bit.
 */
final class ModelCache implements AutoCloseable {

    private final ModelMemory memory;
    private final Function<String, ModelSlot> loader;
    private final Consumer<String> removed;
    private final LinkedHashMap<String, ModelSlot> live = new LinkedHashMap<>(16, 0.75f, true);

    /**
     * @param memory      the instance's budget, which this cache adds to
     * @param loader      loads the model of a key that is not in memory
     * @param removed     told the key of every model that left memory (evicted, discarded, or at close)
     */
    ModelCache(ModelMemory memory, Function<String, ModelSlot> loader, Consumer<String> removed) {
        this.memory = memory;
        this.loader = loader;
        this.removed = removed;
    }

    /** The model of {@code key}: from memory, else loaded (which may evict the least recently used). */
    ModelSlot get(String key) {
        ModelSlot slot = live.get(key);
        if (slot != null) {
            return slot;
        }
        slot = loader.apply(key);
        memory.loaded();
        live.put(key, slot);
        slot.accountedBytes = slot.memoryBytes();
        memory.add(slot.accountedBytes, 1);
        evictOver(key);
        return slot;
    }

    /** {@code slot} changed what it holds (after a micro-batch): account for it, and keep to the budget. */
    void resized(ModelSlot slot) {
        if (live.get(slot.key) != slot) {
            return;
        }
        long now = slot.memoryBytes();
        memory.add(now - slot.accountedBytes, 0);
        slot.accountedBytes = now;
        evictOver(slot.key);
    }

    /** Evicts the least recently used models other than {@code keep} while the instance is over its budget. */
    private void evictOver(String keep) {
        while (memory.over() && live.size() > 1) {
            Iterator<ModelSlot> it = live.values().iterator();
            ModelSlot eldest = it.next();
            if (eldest.key.equals(keep)) {
                eldest = it.next();
            }
            remove(eldest.key);
            memory.evicted();
        }
    }

    /**
     * Drops the model of {@code key} from memory (its memory state is no longer trusted, or it
     * expired); the next {@link #get} loads it from the store again.
     */
    void discard(String key) {
        remove(key);
    }

    private boolean remove(String key) {
        ModelSlot slot = live.remove(key);
        if (slot == null) {
            return false;
        }
        memory.add(-slot.accountedBytes, -1);
        slot.close();
        removed.accept(key);
        return true;
    }

    /** The models in memory, least recently used first (a copy). */
    List<ModelSlot> live() {
        return new ArrayList<>(live.values());
    }

    /** Whether {@code slot} is the model of its key in memory (not evicted, discarded or replaced). */
    boolean holds(ModelSlot slot) {
        return live.get(slot.key) == slot;
    }

    /** Whether the model of {@code key} is in memory. */
    boolean holdsKey(String key) {
        return live.containsKey(key);
    }

    /** How many models are in memory. */
    int size() {
        return live.size();
    }

    @Override
    public void close() {
        for (String key : new ArrayList<>(live.keySet())) {
            remove(key);
        }
    }
}
