package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.scope=global}: the series' last timesteps live in the series store, so the one
 * model's checkpoint (and its estimate in memory) stays the same size however many series there
 * are; the store is what rejects a timestep that does not rise, after a restart too; a checkpoint
 * of an earlier version that carries the series has them moved into the store.
 */
class GlobalSeriesStoreTopologyTest {

    private static final int M = 2;
    private static final String NOT_INCREASING = "timestep-not-increasing";

    @TempDir
    Path dir;

    private TestConfigs.Builder config(String name, int batchTimesteps) {
        return TestConfigs.regressor(M).app("series-store-" + name).stateDir(dir.resolve(name))
                .with("model.scope", "global").with("model.hidden", 4).with("batch.timesteps", batchTimesteps)
                .with("batch.max.wait.ms", 3_600_000).with("batch.flush.when.idle", false);
    }

    private static Timestep record(String series, long t) {
        Random rnd = new Random(series.hashCode() * 31L + t);
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float[] x = {(float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), (double) (x[0] - x[1]), null));
        }
        return new Timestep(series, t, objs, null);
    }

    private static String series(int i) {
        return "series-" + i;
    }

    /** Sends {@code timesteps} timesteps of each of {@code n} series, timestep by timestep. */
    private static void stream(TopologyHarness h, int n, int timesteps) {
        for (int t = 0; t < timesteps; t++) {
            for (int i = 0; i < n; i++) {
                h.send(record(series(i), t));
            }
        }
    }

    private static <V> Map<String, V> contents(KeyValueStore<String, V> store) {
        Map<String, V> out = new TreeMap<>();
        try (KeyValueIterator<String, V> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, V> kv = it.next();
                out.put(kv.key, kv.value);
            }
        }
        return out;
    }

    private static int encodedSize(ModelCheckpoint cp) {
        return StreamfitSerdes.modelCheckpoint().serializer().serialize("", cp).length;
    }

    /**
     * A copy through the serde (a copy builder would deep-copy through Avro's global class lookup,
     * which does not trust the generated classes).
     */
    private static ModelCheckpoint copy(ModelCheckpoint cp) {
        return StreamfitSerdes.modelCheckpoint().decode(StreamfitSerdes.modelCheckpoint().encode(cp));
    }

    private static double modelMemory(TopologyHarness h) {
        return h.metrics().registry().get("streamfit.model.cache.bytes").gauge().value();
    }

    private static List<String> reasons(TopologyHarness h) {
        return h.deadLetters().readRecordsToList().stream()
                .map(r -> new String(r.headers().lastHeader("error.reason").value(), StandardCharsets.UTF_8))
                .toList();
    }

    private record Run(int checkpointBytes, ModelCheckpoint checkpoint, double memoryBytes, int seriesStored) {
    }

    /**
     * {@code n} series of 3 timesteps each, in 24 micro-batches whatever {@code n} (8 divides it);
     * without the outlier guard, whose window of recent targets fills with records, not series.
     */
    private Run run(String name, int n) {
        try (TopologyHarness h = TopologyHarness.start(config(name, n * 3 / 24)
                .with("outlier.targets.threshold", 0).toMap())) {
            stream(h, n, 3);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(h.sums().getQueueSize()).isEqualTo(n * 3L);
            ModelCheckpoint cp = h.storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY);
            return new Run(encodedSize(cp), cp, modelMemory(h), contents(h.<Long>store(Names.SERIES_STORE)).size());
        }
    }

    private static Set<String> learnStores(String scope) {
        TopologyDescription description = StreamfitTopology.build(TestConfigs.regressor(M).app("stores")
                .with("model.scope", scope).toConfig(), new StreamfitMetrics(new SimpleMeterRegistry())).describe();
        return description.subtopologies().stream().flatMap(s -> s.nodes().stream())
                .filter(n -> n.name().equals(Names.LEARN))
                .flatMap(n -> ((TopologyDescription.Processor) n).stores().stream()).collect(Collectors.toSet());
    }

    @Test
    void onlyTheGlobalScopeHasTheSeriesStore() {
        Set<String> series = Set.of(Names.MODEL_STORE, Names.PENDING_STORE, Names.GOOD_STORE, Names.LABELS_STORE,
                Names.VERSIONS_STORE);
        assertThat(learnStores("series")).isEqualTo(series);
        assertThat(learnStores("global")).containsExactlyInAnyOrder(Names.MODEL_STORE, Names.PENDING_STORE,
                Names.GOOD_STORE, Names.LABELS_STORE, Names.VERSIONS_STORE, Names.SERIES_STORE);
    }

    @Test
    void theCheckpointDoesNotGrowWithTheNumberOfSeries() {
        Run few = run("few", 8);
        Run many = run("many", 5_000);
        assertThat(few.seriesStored()).isEqualTo(8);
        assertThat(many.seriesStored()).isEqualTo(5_000);
        assertThat(many.checkpoint().getLastTimesteps()).isEmpty();
        assertThat(many.checkpoint().getModelVersion()).isEqualTo(few.checkpoint().getModelVersion());
        // Only the varints of the record count differ (24 against 15,000).
        assertThat(Math.abs(many.checkpointBytes() - few.checkpointBytes())).as("checkpoint bytes %s vs %s",
                many.checkpointBytes(), few.checkpointBytes()).isLessThanOrEqualTo(4);
        // Nor does the model's estimate in memory (models.cache.max.bytes): no series are held there.
        // (It may differ by one model state: whether a good state apart from the checkpoint is kept.)
        assertThat(many.memoryBytes()).isLessThanOrEqualTo(few.memoryBytes()
                + few.checkpoint().getModelState().remaining());
    }

    @Test
    void theSeriesStoreRejectsATimestepThatDoesNotRiseAlsoAfterARestart() {
        int n = 500;
        Map<String, String> first = config("first", 50).toMap();
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness h = TopologyHarness.start(first)) {
            stream(h, n, 3);
            h.sums().readValuesToList();
            h.send(record(series(0), 2));
            h.send(record(series(n - 1), 0));
            h.send(record(series(7), 3));
            assertThat(reasons(h)).containsExactly(NOT_INCREASING, NOT_INCREASING);
            ModelCheckpoint cp = h.storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY);
            assertThat(cp.getLastTimesteps()).as("not in the checkpoint").isEmpty();
            Map<String, Long> stored = contents(h.store(Names.SERIES_STORE));
            assertThat(stored).hasSize(n).containsEntry(series(0), 2L).containsEntry(series(7), 3L);
            // What a new owner restores: the changelogs, i.e. the committed stores.
            committed = h.storeContents();
        }
        assertThat(committed).containsKey(Names.SERIES_STORE);
        Map<String, String> second = new HashMap<>(first);
        second.put("state.dir", dir.resolve("second").toString());
        try (TopologyHarness h = TopologyHarness.start(second)) {
            h.restoreStores(committed);
            h.send(record(series(0), 2));
            h.send(record(series(n - 1), 1));
            h.send(record(series(7), 3));
            h.send(record(series(7), 4));
            h.send(record(series(0), 3));
            h.send(record("new", 0));
            assertThat(reasons(h)).containsExactly(NOT_INCREASING, NOT_INCREASING, NOT_INCREASING);
            // Accepted: written to the store at once, while they wait for their micro-batch.
            assertThat(this.<Long>contents(h.store(Names.SERIES_STORE))).containsEntry(series(7), 4L)
                    .containsEntry(series(0), 3L).containsEntry(series(n - 1), 2L).containsEntry("new", 0L);
        }
    }

    @Test
    void aGlobalCheckpointOfAnEarlierVersionHasItsSeriesMovedIntoTheStore() {
        Map<String, String> first = config("legacy", 1).toMap();
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness h = TopologyHarness.start(first)) {
            for (String s : List.of("a", "b", "c")) {
                h.send(record(s, 0));
            }
            committed = h.storeContents();
        }
        // As an earlier version wrote it: every series' last timestep in the checkpoint. The store
        // has none for a, a higher one for b, a lower one for c.
        ModelCheckpoint cp = (ModelCheckpoint) committed.get(Names.MODEL_STORE).get(Names.GLOBAL_KEY);
        Map<String, Long> legacy = new HashMap<>(Map.of("a", 5L, "b", 7L, "c", 2L, "d", 4L));
        ModelCheckpoint old = copy(cp);
        old.setLastTimesteps(new HashMap<>(legacy));
        committed.get(Names.MODEL_STORE).put(Names.GLOBAL_KEY, old);
        Map<String, Object> series = committed.get(Names.SERIES_STORE);
        series.clear();
        series.put("b", 9L);
        series.put("c", 1L);

        Map<String, String> second = new HashMap<>(first);
        second.put("state.dir", dir.resolve("migrated").toString());
        try (TopologyHarness h = TopologyHarness.start(second)) {
            h.restoreStores(committed);
            h.send(record("a", 5));
            h.send(record("b", 8));
            h.send(record("c", 2));
            assertThat(reasons(h)).containsExactly(NOT_INCREASING, NOT_INCREASING, NOT_INCREASING);
            assertThat(h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY).getLastTimesteps())
                    .as("no batch ran yet: the checkpoint is the old one").isEqualTo(legacy);
            assertThat(this.<Long>contents(h.store(Names.SERIES_STORE)))
                    .containsExactlyInAnyOrderEntriesOf(Map.of("a", 5L, "b", 9L, "c", 2L, "d", 4L));

            h.send(record("a", 6));
            h.send(record("b", 10));
            h.send(record("c", 3));
            h.send(record("e", 0));
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(h.sums().readValuesToList()).extracting(p -> p.getSeries() + "/" + p.getTimestep())
                    .containsExactly("a/6", "b/10", "c/3", "e/0");
            ModelCheckpoint now = h.storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY);
            assertThat(now.getLastTimesteps()).as("written without them").isEmpty();
            assertThat(now.getModelVersion()).isEqualTo(old.getModelVersion() + 4);
            assertThat(this.<Long>contents(h.store(Names.SERIES_STORE)))
                    .containsExactlyInAnyOrderEntriesOf(Map.of("a", 6L, "b", 10L, "c", 3L, "d", 4L, "e", 0L));
        }
    }

    @Test
    void aSeriesThatExpiresBeforeAMigratedCheckpointIsRewrittenDoesNotComeBack() {
        long t0 = 1_000_000;
        Map<String, String> first = config("legacy-ttl", 1).with("model.idle.ttl", 1_000).toMap();
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness h = TopologyHarness.start(first)) {
            h.send("idle", record("idle", 3), t0);
            // Moves the record clock past idle's TTL, with no scan yet (no wall-clock time passes).
            h.send("live", record("live", 0), t0 + 5_000);
            committed = h.storeContents();
        }
        ModelCheckpoint cp = (ModelCheckpoint) committed.get(Names.MODEL_STORE).get(Names.GLOBAL_KEY);
        ModelCheckpoint old = copy(cp);
        old.setLastTimesteps(new HashMap<>(Map.of("idle", 3L, "live", 0L)));
        committed.get(Names.MODEL_STORE).put(Names.GLOBAL_KEY, old);
        committed.get(Names.SERIES_STORE).clear();

        Map<String, String> second = new HashMap<>(first);
        second.put("state.dir", dir.resolve("legacy-ttl-2").toString());
        try (TopologyHarness h = TopologyHarness.start(second)) {
            h.restoreStores(committed);
            h.advanceWallClockTime(Duration.ofSeconds(2));
            assertThat(h.metrics().expiredTotal()).isEqualTo(1);
            assertThat(this.<Long>contents(h.store(Names.SERIES_STORE))).containsExactly(Map.entry("live", 0L));
            // The checkpoint no longer carries the series: a restart does not move "idle" back.
            assertThat(h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY).getLastTimesteps())
                    .isEmpty();
            h.send("idle", record("idle", 0), t0 + 5_001);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(h.sums().readRecordsToList()).extracting(TestRecord::key).containsExactly("idle");
        }
    }
}
