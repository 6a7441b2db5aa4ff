package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delayed labels (design.md, "Delayed labels"): features without targets are predicted and wait;
 * labels that come later train on them and are scored on what was served; labels that come first
 * wait for their features; bounds, duplicates and unmatched labels; a restart loses nothing.
 */
class LabelJoinTopologyTest {

    private static final int M = 2;
    private static final long T0 = 1_000_000;
    private static final String S = "plant-7";

    @TempDir
    Path dir;

    private TestConfigs.Builder regressor(String name) {
        // A window this long makes the windowed metrics the plain mean of what they scored.
        return TestConfigs.regressor(M).app("labels-" + name).stateDir(dir.resolve(name)).with("model.hidden", 4)
                .with("batch.timesteps", 1).with("metrics.window", 1_000_000);
    }

    private static float[] x(String series, long t, int i) {
        Random rnd = new Random(series.hashCode() * 31L + t * 7 + i);
        return new float[] {(float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
    }

    private static double target(String series, long t, int i) {
        float[] x = x(series, t, i);
        return 2 * x[0] - x[1];
    }

    /** Timestep {@code t} of {@code series} with two objects, with their targets or without any. */
    private static Timestep features(String series, long t, boolean targets) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x(series, t, i)),
                    targets ? target(series, t, i) : null, null));
        }
        return new Timestep(series, t, objs, null);
    }

    /** The labels of objects {@code objects} of timestep {@code t}. */
    private static Labels labels(String series, long t, int... objects) {
        List<Labels.ObjectLabel> out = new ArrayList<>();
        for (int i : objects) {
            out.add(new Labels.ObjectLabel("o" + i, target(series, t, i), null));
        }
        return new Labels(series, t, out, null);
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static ModelCheckpoint checkpoint(TopologyHarness h, String key) {
        return h.storeValue(Names.MODEL_STORE, key);
    }

    /** Entries in a store (RocksDB's count is an estimate). */
    private static long count(TopologyHarness h, String store) {
        try (var it = h.<byte[]>store(store).all()) {
            long n = 0;
            for (; it.hasNext(); it.next()) {
                n++;
            }
            return n;
        }
    }

    private static long labelsTotal(TopologyHarness h, String outcome) {
        return h.metrics().labelsTotal(outcome);
    }

    @Test
    void lateLabelsTrainOnTheStoredFeaturesAndTheMetricsScoreWhatWasServed() {
        try (TopologyHarness h = TopologyHarness.start(regressor("late").toMap())) {
            for (int t = 0; t < 3; t++) {
                h.send(S, features(S, t, false), T0 + t);
            }
            List<ObjectPrediction> served = h.objects().readValuesToList();
            assertThat(served).hasSize(6).allMatch(p -> p.getModelVersion() == 0 && p.getTarget() == null);
            assertThat(h.sums().readValuesToList()).hasSize(3);
            assertThat(count(h, Names.LABELS_STORE)).isEqualTo(3);

            h.sendLabels(S, labels(S, 0, 0, 1), T0 + 100);
            h.sendLabels(S, labels(S, 1, 0, 1), T0 + 101);

            // Trained twice, emitted nothing again.
            assertThat(h.objects().isEmpty()).isTrue();
            assertThat(h.sums().isEmpty()).isTrue();
            assertThat(h.deadLetters().isEmpty()).isTrue();
            ModelCheckpoint cp = checkpoint(h, S);
            assertThat(cp.getModelVersion()).isEqualTo(2);
            // The second label was scored on what version 0 served, not on what version 1 predicts now.
            double sq = 0;
            for (ObjectPrediction p : served.subList(0, 4)) {
                int i = Integer.parseInt(p.getObject().substring(1));
                double e = p.getPrediction() - target(S, p.getTimestep(), i);
                sq += e * e;
            }
            assertThat(h.metrics().model(S).objectMse()).isCloseTo(sq / 4, org.assertj.core.data.Offset.offset(1e-5));
            assertThat(cp.getMetrics()).containsEntry("labels.matched", 2.0).containsEntry("labels.waiting", 1.0)
                    .containsEntry("labels.delay.ms.sum", 200.0);
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_MATCHED)).isEqualTo(2);
            // What /models/{key} shows, from the model store and from memory alike.
            assertThat(io.streamfit.app.pipeline.ModelInfos.of(S, cp, 1000).labels()).containsEntry("matched", 2L)
                    .containsEntry("waiting", 1L).containsEntry("expired", 0L).containsEntry("meanDelaySeconds", 0.1);
            assertThat(h.metrics().model(S).labels()).isEqualTo(io.streamfit.app.pipeline.ModelInfos.of(S, cp, 1000)
                    .labels());
            // Features input records only.
            assertThat(cp.getRecords()).isEqualTo(3);

            h.send(S, features(S, 3, false), T0 + 200);
            assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getModelVersion).containsExactly(2L);
        }
    }

    @Test
    void everyPredictionsModelVersionIsTheNumberOfLabelsMatchedBeforeIt() {
        try (TopologyHarness h = TopologyHarness.start(regressor("versions").toMap())) {
            int delay = 3;
            for (int t = 0; t < 12; t++) {
                h.send(S, features(S, t, false), T0 + t * 10L);
                if (t >= delay) {
                    h.sendLabels(S, labels(S, t - delay, 0, 1), T0 + t * 10L + 5);
                }
            }
            List<SumPrediction> sums = h.sums().readValuesToList();
            for (SumPrediction p : sums) {
                long matchedBefore = Math.max(0, p.getTimestep() - delay);
                assertThat(p.getModelVersion()).as("timestep %d", p.getTimestep()).isEqualTo(matchedBefore);
            }
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(12 - delay);
            assertThat(h.deadLetters().isEmpty()).isTrue();
        }
    }

    @Test
    void labelsThatComeFirstWaitAndTheFeaturesAreThenTestedAndTrainedAsARecordWithTargets() {
        try (TopologyHarness h = TopologyHarness.start(regressor("early").toMap())) {
            h.send(S, features(S, 0, false), T0);
            h.sendLabels(S, labels(S, 1, 0, 1), T0 + 1);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(0);
            h.send(S, features(S, 1, false), T0 + 2);

            List<ObjectPrediction> objects = h.objects().readValuesToList();
            assertThat(objects).filteredOn(p -> p.getTimestep() == 1)
                    .allMatch(p -> p.getTarget() != null && p.getModelVersion() == 0).hasSize(2);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_MATCHED)).isEqualTo(1);
            // Every object got its label: a later label of timestep 1 is a duplicate.
            h.sendLabels(S, labels(S, 1, 0), T0 + 3);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-duplicate");
        }
    }

    @Test
    void partialLabelsTrainEachOnTheirObjectsAndASecondLabelOfAnObjectIsADuplicate() {
        try (TopologyHarness h = TopologyHarness.start(regressor("partial").toMap())) {
            h.send(S, features(S, 0, false), T0);
            h.sendLabels(S, labels(S, 0, 0), T0 + 1);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
            byte[] again = io.streamfit.schemas.LabelsJson.toBytes(labels(S, 0, 0));
            h.sendLabels(S, again, T0 + 2);
            h.sendLabels(S, labels(S, 0, 1), T0 + 3);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(2);

            List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
            assertThat(dead).hasSize(1);
            assertThat(header(dead.get(0), "error.reason")).isEqualTo("label-duplicate");
            assertThat(header(dead.get(0), "error.topic")).isEqualTo("labels");
            assertThat(dead.get(0).value()).isEqualTo(again);
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_DUPLICATE)).isEqualTo(1);
            assertThat(checkpoint(h, S).getMetrics()).containsEntry("labels.waiting", 0.0)
                    .containsEntry("labels.matched", 2.0).containsEntry("labels.duplicate", 1.0);
        }
    }

    /**
     * One run of late, early and partial labels, each in {@code encode}'s encoding: what the model
     * then predicts for timestep 5, with the model version that predicted it.
     */
    private List<ObjectPrediction> labelledRun(String name, java.util.function.Function<Labels, byte[]> encode) {
        try (TopologyHarness h = TopologyHarness.start(regressor(name).toMap())) {
            for (int t = 0; t < 4; t++) {
                h.send(S, features(S, t, false), T0 + t);
            }
            h.sendLabels(S, encode.apply(labels(S, 0, 0, 1)), T0 + 10);   // late
            h.sendLabels(S, encode.apply(labels(S, 1, 1)), T0 + 11);      // late, partial
            h.sendLabels(S, encode.apply(labels(S, 1, 0)), T0 + 12);      // the rest of it
            h.sendLabels(S, encode.apply(labels(S, 4, 0, 1)), T0 + 13);   // early: waits in the store
            h.send(S, features(S, 4, false), T0 + 14);
            h.send(S, features(S, 5, false), T0 + 15);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_MATCHED)).isEqualTo(4);
            List<ObjectPrediction> out = h.objects().readValuesToList();
            return out.subList(out.size() - 2, out.size());
        }
    }

    @Test
    void avroLabelsTrainExactlyAsTheSameLabelsInJson() {
        List<ObjectPrediction> json = labelledRun("json", io.streamfit.schemas.LabelsJson::toBytes);
        List<ObjectPrediction> avro = labelledRun("avro", io.streamfit.schemas.LabelsAvro::toBytes);

        // Four updates: timestep 0, timestep 1 twice (one object each), timestep 4 on its arrival.
        assertThat(avro).extracting(ObjectPrediction::getModelVersion).containsExactly(4L, 4L);
        assertThat(avro).extracting(ObjectPrediction::getPrediction)
                .containsExactlyElementsOf(json.stream().map(ObjectPrediction::getPrediction).toList());
    }

    @Test
    void avroLabelsAreScreenedAsJsonLabelsAndBadBytesAreDeadLetteredIntact() {
        try (TopologyHarness h = TopologyHarness.start(regressor("avro-bad").toMap())) {
            h.send(S, features(S, 0, false), T0);
            byte[] whole = io.streamfit.schemas.LabelsAvro.toBytes(labels(S, 0, 0));
            byte[] truncated = Arrays.copyOf(whole, whole.length - 4);
            byte[] garbage = {(byte) 0xC3, 0x01, 7, 7, 7};
            byte[] otherSchema = whole.clone();
            otherSchema[5] ^= 0x10;
            byte[] nothing = io.streamfit.schemas.LabelsAvro.toBytes(new Labels(S, 0, List.of(), null));
            byte[] nonFinite = io.streamfit.schemas.LabelsAvro.toBytes(new Labels(S, 0,
                    List.of(new Labels.ObjectLabel("o1", Double.NaN, null)), null));
            for (byte[] bad : List.of(truncated, garbage, otherSchema, nothing, nonFinite)) {
                h.sendLabels(S, bad, T0 + 1);
            }
            h.sendLabels(S, whole, T0 + 2);
            h.sendLabels(S, whole, T0 + 3);

            List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
            assertThat(dead).extracting(r -> header(r, "error.reason")).containsExactly("unparsable", "unparsable",
                    "unknown-schema", "missing-field", "non-finite", "label-duplicate");
            assertThat(dead).extracting(r -> header(r, "error.topic")).containsOnly("labels");
            assertThat(dead).extracting(TestRecord::value)
                    .containsExactly(truncated, garbage, otherSchema, nothing, nonFinite, whole);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
        }
    }

    @Test
    void withAnEmptyTopicLabelsThereIsNoLabelsSourceNorStoreAndTargetsTrainAtOnce() {
        TestConfigs.Builder none = regressor("no-labels").with("topic.labels", "");
        for (String scope : List.of("series", "global")) {
            org.apache.kafka.streams.TopologyDescription d = io.streamfit.app.topology.StreamfitTopology.build(
                    none.with("model.scope", scope).toConfig(),
                    new StreamfitMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())).describe();
            List<org.apache.kafka.streams.TopologyDescription.Node> nodes = d.subtopologies().stream()
                    .flatMap(sub -> sub.nodes().stream()).toList();
            assertThat(nodes).as(scope).extracting(org.apache.kafka.streams.TopologyDescription.Node::name)
                    .contains(Names.SOURCE, Names.LEARN).doesNotContain(Names.LABELS_SOURCE);
            assertThat(nodes).as(scope).filteredOn(n -> n instanceof org.apache.kafka.streams.TopologyDescription.Source)
                    .flatExtracting(n -> ((org.apache.kafka.streams.TopologyDescription.Source) n).topicSet())
                    .doesNotContain("labels");
            assertThat(nodes).as(scope).filteredOn(n -> n.name().equals(Names.LEARN))
                    .flatExtracting(n -> ((org.apache.kafka.streams.TopologyDescription.Processor) n).stores())
                    .contains(Names.MODEL_STORE).doesNotContain(Names.LABELS_STORE);
        }

        try (TopologyHarness h = TopologyHarness.start(none.with("model.scope", "series").toMap())) {
            assertThat(h.labels()).isNull();
            h.send(S, features(S, 0, true), T0);
            h.send(S, features(S, 1, false), T0 + 1);
            h.send(S, features(S, 2, true), T0 + 2);

            // Targets train at once; features without targets are predicted only, and nothing waits.
            assertThat(h.objects().readValuesToList()).extracting(ObjectPrediction::getModelVersion)
                    .containsExactly(0L, 0L, 1L, 1L, 1L, 1L);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(2);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_MATCHED)).isZero();
        }
    }

    @Test
    void labelsWhoseFeaturesWereDeadLetteredOrCameWithTargetsAreUnmatchedWithTheirOriginalBytes() {
        try (TopologyHarness h = TopologyHarness.start(regressor("unmatched").toMap())) {
            h.send(S, features(S, 0, true), T0);
            byte[] late = io.streamfit.schemas.LabelsJson.toBytes(labels(S, 0, 0, 1));
            h.sendLabels(S, late, T0 + 1);
            // Features of timestep 1 are bad (three features): dead-lettered; its label waits, then the
            // series goes past it.
            h.send(S, "{\"timestep\":1,\"objects\":[{\"id\":\"o0\",\"features\":[1,2,3]}]}"
                    .getBytes(StandardCharsets.UTF_8));
            byte[] early = io.streamfit.schemas.LabelsJson.toBytes(labels(S, 1, 0));
            h.sendLabels(S, early, T0 + 2);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-unmatched", "wrong-feature-count");
            h.send(S, features(S, 2, false), T0 + 3);

            List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
            assertThat(dead).hasSize(1);
            assertThat(header(dead.get(0), "error.reason")).isEqualTo("label-unmatched");
            assertThat(dead.get(0).value()).isEqualTo(early);
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_UNMATCHED)).isEqualTo(2);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
        }
    }

    @Test
    void featuresWhoseLabelsNeverComeExpireByTimesteps() {
        try (TopologyHarness h = TopologyHarness.start(regressor("expire-t")
                .with("labels.max.wait.timesteps", 2).toMap())) {
            for (int t = 0; t < 4; t++) {
                h.send(S, features(S, t, false), T0 + t);
            }
            // At timestep 3 the features of 0 are 3 > 2 timesteps behind.
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_EXPIRED)).isEqualTo(1);
            h.sendLabels(S, labels(S, 0, 0, 1), T0 + 10);
            h.sendLabels(S, labels(S, 1, 0, 1), T0 + 11);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-unmatched");
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
            assertThat(checkpoint(h, S).getMetrics()).containsEntry("labels.expired", 1.0)
                    .containsEntry("labels.waiting", 2.0);
        }
    }

    @Test
    void featuresAndEarlyLabelsExpireByRecordTime() {
        try (TopologyHarness h = TopologyHarness.start(regressor("expire-ms")
                .with("labels.max.wait.ms", 1_000).toMap())) {
            h.send(S, features(S, 0, false), T0);
            h.sendLabels("other", labels("other", 5, 0), T0 + 10);
            h.send(S, features(S, 1, false), T0 + 5_000);
            // The sweep (wall clock) drops what is past the bound by record time.
            h.advanceWallClockTime(Duration.ofSeconds(2));
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_EXPIRED)).isEqualTo(1);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-unmatched");
            h.sendLabels(S, labels(S, 1, 0, 1), T0 + 5_500);
            assertThat(h.deadLetters().isEmpty()).isTrue();
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
        }
    }

    @Test
    void aLabelPastTheBoundIsUnmatchedEvenBeforeTheSweep() {
        try (TopologyHarness h = TopologyHarness.start(regressor("expire-lazy")
                .with("labels.max.wait.ms", 1_000).toMap())) {
            h.send(S, features(S, 0, false), T0);
            h.sendLabels(S, labels(S, 0, 0, 1), T0 + 2_000);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-unmatched");
            assertThat(labelsTotal(h, StreamfitMetrics.LABEL_EXPIRED)).isEqualTo(1);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(0);
        }
    }

    @Test
    void recordsWithTargetsAndDelayedLabelsMix() {
        try (TopologyHarness h = TopologyHarness.start(regressor("mixed").toMap())) {
            h.send(S, features(S, 0, true), T0);
            h.send(S, features(S, 1, false), T0 + 1);
            h.send(S, features(S, 2, true), T0 + 2);
            h.sendLabels(S, labels(S, 1, 0, 1), T0 + 3);
            h.send(S, features(S, 3, true), T0 + 4);

            assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getModelVersion)
                    .containsExactly(0L, 1L, 1L, 3L);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(4);
            // Only the record without targets waited.
            assertThat(count(h, Names.LABELS_STORE)).isEqualTo(1);
            assertThat(h.deadLetters().isEmpty()).isTrue();
        }
    }

    @Test
    void aSumTargetAloneIsALabel() {
        try (TopologyHarness h = TopologyHarness.start(regressor("sum").toMap())) {
            h.send(S, features(S, 0, false), T0);
            h.sendLabels(S, "{\"timestep\":0,\"sumTarget\":1.5}".getBytes(StandardCharsets.UTF_8), T0 + 1);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(1);
            h.sendLabels(S, labels(S, 0, 0, 1), T0 + 2);
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(2);
            h.sendLabels(S, "{\"timestep\":0,\"sumTarget\":1.5}".getBytes(StandardCharsets.UTF_8), T0 + 3);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-duplicate");
            assertThat(h.metrics().model(S).sumMse()).isFinite();
        }
    }

    @Test
    void aClassifierLearnsFromDelayedClassLabelsScoredOnWhatWasServed() {
        Map<String, String> p = TestConfigs.classifier(M, 3).app("labels-classifier").stateDir(dir.resolve("cls"))
                .with("batch.timesteps", 1).with("metrics.window", 1_000_000).toMap();
        try (TopologyHarness h = TopologyHarness.start(p)) {
            h.send(S, features(S, 0, false), T0);
            h.send(S, features(S, 1, false), T0 + 1);
            List<ObjectPrediction> served = h.objects().readValuesToList();
            h.sendLabels(S, "{\"timestep\":0,\"objects\":[{\"id\":\"o0\",\"label\":2},{\"id\":\"o1\",\"label\":0}]}"
                    .getBytes(StandardCharsets.UTF_8), T0 + 2);
            h.sendLabels(S, "{\"timestep\":1,\"objects\":[{\"id\":\"o0\",\"label\":1}]}"
                    .getBytes(StandardCharsets.UTF_8), T0 + 3);
            h.sendLabels(S, "{\"timestep\":1,\"objects\":[{\"id\":\"o1\",\"target\":1.0}]}"
                    .getBytes(StandardCharsets.UTF_8), T0 + 4);

            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("unexpected-target");
            assertThat(checkpoint(h, S).getModelVersion()).isEqualTo(2);
            int[] labels = {2, 0, 1};
            int correct = 0;
            for (int i = 0; i < 3; i++) {
                correct += served.get(i).getPredictedClass() == labels[i] ? 1 : 0;
            }
            assertThat(h.metrics().model(S).accuracy()).isCloseTo(correct / 3.0,
                    org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void theSequenceKindsDeadLetterLabels() {
        Map<String, String> p = TestConfigs.sequence("lstm-regressor", M, 2).with("model.lstm.units", 3)
                .app("labels-seq").stateDir(dir.resolve("seq")).toMap();
        try (TopologyHarness h = TopologyHarness.start(p)) {
            h.sendLabels(S, labels(S, 0, 0), T0);
            assertThat(h.deadLetters().readRecordsToList()).extracting(r -> header(r, "error.reason"))
                    .containsExactly("label-unsupported");
        }
    }

    @Test
    void globalScopeRoutesLabelsLikeFeatures() {
        try (TopologyHarness h = TopologyHarness.start(regressor("global").with("model.scope", "global").toMap())) {
            h.send("a", features("a", 0, false), T0);
            h.send("b", features("b", 0, false), T0 + 1);
            h.sendLabels("a", labels("a", 0, 0, 1), T0 + 2);
            h.sendLabels("b", labels("b", 0, 1), T0 + 3);
            assertThat(checkpoint(h, Names.GLOBAL_KEY).getModelVersion()).isEqualTo(2);
            assertThat(h.deadLetters().isEmpty()).isTrue();
        }
    }

    /** A stream of delayed (and some early, partial and duplicate) labels, with micro-batches of 3. */
    private static void stream(TopologyHarness h, int from, int to) {
        for (int t = from; t < to; t++) {
            long ts = T0 + t * 10L;
            h.send(S, features(S, t, t % 5 == 0), ts);
            if (t >= 4) {
                h.sendLabels(S, labels(S, t - 4, 0), ts + 1);
                h.sendLabels(S, labels(S, t - 4, 1), ts + 2);
            }
            if (t % 4 == 0) {
                h.sendLabels(S, labels(S, t + 1, 0, 1), ts + 3);
            }
            if (t % 7 == 0 && t >= 5) {
                h.sendLabels(S, labels(S, t - 5, 1), ts + 4);
            }
        }
    }

    @Test
    void aRestartLosesNoLabelAndTrainsNoneTwice() {
        TestConfigs.Builder b = regressor("restart").with("batch.timesteps", 3).with("batch.max.wait.ms", 600_000)
                .with("batch.flush.when.idle", false);
        Map<String, List<String>> straight;
        ModelCheckpoint straightCp;
        long straightMatched;
        try (TopologyHarness h = TopologyHarness.start(b.stateDir(dir.resolve("straight")).toMap())) {
            stream(h, 0, 30);
            straight = outputs(h);
            straightCp = checkpoint(h, S);
            straightMatched = labelsTotal(h, StreamfitMetrics.LABEL_MATCHED);
        }
        Map<String, List<String>> first;
        Map<String, Map<String, Object>> committed;
        long firstMatched;
        try (TopologyHarness h = TopologyHarness.start(b.stateDir(dir.resolve("before")).toMap())) {
            stream(h, 0, 14);
            first = outputs(h);
            committed = h.storeContents();
            firstMatched = labelsTotal(h, StreamfitMetrics.LABEL_MATCHED);
            assertThat(count(h, Names.PENDING_STORE)).isPositive();
        }
        try (TopologyHarness h = TopologyHarness.start(b.stateDir(dir.resolve("after")).toMap())) {
            h.restoreStores(committed);
            stream(h, 14, 30);
            Map<String, List<String>> rest = outputs(h);
            for (String kind : List.of("sum", "dead")) {
                List<String> all = new ArrayList<>(first.get(kind));
                all.addAll(rest.get(kind));
                assertThat(all).as(kind).isEqualTo(straight.get(kind));
            }
            ModelCheckpoint cp = checkpoint(h, S);
            assertThat(cp.getModelVersion()).isEqualTo(straightCp.getModelVersion());
            assertThat(cp.getModelState()).isEqualTo(straightCp.getModelState());
            assertThat(cp.getMetrics()).isEqualTo(straightCp.getMetrics());
            assertThat(firstMatched + labelsTotal(h, StreamfitMetrics.LABEL_MATCHED)).isEqualTo(straightMatched);
        }
        assertThat(straightCp.getModelVersion()).isPositive();
    }

    /** The sum predictions, then the dead letters, in order: "sum" and "dead" lists. */
    private static Map<String, List<String>> outputs(TopologyHarness h) {
        List<String> sums = new ArrayList<>();
        h.sums().readValuesToList().forEach(p -> sums.add(p.getTimestep() + "@" + p.getModelVersion() + " "
                + p.getPrediction()));
        List<String> dead = new ArrayList<>();
        h.deadLetters().readRecordsToList().forEach(r -> dead.add(header(r, "error.reason") + " "
                + new String(r.value(), StandardCharsets.UTF_8)));
        return Map.of("sum", sums, "dead", dead);
    }
}
