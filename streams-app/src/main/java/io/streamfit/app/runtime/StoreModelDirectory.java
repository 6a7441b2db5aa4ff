package io.streamfit.app.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.PriorityQueue;
import java.util.TreeSet;
import java.util.function.Supplier;

import io.streamfit.app.metrics.ModelDirectory;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.names.Names;
import io.streamfit.app.config.Challengers;
import io.streamfit.app.pipeline.ModelInfos;
import io.streamfit.app.pipeline.ModelVersions;
import io.streamfit.model.SpecFingerprint;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelVersion;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The models of this instance read from its model stores (interactive queries on the active
 * tasks' {@link Names#MODEL_STORE}), so {@code /models} lists every model whose checkpoint is
 * here, whether it is in memory or not, and the heap it takes is that of one page. A page merges
 * each local store's key range after the cursor and decodes only the checkpoints it returns. Reads
 * see what the stream threads last wrote (the stores' caches included), uncommitted or not.
 */
public final class StoreModelDirectory implements ModelDirectory {

    /** Up to this many stored models, {@link #total} counts keys exactly; beyond, it takes the stores' estimate. */
    static final long EXACT_COUNT_LIMIT = 5_000;

    private final Supplier<List<ReadOnlyKeyValueStore<String, ModelCheckpoint>>> stores;
    private final String fingerprint;
    /** Its shape part: checkpoints of other training settings are listed too, they load. */
    private final String shape;
    /** Whether a stored fingerprint other than the configured one has its shape; a handful. */
    private final java.util.Map<String, Boolean> sameShape = new java.util.concurrent.ConcurrentHashMap<>();
    private final int metricsWindow;
    private volatile boolean complete = true;
    private final Supplier<List<ReadOnlyKeyValueStore<String, ModelVersion>>> versionStores;

    /**
     * @param stores        the local model stores, asked again for every request (tasks move)
     * @param fingerprint   the configured spec's fingerprint: checkpoints of another shape are not listed
     * @param metricsWindow window of the prequential metrics
     */
    public StoreModelDirectory(Supplier<List<ReadOnlyKeyValueStore<String, ModelCheckpoint>>> stores,
                               String fingerprint, int metricsWindow) {
        this(stores, List::of, fingerprint, metricsWindow);
    }

    /**
     * @param versionStores the local versions stores, asked again for every request
     */
    public StoreModelDirectory(Supplier<List<ReadOnlyKeyValueStore<String, ModelCheckpoint>>> stores,
                               Supplier<List<ReadOnlyKeyValueStore<String, ModelVersion>>> versionStores,
                               String fingerprint, int metricsWindow) {
        this.versionStores = versionStores;
        this.stores = stores;
        this.fingerprint = fingerprint;
        this.shape = SpecFingerprint.parse(fingerprint).shape();
        this.metricsWindow = metricsWindow;
    }

    /**
     * The model stores of {@code streams}' active tasks on this instance, one per task that has one.
     *
     * @param topology the topology {@code streams} runs: only the tasks of the subtopology that holds
     *                 a store are asked for it, so that the other tasks (global scope's routing
     *                 tasks) do not read as stores that went away
     */
    public static StoreModelDirectory of(KafkaStreams streams, Topology topology, String fingerprint,
                                         int metricsWindow) {
        TopologyDescription description = topology.describe();
        Set<Integer> models = subtopologiesWith(description, Names.MODEL_STORE);
        Set<Integer> versions = subtopologiesWith(description, Names.VERSIONS_STORE);
        return new StoreModelDirectory(() -> localStores(streams, models, Names.MODEL_STORE),
                () -> localStores(streams, versions, Names.VERSIONS_STORE), fingerprint, metricsWindow);
    }

    /** The ids of the subtopologies whose processors use the store {@code name}. */
    static Set<Integer> subtopologiesWith(TopologyDescription description, String name) {
        Set<Integer> out = new TreeSet<>();
        for (TopologyDescription.Subtopology sub : description.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Processor p && p.stores().contains(name)) {
                    out.add(sub.id());
                }
            }
        }
        return out;
    }

    @Override
    public Variants variants(String key) {
        for (ReadOnlyKeyValueStore<String, ModelCheckpoint> store : stores()) {
            ModelCheckpoint champion = read(() -> store.get(key));
            if (champion == null || !listed(champion)) {
                continue;
            }
            java.util.Map<String, ModelInfo> models = new java.util.LinkedHashMap<>();
            models.put(Challengers.CHAMPION, ModelInfos.of(key, champion, metricsWindow));
            String leader = Challengers.CHAMPION;
            List<KeyValue<String, ModelCheckpoint>> challengers = new ArrayList<>();
            try (KeyValueIterator<String, ModelCheckpoint> it = read(() -> store.range(Names.challengerKey(key, ""),
                    Names.challengerKey(key, "\uffff")))) {
                if (it != null) {
                    it.forEachRemaining(challengers::add);
                }
            }
            for (KeyValue<String, ModelCheckpoint> c : challengers) {
                String name = c.key.substring(key.length() + 1);
                if (c.value != null && !Names.isChallengerKey(name)) {
                    models.put(name, ModelInfos.of(key, c.value, metricsWindow));
                }
            }
            for (String name : models.keySet()) {
                if (ModelInfos.leads(champion, name)) {
                    leader = name;
                }
            }
            return models.size() == 1 ? null : new Variants(leader, models);
        }
        return null;
    }

    @Override
    public List<VersionInfo> versions(String key) {
        for (ReadOnlyKeyValueStore<String, ModelVersion> store : versionStores.get()) {
            List<ModelVersion> kept = read(() -> ModelVersions.list(store, key));
            if (kept != null && !kept.isEmpty()) {
                List<VersionInfo> out = new ArrayList<>(kept.size());
                for (ModelVersion v : kept) {
                    out.add(new VersionInfo(v.getGeneration(), v.getKeptAtMs(), v.getAtTimestep(),
                            v.getInputOffsets(), ModelInfos.of(key, ModelVersions.checkpointOf(v), metricsWindow)));
                }
                return out;
            }
        }
        return model(key) == null ? null : List.of();
    }

    private static <V> List<ReadOnlyKeyValueStore<String, V>> localStores(KafkaStreams streams,
                                                                          Set<Integer> subtopologies, String name) {
        TreeSet<Integer> partitions = new TreeSet<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                if (subtopologies.contains(task.taskId().subtopology())) {
                    partitions.add(task.taskId().partition());
                }
            }
        }
        List<ReadOnlyKeyValueStore<String, V>> out = new ArrayList<>();
        for (int p : partitions) {
            try {
                out.add(streams.store(StoreQueryParameters.fromNameAndType(name,
                        QueryableStoreTypes.<String, V>keyValueStore()).withPartition(p)));
            } catch (InvalidStateStoreException e) {
                // The task is restoring or moving: nothing to list from it now.
            }
        }
        return out;
    }

    @Override
    public ModelInfo model(String key) {
        if (Names.isChallengerKey(key)) {
            return null;
        }
        for (ReadOnlyKeyValueStore<String, ModelCheckpoint> store : stores()) {
            ModelCheckpoint cp = read(() -> store.get(key));
            if (cp != null && listed(cp)) {
                return ModelInfos.of(key, cp, metricsWindow);
            }
        }
        return null;
    }

    @Override
    public List<ModelInfo> page(String after, int count) {
        if (count < 1) {
            return List.of();
        }
        String cursor = after == null || after.isEmpty() ? null : after;
        List<KeyValueIterator<String, ModelCheckpoint>> open = new ArrayList<>();
        try {
            PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparing((Head h) -> h.entry.key));
            for (ReadOnlyKeyValueStore<String, ModelCheckpoint> store : stores()) {
                KeyValueIterator<String, ModelCheckpoint> it = read(() -> store.range(cursor, null));
                if (it == null) {
                    continue;
                }
                open.add(it);
                Head h = Head.next(it, cursor);
                if (h != null) {
                    heads.add(h);
                }
            }
            List<ModelInfo> page = new ArrayList<>(Math.min(count, 1024));
            while (page.size() < count && !heads.isEmpty()) {
                Head h = heads.poll();
                // A challenger's model (<key> NUL <name>) is shown with its champion's, not listed apart.
                if (h.entry.value != null && listed(h.entry.value) && !Names.isChallengerKey(h.entry.key)) {
                    page.add(ModelInfos.of(h.entry.key, h.entry.value, metricsWindow));
                }
                Head next = Head.next(h.iterator, cursor);
                if (next != null) {
                    heads.add(next);
                }
            }
            return page;
        } finally {
            open.forEach(KeyValueIterator::close);
        }
    }

    /** The next entry of a store's range after the cursor (range bounds are inclusive). */
    private record Head(KeyValue<String, ModelCheckpoint> entry, KeyValueIterator<String, ModelCheckpoint> iterator) {
        static Head next(KeyValueIterator<String, ModelCheckpoint> it, String cursor) {
            while (it.hasNext()) {
                KeyValue<String, ModelCheckpoint> kv = it.next();
                if (cursor == null || kv.key.compareTo(cursor) > 0) {
                    return new Head(kv, it);
                }
            }
            return null;
        }
    }

    @Override
    public Total total() {
        long estimate = 0;
        for (ReadOnlyKeyValueStore<String, ModelCheckpoint> store : stores()) {
            Long n = read(store::approximateNumEntries);
            estimate += n == null ? 0 : n;
        }
        if (estimate > EXACT_COUNT_LIMIT) {
            return new Total(estimate, false);
        }
        // Few enough to count: walk the keys a page at a time.
        long n = 0;
        String after = null;
        while (true) {
            List<ModelInfo> page = page(after, 1000);
            n += page.size();
            if (page.size() < 1000) {
                return new Total(n, true);
            }
            after = page.get(page.size() - 1).key();
        }
    }

    @Override
    public boolean complete() {
        return complete;
    }

    private List<ReadOnlyKeyValueStore<String, ModelCheckpoint>> stores() {
        List<ReadOnlyKeyValueStore<String, ModelCheckpoint>> all = stores.get();
        complete = true;
        return all;
    }

    /**
     * Whether a checkpoint is of the configured model: of its fingerprint, or of its shape under
     * other training settings (a model that has not saved since they changed: it loads).
     */
    private boolean listed(ModelCheckpoint cp) {
        String stored = cp.getSpecFingerprint();
        if (fingerprint.equals(stored)) {
            return true;
        }
        return sameShape.computeIfAbsent(stored, f -> {
            if (sameShape.size() > 64) {
                sameShape.clear();
            }
            return SpecFingerprint.parse(f).shape().equals(shape);
        });
    }

    /** A store read; null (and the directory incomplete) when the store went away meanwhile (a rebalance). */
    private <T> T read(Supplier<T> call) {
        try {
            return call.get();
        } catch (InvalidStateStoreException e) {
            complete = false;
            return null;
        }
    }
}
