package io.streamfit.app.pipeline;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelVersion;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The kept versions of a task's models ({@code versions-store}, logged): one every
 * {@code model.versions.every} updates, the last {@code model.versions.keep} per model, each a
 * whole checkpoint with the input offsets it had learned up to. A rollback restores one exactly.
 *
 * <p>Store key: the model key, a NUL, then the generation (8 hex digits) and the model version
 * (16 hex digits), so that a model's versions are one key range in the order they were kept
 * (a NUL sorts before every other character, and a series id with one is told apart by the
 * value's {@code modelKey}).
 */
public final class ModelVersions {

    /** Version of {@link ModelVersion}'s meaning. */
    static final int FORMAT = 1;

    private final KeyValueStore<String, ModelVersion> store;
    private final long every;
    private final int keep;

    /**
     * @param every keep a version every this many updates (0: never)
     * @param keep  versions kept per model (>= 1)
     */
    ModelVersions(KeyValueStore<String, ModelVersion> store, long every, int keep) {
        this.store = store;
        this.every = every;
        this.keep = keep;
    }

    /** The store, read-only. */
    ReadOnlyKeyValueStore<String, ModelVersion> store() {
        return store;
    }

    /** The store key of version {@code version} of generation {@code generation} of model {@code key}. */
    static String storeKey(String key, int generation, long version) {
        return String.format(Locale.ROOT, "%s\u0000%08x%016x", key, generation, version);
    }

    /** Whether an update from {@code before} to {@code after} passes a multiple of {@code model.versions.every}. */
    boolean due(long before, long after) {
        return every > 0 && after > before && Math.floorDiv(after, every) > Math.floorDiv(before, every);
    }

    /**
     * Keeps {@code checkpoint} as a version of its model, and drops the oldest beyond
     * {@code model.versions.keep}.
     *
     * @param offsets per input partition ({@code topic-partition}), the last offset the version learned
     */
    void keep(ModelCheckpoint checkpoint, int generation, Map<String, Long> offsets, long nowMs) {
        String key = checkpoint.getModelKey();
        byte[] bytes = StreamfitSerdes.modelCheckpoint().serializer().serialize(null, checkpoint);
        store.put(storeKey(key, generation, checkpoint.getModelVersion()), ModelVersion.newBuilder()
                .setFormatVersion(FORMAT).setModelKey(key).setGeneration(generation)
                .setModelVersion(checkpoint.getModelVersion()).setKeptAtMs(nowMs)
                .setAtTimestep(checkpoint.getLastTimestep()).setInputOffsets(new HashMap<>(offsets))
                .setCheckpoint(ByteBuffer.wrap(bytes)).build());
        List<String> keys = keys(store, key);
        for (int i = 0; i < keys.size() - keep; i++) {
            store.delete(keys.get(i));
        }
    }

    /**
     * The kept version {@code version} of model {@code key}: of {@code generation}, or, when that is
     * null, of the latest generation that has it; null when none is kept.
     */
    ModelVersion find(String key, long version, Integer generation) {
        ModelVersion found = null;
        for (ModelVersion v : list(store, key)) {
            if (v.getModelVersion() == version && (generation == null || v.getGeneration() == generation)) {
                found = v;
            }
        }
        return found;
    }

    /**
     * The newest kept version of model {@code key} at or below {@code version} in generation
     * {@code generation}, or null.
     */
    ModelVersion newestAtOrBelow(String key, int generation, long version) {
        ModelVersion found = null;
        for (ModelVersion v : list(store, key)) {
            if (v.getGeneration() == generation && v.getModelVersion() <= version) {
                found = v;
            }
        }
        return found;
    }

    /** Removes every kept version of {@code key} (its model expired). */
    void deleteAll(String key) {
        for (String k : keys(store, key)) {
            store.delete(k);
        }
    }

    /** The checkpoint a kept version holds. */
    public static ModelCheckpoint checkpointOf(ModelVersion v) {
        ByteBuffer b = v.getCheckpoint().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return StreamfitSerdes.modelCheckpoint().deserializer().deserialize(null, bytes);
    }

    /** The kept versions of {@code key} in {@code store}, oldest first (generation, then version). */
    public static List<ModelVersion> list(ReadOnlyKeyValueStore<String, ModelVersion> store, String key) {
        List<ModelVersion> out = new ArrayList<>();
        try (KeyValueIterator<String, ModelVersion> it = store.range(key + '\u0000', key + '\u0001')) {
            while (it.hasNext()) {
                KeyValue<String, ModelVersion> kv = it.next();
                if (kv.value != null && key.equals(kv.value.getModelKey())) {
                    out.add(kv.value);
                }
            }
        }
        return out;
    }

    private static List<String> keys(ReadOnlyKeyValueStore<String, ModelVersion> store, String key) {
        return list(store, key).stream().map(v -> storeKey(key, v.getGeneration(), v.getModelVersion())).toList();
    }
}
