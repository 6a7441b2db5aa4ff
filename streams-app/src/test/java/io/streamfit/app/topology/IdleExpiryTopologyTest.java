package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.idle.ttl}: a series without a record for longer than the TTL, by record time, loses
 * its state in every store (tombstones on the changelogs), in memory and in the metrics; it comes
 * back as a new model; active series are untouched; a restart mid-way changes nothing.
 */
class IdleExpiryTopologyTest {

    private static final int M = 2;
    private static final long TTL = 1_000;
    private static final long T0 = 1_000_000;
    private static final List<String> IDLE = List.of("idle-0", "idle-1", "idle-2", "idle-3", "idle-4");
    private static final String LIVE = "live";

    @TempDir
    Path dir;

    private Map<String, String> props(TestConfigs.Builder b, String name) {
        return b.app("idle-" + name).stateDir(dir.resolve(name)).with("model.hidden", 4)
                .with("batch.timesteps", 2).with("batch.max.wait.ms", 600_000).with("batch.flush.when.idle", false)
                .with("model.idle.ttl", TTL).with("model.idle.scan.keys", 2).toMap();
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

    /** Phase 1: every series has three records (one batch run, one timestep pending); the live one goes on. */
    private static void phase1(TopologyHarness h) {
        for (String s : IDLE) {
            for (int t = 0; t < 3; t++) {
                h.send(s, record(s, t), T0 + t);
            }
        }
        for (int t = 0; t < 6; t++) {
            h.send(LIVE, record(LIVE, t), T0 + t * 100);
        }
    }

    /** Phase 2: the live series moves record time past the TTL of the others; scans run; one series returns. */
    private static void phase2(TopologyHarness h) {
        for (int t = 6; t < 14; t++) {
            h.send(LIVE, record(LIVE, t), T0 + t * 100);
        }
        // 6 series in the activity store, 2 a scan: a pass takes three punctuations.
        for (int i = 0; i < 4; i++) {
            h.advanceWallClockTime(Duration.ofSeconds(1));
        }
    }

    private static void phase3(TopologyHarness h) {
        // A returning series starts afresh: timestep 0 again is no longer "not increasing".
        h.send("idle-0", record("idle-0", 0), T0 + 1_500);
        h.send("idle-0", record("idle-0", 1), T0 + 1_501);
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

    /** The last value per key on a changelog (null: the key ends in a tombstone). */
    private static Map<String, byte[]> lastOnChangelog(List<TestRecord<String, byte[]>> records) {
        Map<String, byte[]> last = new HashMap<>();
        records.forEach(r -> last.put(r.key(), r.value()));
        return last;
    }

    private static boolean ofSeries(String storeKey, String series) {
        return storeKey.equals(series) || storeKey.startsWith(series + '\u0000');
    }

    @Test
    void idleSeriesLeaveEveryStoreAndTheMetricsWhileActiveOnesStayAndAReturningOneStartsAtVersionZero() {
        try (TopologyHarness h = TopologyHarness.start(props(TestConfigs.regressor(M), "series"))) {
            phase1(h);
            assertThat(h.sums().readValuesToList()).hasSize(IDLE.size() * 2 + 6);
            for (String s : IDLE) {
                assertThat(h.metrics().model(s)).as("published %s", s).isNotNull();
                assertThat(contents(h.store(Names.PENDING_STORE)).keySet()).anyMatch(k -> ofSeries(k, s));
            }

            phase2(h);
            List<SumPrediction> sums = h.sums().readValuesToList();
            // The idle series' pending timestep ran before they expired: no accepted record goes unanswered.
            for (String s : IDLE) {
                assertThat(sums).filteredOn(p -> p.getSeries().equals(s)).extracting(SumPrediction::getTimestep)
                        .as("flushed %s", s).containsExactly(2L);
            }
            Map<String, ModelCheckpoint> models = contents(h.store(Names.MODEL_STORE));
            assertThat(models.keySet()).containsExactly(LIVE);
            assertThat(models.get(LIVE).getModelVersion()).isEqualTo(7);
            assertThat(contents(h.store(Names.PENDING_STORE)).keySet()).allMatch(k -> ofSeries(k, LIVE));
            assertThat(contents(h.<Long>store(Names.ACTIVITY_STORE)).keySet()).containsExactly("", LIVE);
            // Divergence recovery's good state goes with the model: a tombstone for every idle key.
            Map<String, byte[]> goodLog = lastOnChangelog(h.changelog(Names.GOOD_STORE).readRecordsToList());
            for (String s : IDLE) {
                assertThat(goodLog).as("good-store tombstone of %s", s).containsEntry(s, null);
            }
            assertThat(h.metrics().models()).extracting(m -> m.key()).containsExactly(LIVE);
            assertThat(h.metrics().expiredTotal()).isEqualTo(IDLE.size());
            assertThat(h.metrics().registry().get("streamfit.models.expired").counter().count())
                    .isEqualTo(IDLE.size());

            Map<String, byte[]> modelLog = lastOnChangelog(h.changelog(Names.MODEL_STORE).readRecordsToList());
            Map<String, byte[]> pendingLog = lastOnChangelog(h.changelog(Names.PENDING_STORE).readRecordsToList());
            Map<String, byte[]> activityLog = lastOnChangelog(h.changelog(Names.ACTIVITY_STORE).readRecordsToList());
            for (String s : IDLE) {
                assertThat(modelLog).containsKey(s);
                assertThat(modelLog.get(s)).as("tombstone of %s", s).isNull();
                assertThat(activityLog).containsKey(s);
                assertThat(activityLog.get(s)).isNull();
                assertThat(pendingLog.keySet()).anyMatch(k -> ofSeries(k, s));
                pendingLog.forEach((k, v) -> {
                    if (ofSeries(k, s)) {
                        assertThat(v).as("pending %s", k).isNull();
                    }
                });
            }
            assertThat(modelLog.get(LIVE)).isNotNull();

            phase3(h);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getModelVersion).containsExactly(0L, 0L);
            ModelCheckpoint back = h.storeValue(Names.MODEL_STORE, "idle-0");
            assertThat(back.getModelVersion()).isEqualTo(1);
            assertThat(back.getRecords()).isEqualTo(2);
            assertThat(h.metrics().model("idle-0")).isNotNull();
        }
    }

    @Test
    void aRecordOfAnIdleSeriesExpiresItEvenBeforeTheScanGetsThere() {
        try (TopologyHarness h = TopologyHarness.start(props(TestConfigs.regressor(M), "lazy"))) {
            phase1(h);
            h.sums().readValuesToList();
            // No wall-clock time passes: no scan. The live series moves the clock past idle-0's TTL.
            h.send(LIVE, record(LIVE, 6), T0 + 1_100);
            h.send("idle-0", record("idle-0", 0), T0 + 1_200);
            h.send("idle-0", record("idle-0", 1), T0 + 1_201);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            List<SumPrediction> idle0 = h.sums().readValuesToList().stream()
                    .filter(p -> p.getSeries().equals("idle-0")).toList();
            // The old pending timestep 2 ran on the old model (version 1) before the series started over.
            assertThat(idle0).extracting(p -> p.getTimestep() + "@" + p.getModelVersion())
                    .containsExactly("2@1", "0@0", "1@0");
            assertThat(h.metrics().expiredTotal()).isEqualTo(1);
            assertThat(h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, "idle-1")).isNotNull();
        }
    }

    @Test
    void stateWrittenBeforeTheTtlWasTurnedOnExpiresOneTtlAfterTheScanFirstSeesIt() {
        Map<String, String> before = props(TestConfigs.regressor(M), "adopt-before");
        before.remove("model.idle.ttl");
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness h = TopologyHarness.start(before)) {
            phase1(h);
            committed = h.storeContents();
        }
        assertThat(committed).doesNotContainKey(Names.ACTIVITY_STORE);
        try (TopologyHarness h = TopologyHarness.start(props(TestConfigs.regressor(M), "adopt-after"))) {
            h.restoreStores(committed);
            // The clock starts with the next record; the scans then give every stored series that time.
            h.send(LIVE, record(LIVE, 6), T0 + 600);
            for (int i = 0; i < 4; i++) {
                h.advanceWallClockTime(Duration.ofSeconds(1));
            }
            assertThat(contents(h.<Long>store(Names.ACTIVITY_STORE))).containsEntry("idle-3", T0 + 600);
            assertThat(h.metrics().expiredTotal()).as("not idle yet: their time starts at the clock").isZero();
            // Record time moves one TTL on: they expire, the live one stays.
            for (int t = 7; t < 25; t++) {
                h.send(LIVE, record(LIVE, t), T0 + 600 + (t - 6) * 100L);
            }
            for (int i = 0; i < 4; i++) {
                h.advanceWallClockTime(Duration.ofSeconds(1));
            }
            assertThat(h.metrics().expiredTotal()).isEqualTo(IDLE.size());
            assertThat(contents(h.store(Names.MODEL_STORE)).keySet()).containsExactly(LIVE);
        }
    }

    @Test
    void theWindowsOfAnIdleSeriesGoToo() {
        Map<String, String> p = props(TestConfigs.sequence("lstm-regressor", M, 2).with("model.lstm.units", 3), "seq");
        p.put("batch.timesteps", "1");
        try (TopologyHarness h = TopologyHarness.start(p)) {
            phase1(h);
            Map<String, byte[]> windows = contents(h.store(Names.WINDOW_STORE));
            for (String s : IDLE) {
                assertThat(windows.keySet()).anyMatch(k -> ofSeries(k, s));
            }
            phase2(h);
            assertThat(contents(h.store(Names.WINDOW_STORE)).keySet()).isNotEmpty().allMatch(k -> ofSeries(k, LIVE));
            assertThat(contents(h.store(Names.MODEL_STORE)).keySet()).containsExactly(LIVE);
            Map<String, byte[]> windowLog = lastOnChangelog(h.changelog(Names.WINDOW_STORE).readRecordsToList());
            windowLog.forEach((k, v) -> {
                if (!ofSeries(k, LIVE)) {
                    assertThat(v).as("window %s", k).isNull();
                }
            });
            assertThat(windowLog.keySet()).anyMatch(k -> ofSeries(k, "idle-3"));
        }
    }

    @Test
    void inGlobalScopeOnlyTheSeriesBookkeepingExpiresNeverTheModel() {
        Map<String, String> p = props(TestConfigs.regressor(M).with("model.scope", "global"), "global");
        try (TopologyHarness h = TopologyHarness.start(p)) {
            phase1(h);
            phase2(h);
            ModelCheckpoint global = h.storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY);
            // The series' last timesteps are in the series store: the idle ones leave it (tombstones).
            assertThat(global.getLastTimesteps()).isEmpty();
            assertThat(contents(h.<Long>store(Names.SERIES_STORE)).keySet()).containsExactly(LIVE);
            Map<String, byte[]> seriesLog = lastOnChangelog(h.changelog(Names.SERIES_STORE).readRecordsToList());
            for (String s : IDLE) {
                assertThat(seriesLog).containsKey(s);
                assertThat(seriesLog.get(s)).as("series-store tombstone of %s", s).isNull();
            }
            assertThat(contents(h.store(Names.MODEL_STORE)).keySet()).containsExactly(Names.GLOBAL_KEY);
            assertThat(contents(h.<Long>store(Names.ACTIVITY_STORE)).keySet()).containsExactly("", LIVE);
            assertThat(h.metrics().models()).extracting(m -> m.key()).containsExactly(Names.GLOBAL_KEY);
            long version = global.getModelVersion();
            phase3(h);
            assertThat(h.deadLetters().isEmpty()).as("idle-0's timesteps start over").isTrue();
            assertThat(h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, Names.GLOBAL_KEY).getModelVersion())
                    .isEqualTo(version + 1);
        }
    }

    /** Everything a run leaves: outputs, and the stores' keys with the models' versions. */
    private record Outcome(List<String> outputs, Map<String, Long> models, TreeSet<String> pending,
                           Map<String, Long> activity, long expired) {
    }

    private static Outcome outcome(TopologyHarness h, List<String> outputs, long expired) {
        Map<String, Long> models = new TreeMap<>();
        contents(h.<ModelCheckpoint>store(Names.MODEL_STORE)).forEach((k, v) -> models.put(k, v.getModelVersion()));
        return new Outcome(outputs, models, new TreeSet<>(contents(h.store(Names.PENDING_STORE)).keySet()),
                contents(h.store(Names.ACTIVITY_STORE)), expired + h.metrics().expiredTotal());
    }

    private static void drain(TopologyHarness h, List<String> outputs) {
        h.sums().readValuesToList().forEach(s -> outputs.add(s.getSeries() + "/" + s.getTimestep() + "@"
                + s.getModelVersion() + "=" + s.getPrediction()));
    }

    @Test
    void aRestartMidWayGivesTheSameResult() {
        List<String> out1 = new ArrayList<>();
        Outcome uninterrupted;
        try (TopologyHarness h = TopologyHarness.start(props(TestConfigs.regressor(M), "one"))) {
            phase1(h);
            phase2(h);
            phase3(h);
            drain(h, out1);
            uninterrupted = outcome(h, out1, 0);
        }
        List<String> out2 = new ArrayList<>();
        Map<String, String> two = props(TestConfigs.regressor(M), "two");
        long expiredBefore;
        Map<String, byte[]> modelLog;
        Map<String, byte[]> pendingLog;
        Map<String, byte[]> activityLog;
        try (TopologyHarness h = TopologyHarness.start(two)) {
            phase1(h);
            // Past the TTL by record time, before any scan: the next owner finds it all in the changelogs.
            for (int t = 6; t < 14; t++) {
                h.send(LIVE, record(LIVE, t), T0 + t * 100);
            }
            drain(h, out2);
            expiredBefore = h.metrics().expiredTotal();
            modelLog = lastOnChangelog(h.changelog(Names.MODEL_STORE).readRecordsToList());
            pendingLog = lastOnChangelog(h.changelog(Names.PENDING_STORE).readRecordsToList());
            activityLog = lastOnChangelog(h.changelog(Names.ACTIVITY_STORE).readRecordsToList());
        }
        assertThat(modelLog.get("idle-3")).as("state kept across the restart").isNotNull();
        // The driver wipes its state directory on close: restore the stores from the changelogs, as a
        // new owner of the task does after a crash.
        Map<String, String> three = new HashMap<>(two);
        three.put("state.dir", dir.resolve("three").toString());
        try (TopologyHarness h = TopologyHarness.start(three)) {
            KeyValueStore<String, ModelCheckpoint> models = h.store(Names.MODEL_STORE);
            KeyValueStore<String, byte[]> pending = h.store(Names.PENDING_STORE);
            KeyValueStore<String, Long> activity = h.store(Names.ACTIVITY_STORE);
            modelLog.forEach((k, v) -> {
                if (v != null) {
                    models.put(k, StreamfitSerdes.modelCheckpoint().deserializer().deserialize("", v));
                }
            });
            pendingLog.forEach((k, v) -> {
                if (v != null) {
                    pending.put(k, v);
                }
            });
            activityLog.forEach((k, v) -> {
                if (v != null) {
                    activity.put(k, new LongDeserializer().deserialize("", v));
                }
            });
            for (int i = 0; i < 4; i++) {
                h.advanceWallClockTime(Duration.ofSeconds(1));
            }
            phase3(h);
            drain(h, out2);
            Outcome restarted = outcome(h, out2, expiredBefore);
            assertThat(restarted.outputs()).containsExactlyInAnyOrderElementsOf(uninterrupted.outputs());
            assertThat(restarted).isEqualTo(uninterrupted);
        }
    }
}
