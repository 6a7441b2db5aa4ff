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
 * memory is loaded (restored from its checkpoint, or new) on demand; before a model leaves,
 * {@code beforeEvict} completes what it still holds (its pending micro-batch), because the store,
 * not memory, is the truth.
 */
final class ModelCache implements AutoCloseable {

    private final ModelMemory memory;
    private final Function<String, ModelSlot> loader;
    private final Consumer<ModelSlot> beforeEvict;
    private final LinkedHashMap<String, ModelSlot> live = new LinkedHashMap<>(16, 0.75f, true);
    /** Whether an eviction is under way (its beforeEvict may resize models; they do not evict again). */
    private boolean evicting;

    /**
     * @param memory      the instance's budget, which this cache adds to
     * @param loader      loads the model of a key that is not in memory
     * @param beforeEvict runs on a model about to leave memory
     */
    ModelCache(ModelMemory memory, Function<String, ModelSlot> loader, Consumer<ModelSlot> beforeEvict) {
        this.memory = memory;
        this.loader = loader;
        this.beforeEvict = beforeEvict;
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
        if (evicting) {
            return;
        }
        evicting = true;
        try {
            while (memory.over() && live.size() > 1) {
                Iterator<ModelSlot> it = live.values().iterator();
                ModelSlot eldest = it.next();
                if (eldest.key.equals(keep)) {
                    if (!it.hasNext()) {
                        return;
                    }
                    eldest = it.next();
                }
                beforeEvict.accept(eldest);
                // beforeEvict may have discarded it already (its batch failed and it went back to the store).
                if (remove(eldest.key)) {
                    memory.evicted();
                }
            }
        } finally {
            evicting = false;
        }
    }

    /**
     * Drops the model of {@code key} from memory without {@code beforeEvict} (its memory state is
     * no longer trusted); the next {@link #get} loads it from the store again.
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
        return true;
    }

    /** The models in memory, least recently used first (a copy). */
    List<ModelSlot> live() {
        return new ArrayList<>(live.values());
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
