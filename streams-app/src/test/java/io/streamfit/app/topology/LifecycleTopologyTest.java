package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.names.Names;
import io.streamfit.app.pipeline.ModelVersions;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ModelVersion;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model lifecycle (design.md, "Model lifecycle"): versions kept and pruned, the rollback and
 * reset commands with their events and generations, commands that cannot apply, drift on a level
 * shift and none on a stationary stream, and drift's rollback action.
 */
class LifecycleTopologyTest {

    private static final int M = 2;
    private static final String S = "plant-7";
    private static final long T0 = 1_000_000;

    @TempDir
    Path dir;

    private TestConfigs.Builder regressor(String name) {
        return TestConfigs.regressor(M).app("lifecycle-" + name).stateDir(dir.resolve(name)).with("model.hidden", 4)
                .with("batch.timesteps", 1).with("model.versions.every", 10).with("model.versions.keep", 3);
    }

    /** Timestep t of S: two objects whose target is 2 x0 - x1 + offset, plus noise. */
    private static Timestep timestep(long t, double offset, double noise, Random rnd) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            float a = (float) rnd.nextGaussian();
            float b = (float) rnd.nextGaussian();
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(new float[] {a, b}),
                    2.0 * a - b + offset + noise * rnd.nextGaussian(), null));
        }
        return new Timestep(S, t, objs, null);
    }

    private static void stream(TopologyHarness h, long from, long to, double offset, double noise, Random rnd) {
        for (long t = from; t < to; t++) {
            h.send(S, timestep(t, offset, noise, rnd), T0 + t);
        }
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] state(ModelCheckpoint cp) {
        ByteBuffer b = cp.getModelState().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static List<ModelVersion> versions(TopologyHarness h, String key) {
        return ModelVersions.list(h.store(Names.VERSIONS_STORE), key);
    }

    @Test
    void aVersionIsKeptEveryNUpdatesAndOnlyTheLastKeepStay() {
        try (TopologyHarness h = TopologyHarness.start(regressor("versions").toMap())) {
            stream(h, 0, 55, 0, 0.1, new Random(1));
            List<ModelVersion> kept = versions(h, S);
            assertThat(kept).extracting(ModelVersion::getModelVersion).containsExactly(30L, 40L, 50L);
            assertThat(kept).allSatisfy(v -> {
                assertThat(v.getGeneration()).isZero();
                assertThat(v.getModelKey()).isEqualTo(S);
                assertThat(v.getInputOffsets()).isNotEmpty();
                assertThat(ModelVersions.checkpointOf(v).getModelVersion()).isEqualTo(v.getModelVersion());
            });
            // The version of 50 updates learned the records up to offset 49 of the features topic.
            assertThat(kept.get(2).getInputOffsets()).containsValue(49L);
            assertThat(h.events().readRecordsToList()).isEmpty();
        }
    }

    @Test
    void aRollbackCommandRestoresTheKeptVersionExactlyInTheNextGeneration() {
        try (TopologyHarness h = TopologyHarness.start(regressor("rollback").toMap())) {
            Random rnd = new Random(2);
            stream(h, 0, 55, 0, 0.1, rnd);
            ModelVersion forty = versions(h, S).get(1);
            assertThat(forty.getModelVersion()).isEqualTo(40L);
            h.sums().readRecordsToList();

            h.sendCommand(S, "{\"command\":\"rollback\",\"toVersion\":40}", T0 + 55);
            List<ModelEvent> events = h.events().readValuesToList();
            assertThat(events).singleElement().satisfies(e -> {
                assertThat(e.getEvent()).isEqualTo("rolled-back");
                assertThat(e.getReason()).isEqualTo("command");
                assertThat(e.getFromVersion()).isEqualTo(55L);
                assertThat(e.getToVersion()).isEqualTo(40L);
                assertThat(e.getGeneration()).isEqualTo(1);
                assertThat(e.getAtTimestep()).isEqualTo(54L);
                assertThat(e.getMetrics()).containsKey("objectMse");
            });
            ModelCheckpoint now = h.storeValue(Names.MODEL_STORE, S);
            assertThat(state(now)).as("the weights and optimizer state of version 40, bit for bit")
                    .isEqualTo(state(ModelVersions.checkpointOf(forty)));
            assertThat(now.getModelVersion()).isEqualTo(40L);
            assertThat(now.getMetrics()).containsEntry("lifecycle.generation", 1.0);
            // What the model has seen stays: an old timestep is still refused, the next one is taken.
            assertThat(now.getRecords()).isEqualTo(55L);
            h.send(S, timestep(54, 0, 0.1, rnd), T0 + 56);
            assertThat(header(h.deadLetters().readRecord(), TopicRegistry.HEADER_ERROR_REASON))
                    .isEqualTo("timestep-not-increasing");
            h.send(S, timestep(55, 0, 0.1, rnd), T0 + 57);
            SumPrediction next = h.sums().readValue();
            assertThat(next.getModelVersion()).as("predicted by version 40 of the new generation").isEqualTo(40L);
            assertThat(next.getGeneration()).isEqualTo(1);
            assertThat(next.getVariant()).hasToString("champion");
            ModelCheckpoint after = h.storeValue(Names.MODEL_STORE, S);
            assertThat(after.getModelVersion()).isEqualTo(41L);
            assertThat(after.getMetrics()).containsEntry("lifecycle.generation", 1.0);
        }
    }

    @Test
    void aResetCommandStartsTheModelOverFromNewWeights() {
        try (TopologyHarness h = TopologyHarness.start(regressor("reset").toMap())) {
            Random rnd = new Random(3);
            stream(h, 0, 25, 0, 0.1, rnd);
            h.sendCommand(S, "{\"command\":\"reset\"}", T0 + 25);
            assertThat(h.events().readValuesToList()).singleElement().satisfies(e -> {
                assertThat(e.getEvent()).isEqualTo("reset");
                assertThat(e.getFromVersion()).isEqualTo(25L);
                assertThat(e.getToVersion()).isEqualTo(0L);
                assertThat(e.getGeneration()).isEqualTo(1);
            });
            h.sums().readRecordsToList();
            h.send(S, timestep(25, 0, 0.1, rnd), T0 + 26);
            SumPrediction first = h.sums().readValue();
            assertThat(first.getModelVersion()).isZero();
            assertThat(first.getGeneration()).isEqualTo(1);
            // Versions of the first generation stay, for a rollback to them.
            assertThat(versions(h, S)).extracting(ModelVersion::getModelVersion).containsExactly(10L, 20L);
            h.sendCommand(S, "{\"command\":\"rollback\",\"toVersion\":20}", T0 + 27);
            assertThat(h.events().readValue().getGeneration()).isEqualTo(2);
        }
    }

    @Test
    void aCommandThatCannotApplyIsADeadLetterWithItsReason() {
        try (TopologyHarness h = TopologyHarness.start(regressor("refused").toMap())) {
            stream(h, 0, 12, 0, 0.1, new Random(4));
            Map<String, String[]> cases = Map.of(
                    "version-unknown", new String[] {S, "{\"command\":\"rollback\",\"toVersion\":7}"},
                    "model-unknown", new String[] {"no-such-series", "{\"command\":\"reset\"}"},
                    "unknown-command", new String[] {S, "{\"command\":\"delete\"}"},
                    "challenger-unknown", new String[] {S, "{\"command\":\"promote\",\"challenger\":\"a\"}"},
                    "missing-field", new String[] {S, "{\"command\":\"rollback\"}"},
                    "unparsable", new String[] {S, "rollback please"});
            for (Map.Entry<String, String[]> c : cases.entrySet()) {
                h.sendCommand(c.getValue()[0], c.getValue()[1], T0 + 20);
                TestRecord<byte[], byte[]> dead = h.deadLetters().readRecord();
                assertThat(header(dead, TopicRegistry.HEADER_ERROR_REASON)).as(c.getKey()).isEqualTo(c.getKey());
                assertThat(header(dead, TopicRegistry.HEADER_ERROR_TOPIC)).isEqualTo("model-commands");
                assertThat(new String(dead.value(), StandardCharsets.UTF_8)).as("the original bytes")
                        .isEqualTo(c.getValue()[1]);
            }
            h.sendCommand(null, "{\"command\":\"reset\"}", T0 + 21);
            assertThat(header(h.deadLetters().readRecord(), TopicRegistry.HEADER_ERROR_REASON)).isEqualTo("model-unknown");
            assertThat(h.events().readRecordsToList()).isEmpty();
            // The refused commands changed nothing.
            assertThat(((ModelCheckpoint) h.storeValue(Names.MODEL_STORE, S)).getModelVersion()).isEqualTo(12L);
        }
    }

    @Test
    void aLevelShiftOfTheTargetsIsADriftEventNamingTheVersionBeforeIt() {
        try (TopologyHarness h = TopologyHarness.start(regressor("drift").with("model.versions.every", 100)
                .with("model.versions.keep", 50).toMap())) {
            Random rnd = new Random(5);
            stream(h, 0, 3_000, 0, 0.3, rnd);
            assertThat(h.events().readRecordsToList()).as("no drift while the model learns a stationary stream").isEmpty();
            stream(h, 3_000, 3_600, 6, 0.3, rnd);
            List<ModelEvent> events = h.events().readValuesToList();
            assertThat(events).isNotEmpty();
            ModelEvent drift = events.get(0);
            assertThat(drift.getEvent()).isEqualTo("drift");
            assertThat(drift.getReason()).isEqualTo("drift");
            assertThat(drift.getToVersion()).as("drift.action=event changes nothing").isNull();
            assertThat(drift.getAtTimestep()).isBetween(3_000L, 3_400L);
            assertThat(drift.getFromVersion()).as("the newest kept version before the shift").isEqualTo(3_000L);
            assertThat(h.metrics().modelEventsTotal("drift")).isEqualTo(events.stream()
                    .filter(e -> e.getEvent().equals("drift")).count());
        }
    }

    @Test
    void driftWithTheRollbackActionGoesBackToTheVersionBeforeTheRise() {
        try (TopologyHarness h = TopologyHarness.start(regressor("drift-rollback").with("model.versions.every", 100)
                .with("model.versions.keep", 50).with("drift.action", "rollback").toMap())) {
            Random rnd = new Random(6);
            stream(h, 0, 3_000, 0, 0.3, rnd);
            stream(h, 3_000, 3_600, 6, 0.3, rnd);
            List<ModelEvent> events = h.events().readValuesToList();
            assertThat(events.size()).isGreaterThanOrEqualTo(2);
            assertThat(events.get(0).getEvent()).isEqualTo("drift");
            ModelEvent back = events.get(1);
            assertThat(back.getEvent()).isEqualTo("rolled-back");
            assertThat(back.getReason()).isEqualTo("drift");
            assertThat(back.getToVersion()).isEqualTo(events.get(0).getFromVersion());
            assertThat(back.getGeneration()).isEqualTo(1);
        }
    }

    @Test
    void inGlobalScopeCommandsGoThroughTheRouteToTheOneModelKeyedGlobal() {
        try (TopologyHarness h = TopologyHarness.start(regressor("global").with("model.scope", "global").toMap())) {
            Random rnd = new Random(9);
            stream(h, 0, 25, 0, 0.1, rnd);
            h.sendCommand(S, "{\"command\":\"reset\"}", T0 + 25);
            TestRecord<byte[], byte[]> dead = h.deadLetters().readRecord();
            assertThat(header(dead, TopicRegistry.HEADER_ERROR_REASON)).isEqualTo("model-unknown");
            assertThat(header(dead, "error.message")).contains("model.scope=global: its one model is 'global'");
            assertThat(header(dead, TopicRegistry.HEADER_ERROR_TOPIC)).as("the original topic, not the route")
                    .isEqualTo("model-commands");
            h.sendCommand(Names.GLOBAL_KEY, "{\"command\":\"rollback\",\"toVersion\":20}", T0 + 26);
            assertThat(h.events().readValuesToList()).singleElement().satisfies(e -> {
                assertThat(e.getModel()).isEqualTo(Names.GLOBAL_KEY);
                assertThat(e.getEvent()).isEqualTo("rolled-back");
                assertThat(e.getToVersion()).isEqualTo(20L);
            });
            assertThat(versions(h, Names.GLOBAL_KEY)).extracting(ModelVersion::getModelVersion).containsExactly(10L, 20L);
        }
    }

    private TestConfigs.Builder raced(String name) {
        return regressor(name).with("optimizer.learning.rate", 1e-5).with("challengers", "a,b")
                .with("challenger.a.optimizer.learning.rate", 0.01)
                .with("challenger.b.optimizer.learning.rate", 0.003).with("challenger.b.model.hidden", 8)
                .with("challenger.promote.after", 200).with("metrics.window", 100);
    }

    @Test
    void aChallengerThatLearnsBetterIsPromotedAndFromThenOnItsPredictionsAreEmitted() {
        try (TopologyHarness h = TopologyHarness.start(raced("race").toMap())) {
            Random rnd = new Random(10);
            List<SumPrediction> sums = new ArrayList<>();
            List<ModelEvent> events = new ArrayList<>();
            for (long t = 0; t < 1_500; t++) {
                Timestep ts = timestep(t, 0, 0.1, rnd);
                h.send(S, ts, T0 + t);
                sums.addAll(h.sums().readValuesToList());
                events.addAll(h.events().readValuesToList());
            }
            assertThat(sums).hasSize(1_500);
            List<ModelEvent> promoted = events.stream().filter(e -> e.getEvent().equals("promoted")).toList();
            assertThat(promoted).as("events %s", events).hasSize(1);
            ModelEvent p = promoted.get(0);
            assertThat(p.getChallenger()).isEqualTo("a");
            assertThat(p.getReason()).isEqualTo("better");
            assertThat(p.getGeneration()).isEqualTo(1);
            int at = (int) (p.getAtTimestep() + 1);
            assertThat(at).as("promoted after at least challenger.promote.after timesteps").isBetween(200, 1_000);
            // Before: the champion's predictions, generation 0; after: a's, generation 1.
            assertThat(sums.subList(0, at)).allSatisfy(o -> {
                assertThat(o.getVariant()).hasToString("champion");
                assertThat(o.getGeneration()).isZero();
            });
            assertThat(sums.subList(at, sums.size())).allSatisfy(o -> {
                assertThat(o.getVariant()).hasToString("a");
                assertThat(o.getGeneration()).isEqualTo(1);
            });
            // The emitted error falls: a learnt, the champion (learning rate 1e-5) hardly did.
            assertThat(sumMse(sums.subList(at, sums.size()))).isLessThan(0.5 * sumMse(sums.subList(at - 200, at)));
            // Every variant learnt every batch, in its own checkpoint.
            ModelCheckpoint a = h.storeValue(Names.MODEL_STORE, S + "\u0000a");
            ModelCheckpoint b = h.storeValue(Names.MODEL_STORE, S + "\u0000b");
            ModelCheckpoint champion = h.storeValue(Names.MODEL_STORE, S);
            assertThat(List.of(a.getModelVersion(), b.getModelVersion(), champion.getModelVersion()))
                    .containsOnly(1_500L);
            assertThat(b.getSpecFingerprint()).isNotEqualTo(champion.getSpecFingerprint());
            // The meters say who leads, by variant and role, never by series.
            assertThat(h.metrics().meanVariantLoss("a", "champion"))
                    .isLessThan(h.metrics().meanVariantLoss("champion", "challenger"));
            assertThat(h.metrics().meanVariantLoss("champion", "champion")).isNaN();

            // An operator hands the lead back.
            h.sendCommand(S, "{\"command\":\"promote\",\"challenger\":\"champion\"}", T0 + 1_500);
            assertThat(h.events().readValuesToList()).singleElement().satisfies(e -> {
                assertThat(e.getEvent()).isEqualTo("promoted");
                assertThat(e.getChallenger()).isEqualTo("champion");
                assertThat(e.getReason()).isEqualTo("command");
                assertThat(e.getGeneration()).isEqualTo(2);
            });
            h.send(S, timestep(1_500, 0, 0.1, rnd), T0 + 1_501);
            SumPrediction next = h.sums().readValue();
            assertThat(next.getVariant()).hasToString("champion");
            assertThat(next.getGeneration()).isEqualTo(2);
            h.sendCommand(S, "{\"command\":\"promote\",\"challenger\":\"c\"}", T0 + 1_502);
            assertThat(header(h.deadLetters().readRecord(), TopicRegistry.HEADER_ERROR_REASON))
                    .isEqualTo("challenger-unknown");
        }
    }

    @Test
    void aRestartInTheMiddleOfTheRaceAndAfterThePromotionLosesAndRepeatsNothing() {
        Map<String, String> config = raced("race-a").toMap();
        List<SumPrediction> uninterrupted;
        List<ModelEvent> uninterruptedEvents;
        try (TopologyHarness h = TopologyHarness.start(config)) {
            replayFlat(h, 0, 900);
            uninterrupted = h.sums().readValuesToList();
            uninterruptedEvents = h.events().readValuesToList();
        }
        assertThat(uninterruptedEvents).extracting(ModelEvent::getEvent).containsExactly("promoted");
        int at = (int) (uninterruptedEvents.get(0).getAtTimestep() + 1);
        Map<String, String> second = new java.util.HashMap<>(config);
        List<SumPrediction> outputs = new ArrayList<>();
        List<ModelEvent> events = new ArrayList<>();
        Map<String, Map<String, Object>> committed = null;
        long[] cuts = {0, at - 50, at + 30, 900};
        for (int i = 0; i + 1 < cuts.length; i++) {
            second.put("state.dir", dir.resolve("race-b-" + i).toString());
            try (TopologyHarness h = TopologyHarness.start(second)) {
                if (committed != null) {
                    h.restoreStores(committed);
                }
                replayFlat(h, cuts[i], cuts[i + 1]);
                outputs.addAll(h.sums().readValuesToList());
                events.addAll(h.events().readValuesToList());
                committed = h.storeContents();
            }
        }
        assertThat(outputs).isEqualTo(uninterrupted);
        assertThat(events).usingRecursiveFieldByFieldElementComparatorIgnoringFields().isEqualTo(uninterruptedEvents);
    }

    private static void replayFlat(TopologyHarness h, long from, long to) {
        Random rnd = new Random(12);
        for (long t = 0; t < to; t++) {
            Timestep ts = timestep(t, 0, 0.1, rnd);
            if (t >= from) {
                h.send(S, ts, T0 + t);
            }
        }
    }

    private static double sumMse(List<SumPrediction> sums) {
        double s = 0;
        for (SumPrediction p : sums) {
            double e = p.getPrediction() - p.getSumTarget();
            s += e * e;
        }
        return s / sums.size();
    }

    /** Sends timesteps [from, to) of a stream fixed by its seed (the same records in every run). */
    private static void replay(TopologyHarness h, long from, long to) {
        Random rnd = new Random(8);
        for (long t = 0; t < to; t++) {
            Timestep ts = timestep(t, t < 200 ? 0 : 4, 0.3, rnd);
            if (t >= from) {
                h.send(S, ts, T0 + t);
            }
        }
    }

    @Test
    void aRestartAfterARollbackAndDuringADriftGoesOnExactlyAsARunWithoutOne() {
        Map<String, String> config = regressor("crash-a").with("drift.page.hinkley.threshold", 20).toMap();
        List<SumPrediction> uninterrupted;
        List<ModelEvent> uninterruptedEvents;
        ModelCheckpoint end;
        try (TopologyHarness h = TopologyHarness.start(config)) {
            replay(h, 0, 60);
            h.sendCommand(S, "{\"command\":\"rollback\",\"toVersion\":40}", T0 + 60);
            replay(h, 60, 300);
            uninterrupted = h.sums().readValuesToList();
            uninterruptedEvents = h.events().readValuesToList();
            end = h.storeValue(Names.MODEL_STORE, S);
        }
        assertThat(uninterruptedEvents).extracting(ModelEvent::getEvent).contains("rolled-back", "drift");

        Map<String, String> second = new java.util.HashMap<>(config);
        List<SumPrediction> outputs = new ArrayList<>();
        List<ModelEvent> events = new ArrayList<>();
        Map<String, Map<String, Object>> committed;
        try (TopologyHarness h = TopologyHarness.start(second)) {
            replay(h, 0, 60);
            h.sendCommand(S, "{\"command\":\"rollback\",\"toVersion\":40}", T0 + 60);
            outputs.addAll(h.sums().readValuesToList());
            events.addAll(h.events().readValuesToList());
            committed = h.storeContents();
        }
        // A new owner of the task, from the changelogs, right after the rollback; and again while
        // the level shift at 200 is being watched (the detector starts over at the rollback).
        for (long[] span : new long[][] {{60, 215}, {215, 300}}) {
            second.put("state.dir", dir.resolve("crash-b-" + span[0]).toString());
            try (TopologyHarness h = TopologyHarness.start(second)) {
                h.restoreStores(committed);
                replay(h, span[0], span[1]);
                outputs.addAll(h.sums().readValuesToList());
                events.addAll(h.events().readValuesToList());
                committed = h.storeContents();
                if (span[1] == 300) {
                    ModelCheckpoint last = h.storeValue(Names.MODEL_STORE, S);
                    assertThat(state(last)).isEqualTo(state(end));
                    assertThat(last.getModelVersion()).isEqualTo(end.getModelVersion());
                    assertThat(last.getMetrics()).isEqualTo(end.getMetrics());
                }
            }
        }
        assertThat(outputs).isEqualTo(uninterrupted);
        assertThat(events).usingRecursiveFieldByFieldElementComparatorIgnoringFields().isEqualTo(uninterruptedEvents);
    }

    @Test
    void aStationaryStreamOf50000TimestepsHasNoDrift() {
        try (TopologyHarness h = TopologyHarness.start(regressor("stationary").with("batch.timesteps", 8)
                .with("model.versions.every", 0).toMap())) {
            stream(h, 0, 50_000, 0, 0.5, new Random(7));
            assertThat(h.events().readRecordsToList()).isEmpty();
            assertThat(h.metrics().modelEventsTotal("drift")).isZero();
            assertThat(((ModelCheckpoint) h.storeValue(Names.MODEL_STORE, S)).getModelVersion()).isEqualTo(6_250L);
        }
    }
}
