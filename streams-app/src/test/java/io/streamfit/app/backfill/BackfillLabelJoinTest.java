package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.SpecKinds;
import io.streamfit.app.kind.Supervision;
import io.streamfit.app.screen.LabelScreen;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * Backfill's label join over records in merged order, as a pass feeds it: what trains, when, with
 * which truths, and what is counted as matched, expired, unmatched or duplicate (design.md,
 * "Delayed labels"; the stream's rules through {@link io.streamfit.app.pipeline.MemoryLabelJoin}).
 */
class BackfillLabelJoinTest {

    private static final long HOUR = 3_600_000L;

    /** One pass: a features screen and the label join on top of it, fed record by record. */
    private static final class Pass {
        final HistoryScreen screen;
        final HistoryLabelJoin join;
        final List<Sample> trained = new ArrayList<>();
        long offset;

        Pass(boolean global, long maxWaitTimesteps, long maxWaitMs, Supervision supervision, int features) {
            screen = new HistoryScreen(new TimestepValidator(features, 8, supervision), 10_000, global);
            join = new HistoryLabelJoin("labels", true, global, maxWaitTimesteps, maxWaitMs,
                    new LabelScreen(supervision, 8, 10_000, 1_000, 1), screen);
        }

        Pass(long maxWaitTimesteps, long maxWaitMs) {
            this(false, maxWaitTimesteps, maxWaitMs, Supervision.TARGETS, 2);
        }

        /** Feeds a record as {@link Passes} does; returns what it trained. */
        List<Sample> feed(String topic, int partition, String key, long timestamp, String value) {
            ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, partition, offset++, timestamp,
                    TimestampType.CREATE_TIME, 0, 0, key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8), new RecordHeaders(), Optional.empty());
            List<Sample> out = new ArrayList<>();
            join.arrive(r);
            if (join.isLabel(r)) {
                Sample s = join.label(r);
                if (s != null) {
                    out.add(s);
                }
            } else {
                HistoryScreen.Outcome o = screen.screen(r);
                if (o.sample() != null) {
                    out.add(join.features(r, o.sample(), o.previous()));
                }
            }
            trained.addAll(out);
            return out;
        }

        List<Sample> features(String series, long t, long timestamp) {
            return feed("features", 0, series, timestamp, features(t));
        }

        List<Sample> label(String series, long timestamp, String value) {
            return feed("labels", 0, series, timestamp, value);
        }

        static String features(long t) {
            return "{\"timestep\":" + t + ",\"objects\":[{\"id\":\"a\",\"features\":[1,2]},"
                    + "{\"id\":\"b\",\"features\":[3,4]}]}";
        }

        Backfill.LabelCounts counts() {
            return join.counts();
        }
    }

    private static String labels(long t, String objects) {
        return "{\"timestep\":" + t + ",\"objects\":[" + objects + "]}";
    }

    private static List<Double> targets(Sample s) {
        return s.timestep().objects().stream().map(Timestep.ObjectInput::target).toList();
    }

    @Test
    void aLateLabelTrainsTheStoredFeaturesWithItsTargets() {
        Pass pass = new Pass(1_000, HOUR);
        List<Sample> atFeatures = pass.features("s", 1, 1_000);
        // The features as before: a sample of the features topic, without truth (predicted, not trained).
        assertThat(atFeatures).singleElement().satisfies(s -> {
            assertThat(s.label()).isFalse();
            assertThat(targets(s)).containsOnlyNulls();
        });
        pass.features("s", 2, 2_000);
        List<Sample> joined = pass.label("s", 30_000, labels(1, "{\"id\":\"b\",\"target\":2.5},"
                + "{\"id\":\"a\",\"target\":1.5}"));
        assertThat(joined).singleElement().satisfies(s -> {
            assertThat(s.label()).as("made by a label").isTrue();
            assertThat(s.modelKey()).isEqualTo("s");
            assertThat(s.timestep().timestep()).isEqualTo(1);
            assertThat(targets(s)).containsExactly(1.5, 2.5);
        });
        assertThat(pass.counts()).isEqualTo(new Backfill.LabelCounts(1, 0, 0, 0, 1, 0));
    }

    @Test
    void labelsThatComeFirstGiveTheFeaturesTheirTargetsWhenTheyArrive() {
        Pass pass = new Pass(1_000, HOUR);
        assertThat(pass.label("s", 100, labels(3, "{\"id\":\"a\",\"target\":7}"))).isEmpty();
        assertThat(pass.label("s", 150, "{\"timestep\":3,\"objects\":[],\"sumTarget\":9}")).isEmpty();
        List<Sample> atFeatures = pass.features("s", 3, 200);
        assertThat(atFeatures).singleElement().satisfies(s -> {
            assertThat(s.label()).as("the features record itself").isFalse();
            assertThat(targets(s)).containsExactly(7.0, null);
            assertThat(s.timestep().sumTarget()).containsExactly(9.0);
        });
        // Object b still waits for its label.
        assertThat(pass.label("s", 300, labels(3, "{\"id\":\"b\",\"target\":8}"))).singleElement()
                .satisfies(s -> assertThat(targets(s)).containsExactly(null, 8.0));
        assertThat(pass.counts()).isEqualTo(new Backfill.LabelCounts(3, 0, 0, 0, 0, 0));
    }

    @Test
    void partialLabelsEachTrainTheirObjectsAndASecondLabelOfAnObjectIsADuplicate() {
        Pass pass = new Pass(1_000, HOUR);
        pass.features("s", 1, 0);
        assertThat(pass.label("s", 10, labels(1, "{\"id\":\"a\",\"target\":1}"))).singleElement()
                .satisfies(s -> assertThat(targets(s)).containsExactly(1.0, null));
        assertThat(pass.label("s", 20, labels(1, "{\"id\":\"a\",\"target\":5}"))).isEmpty();
        assertThat(pass.label("s", 30, labels(1, "{\"id\":\"b\",\"target\":2}"))).singleElement()
                .satisfies(s -> assertThat(targets(s)).containsExactly(null, 2.0));
        // Every object has its label: the flags stay, so a repeat is still told a duplicate.
        assertThat(pass.label("s", 40, labels(1, "{\"id\":\"b\",\"target\":2}"))).isEmpty();
        // One record naming an object twice: the label screen's duplicate.
        assertThat(pass.label("s", 50, labels(1, "{\"id\":\"a\",\"target\":1},{\"id\":\"a\",\"target\":1}")))
                .isEmpty();
        assertThat(pass.counts()).isEqualTo(new Backfill.LabelCounts(2, 0, 0, 3, 0, 0));
        assertThat(pass.join.skipped()).containsExactly(Map.entry(Rejection.LABEL_DUPLICATE, 3L));
        assertThat(pass.join.skippedTotal()).isEqualTo(3);
    }

    @Test
    void aSumTargetAloneTrainsTheSumOnly() {
        Pass pass = new Pass(1_000, HOUR);
        pass.features("s", 1, 0);
        assertThat(pass.label("s", 10, "{\"timestep\":1,\"objects\":[],\"sumTarget\":4.5}")).singleElement()
                .satisfies(s -> {
                    assertThat(targets(s)).containsOnlyNulls();
                    assertThat(s.timestep().sumTarget()).containsExactly(4.5);
                });
        assertThat(pass.label("s", 20, "{\"timestep\":1,\"objects\":[],\"sumTarget\":4.5}")).isEmpty();
        assertThat(pass.counts().duplicate()).isEqualTo(1);
    }

    @Test
    void featuresExpirePastEitherBoundAndTheirLateLabelsAreUnmatched() {
        // Timesteps: more than 2 behind the series.
        Pass steps = new Pass(2, HOUR);
        steps.features("s", 1, 0);
        steps.features("s", 2, 1);
        steps.features("s", 3, 2);
        assertThat(steps.counts().expired()).isZero();
        steps.features("s", 4, 3);
        assertThat(steps.counts().expired()).isEqualTo(1);
        assertThat(steps.label("s", 4, labels(1, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        assertThat(steps.label("s", 5, labels(2, "{\"id\":\"a\",\"target\":1}"))).hasSize(1);
        assertThat(steps.counts()).isEqualTo(new Backfill.LabelCounts(1, 1, 1, 0, 3, 0));
        assertThat(steps.join.skipped()).containsExactly(Map.entry(Rejection.LABEL_UNMATCHED, 1L));

        // Record time: the label came more than labels.max.wait.ms after the features.
        Pass time = new Pass(1_000, 1_000);
        time.features("s", 1, 0);
        assertThat(time.label("s", 1_001, labels(1, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        assertThat(time.counts()).isEqualTo(new Backfill.LabelCounts(0, 1, 1, 0, 0, 0));
        // Exactly at the bound it still joins.
        Pass edge = new Pass(1_000, 1_000);
        edge.features("s", 1, 0);
        assertThat(edge.label("s", 1_000, labels(1, "{\"id\":\"a\",\"target\":1}"))).hasSize(1);
    }

    @Test
    void labelsWithoutTheirFeaturesAreUnmatched() {
        Pass pass = new Pass(1_000, HOUR);
        pass.features("s", 1, 0);
        // Timestep 2 waits; the features skip from 1 to 3, so its features can no longer come.
        assertThat(pass.label("s", 1, labels(2, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        pass.features("s", 3, 2);
        // An object that is not among the features' objects.
        assertThat(pass.label("s", 3, labels(3, "{\"id\":\"zz\",\"target\":1}"))).isEmpty();
        // Features that came with targets of their own do not wait.
        pass.feed("features", 0, "s", 4, "{\"timestep\":4,\"objects\":[{\"id\":\"a\",\"features\":[1,2],"
                + "\"target\":3}]}");
        assertThat(pass.label("s", 5, labels(4, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        // A label that waits for features the history never brings: still waiting at its end.
        assertThat(pass.label("t", 6, labels(9, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        assertThat(pass.counts()).isEqualTo(new Backfill.LabelCounts(0, 0, 3, 0, 2, 1));
        assertThat(pass.join.skipped()).containsExactly(Map.entry(Rejection.LABEL_UNMATCHED, 3L));
    }

    @Test
    void aLabelReachesOnlyTheTaskOfItsPartitionUnlessTheScopeIsGlobal() {
        Pass series = new Pass(1_000, HOUR);
        series.feed("features", 0, "s", 0, Pass.features(1));
        assertThat(series.feed("labels", 1, "s", 1, labels(1, "{\"id\":\"a\",\"target\":1}"))).isEmpty();
        assertThat(series.counts().waitingLabels()).isEqualTo(1);

        Pass global = new Pass(true, 1_000, HOUR, Supervision.TARGETS, 2);
        global.feed("features", 0, "s", 0, Pass.features(1));
        assertThat(global.feed("labels", 1, "s", 1, labels(1, "{\"id\":\"a\",\"target\":1}"))).singleElement()
                .satisfies(s -> {
                    assertThat(s.modelKey()).isEqualTo("global");
                    assertThat(s.partition()).isZero();
                    assertThat(s.series()).isEqualTo("s");
                });
    }

    @Test
    void classifierLabelsJoinAsClassIndices() {
        ModelSpec spec = ModelSpec.classifier(2, 3, new int[0], "relu", 1.0, ModelSpec.OptimizerSpec.of("sgd", 0.1),
                1);
        Pass pass = new Pass(false, 1_000, HOUR, SpecKinds.of(spec).supervision(), 2);
        pass.features("s", 1, 0);
        assertThat(pass.label("s", 10, labels(1, "{\"id\":\"b\",\"label\":2}"))).singleElement().satisfies(s ->
                assertThat(s.timestep().objects().stream().map(Timestep.ObjectInput::label).toList())
                        .containsExactly(null, 2));
        // A class out of range is the label screen's to refuse.
        assertThat(pass.label("s", 20, labels(1, "{\"id\":\"a\",\"label\":7}"))).isEmpty();
        assertThat(pass.join.skipped()).containsOnlyKeys(Rejection.LABEL_OUT_OF_RANGE);
    }

    @Test
    void memoryStaysWithinTheWaitBoundsHoweverLongTheHistory() {
        Pass pass = new Pass(1_000, 1_000);
        // 20,000 series with one timestep each and no labels: only the sweep lets go of them.
        for (int i = 0; i < 20_000; i++) {
            pass.features("s" + i, 1, i * 10L);
        }
        // At 10 ms a record, 1,000 ms hold ~100 entries; plus what came since the last sweep.
        assertThat(pass.join.entries()).isLessThanOrEqualTo(101 + HistoryLabelJoin.SWEEP_EVERY);
        assertThat(pass.counts().expired()).isGreaterThan(18_000);
    }
}
