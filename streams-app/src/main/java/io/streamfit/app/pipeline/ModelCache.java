package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The models of a task in memory: at most {@code maxLive}, least recently used first out. A model
 * not in memory is loaded (restored from its checkpoint, or new) on demand; before a model leaves,
 * {@code beforeEvict} completes what it still holds (its pending micro-batch), because the store,
 * not memory, is the truth.
 */
final class ModelCache implements AutoCloseable {

    private final int maxLive;
    private final Function<String, ModelSlot> loader;
    private final Consumer<ModelSlot> beforeEvict;
    private final LinkedHashMap<String, ModelSlot> live = new LinkedHashMap<>(16, 0.75f, true);

    /**
     * @param maxLive     models kept in memory (>= 1)
     * @param loader      loads the model of a key that is not in memory
     * @param beforeEvict runs on a model about to leave memory
     */
    ModelCache(int maxLive, Function<String, ModelSlot> loader, Consumer<ModelSlot> beforeEvict) {
        if (maxLive < 1) {
            throw new IllegalArgumentException("models in memory must be >= 1, got " + maxLive);
        }
        this.maxLive = maxLive;
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
        live.put(key, slot);
        if (live.size() > maxLive) {
            Iterator<Map.Entry<String, ModelSlot>> it = live.entrySet().iterator();
            ModelSlot eldest = it.next().getValue();
            beforeEvict.accept(eldest);
            // beforeEvict may have discarded it already (its batch failed and it went back to the store).
            if (live.remove(eldest.key) != null) {
                eldest.close();
            }
        }
        return slot;
    }

    /**
     * Drops the model of {@code key} from memory without {@code beforeEvict} (its memory state is
     * no longer trusted); the next {@link #get} loads it from the store again.
     */
    void discard(String key) {
        ModelSlot slot = live.remove(key);
        if (slot != null) {
            slot.close();
        }
    }

    /** The models in memory, least recently used first (a copy). */
    List<ModelSlot> live() {
        return new ArrayList<>(live.values());
    }

    @Override
    public void close() {
        live.values().forEach(ModelSlot::close);
        live.clear();
    }
}
