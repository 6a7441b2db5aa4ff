package io.streamfit.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PrequentialStatsTest {

    @Test
    void emptyStatsAreNaN() {
        PrequentialStats s = new PrequentialStats(10);
        assertThat(s.objectMse()).isNaN();
        assertThat(s.sumMse()).isNaN();
    }

    @Test
    void runningMseIsPooledOverObjects() {
        PrequentialStats s = new PrequentialStats(1000);
        s.add(2.0, 2, 9.0, true);   // two objects, squared errors sum 2; sum error 3^2
        s.add(4.0, 1, 0.0, false);  // one object, no sum target
        assertThat(s.runningObjectMse()).isCloseTo(6.0 / 3, within(1e-12));
        assertThat(s.runningSumMse()).isCloseTo(9.0, within(1e-12));
        assertThat(s.scoredObjects()).isEqualTo(3);
        assertThat(s.scoredSums()).isEqualTo(1);
    }

    @Test
    void windowedMseForgetsOldErrors() {
        PrequentialStats s = new PrequentialStats(100);
        for (int i = 0; i < 5000; i++) {
            s.add(1.0, 1, 1.0, true);
        }
        for (int i = 0; i < 1000; i++) {
            s.add(0.01, 1, 0.04, true);
        }
        // After ten windows of small errors, the windowed estimate follows them; the running one does not.
        assertThat(s.objectMse()).isCloseTo(0.01, within(1e-3));
        assertThat(s.sumMse()).isCloseTo(0.04, within(1e-3));
        assertThat(s.runningObjectMse()).isGreaterThan(0.5);
    }

    @Test
    void roundTripThroughCheckpointMap() {
        PrequentialStats s = new PrequentialStats(50);
        for (int i = 0; i < 77; i++) {
            s.add(i * 0.1, 3, i * 0.2, i % 2 == 0);
        }
        PrequentialStats r = new PrequentialStats(50);
        r.restore(s.toMap());
        assertThat(r.objectMse()).isEqualTo(s.objectMse());
        assertThat(r.sumMse()).isEqualTo(s.sumMse());
        assertThat(r.runningObjectMse()).isEqualTo(s.runningObjectMse());
        assertThat(r.scoredSums()).isEqualTo(s.scoredSums());
        r.add(1, 1, 1, true);
        s.add(1, 1, 1, true);
        assertThat(r.objectMse()).isEqualTo(s.objectMse());
    }

    @Test
    void classificationAccuracyAndLogLossArePooledOverLabelledObjects() {
        PrequentialStats s = new PrequentialStats(1000);
        assertThat(s.accuracy()).isNaN();
        // 3 labelled objects, 2 right; the label probabilities were 0.5, 0.25, 1.0.
        s.addClassification(2, -Math.log(0.5) - Math.log(0.25) - Math.log(1.0), 3);
        s.addClassification(0, 0, 0); // a timestep without labels changes nothing
        assertThat(s.runningAccuracy()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(s.runningLogLoss()).isCloseTo((Math.log(2) + Math.log(4)) / 3, within(1e-12));
        assertThat(s.labelledObjects()).isEqualTo(3);
        assertThat(s.accuracy()).isCloseTo(2.0 / 3, within(1e-12));
    }

    @Test
    void classificationStateSurvivesTheCheckpointMapAndRegressorsKeepTheirLayout() {
        PrequentialStats regressor = new PrequentialStats(20);
        regressor.add(1, 1, 1, true);
        assertThat(regressor.toMap()).doesNotContainKey("prequential.total.labelled");

        PrequentialStats s = new PrequentialStats(20);
        for (int i = 0; i < 40; i++) {
            s.addClassification(i % 3 == 0 ? 1 : 0, 0.1 * i, 1);
        }
        PrequentialStats r = new PrequentialStats(20);
        r.restore(s.toMap());
        assertThat(r.accuracy()).isEqualTo(s.accuracy());
        assertThat(r.logLoss()).isEqualTo(s.logLoss());
        assertThat(r.runningAccuracy()).isEqualTo(s.runningAccuracy());
        assertThat(r.runningLogLoss()).isEqualTo(s.runningLogLoss());
    }

    @Test
    void oneNonFiniteErrorIsLeftOutAndCountedInsteadOfPoisoningTheMetricsForGood() {
        PrequentialStats s = new PrequentialStats(10);
        PrequentialStats clean = new PrequentialStats(10);
        for (int i = 0; i < 30; i++) {
            if (i == 5) {
                s.add(Double.NaN, 2, Double.POSITIVE_INFINITY, true);
                s.addClassification(1, Double.POSITIVE_INFINITY, 3);
                s.add(1e308, 1, 0, false);
                s.add(1e308, 1, 0, false); // finite, but the running total would overflow
                continue;
            }
            s.add(0.1 * i, 2, 0.2 * i, true);
            s.addClassification(i % 2, 0.3, 1);
            clean.add(0.1 * i, 2, 0.2 * i, true);
            clean.addClassification(i % 2, 0.3, 1);
        }
        assertThat(s.nonFinite()).as("2 objects, 1 sum, 3 labelled objects, 1 overflowing object").isEqualTo(7);
        assertThat(s.objectMse()).isFinite();
        assertThat(s.sumMse()).isEqualTo(clean.sumMse());
        assertThat(s.runningSumMse()).isEqualTo(clean.runningSumMse());
        assertThat(s.accuracy()).isEqualTo(clean.accuracy());
        assertThat(s.logLoss()).isEqualTo(clean.logLoss());
        assertThat(s.runningLogLoss()).isEqualTo(clean.runningLogLoss());
        assertThat(s.scoredSums()).isEqualTo(clean.scoredSums());
        assertThat(s.labelledObjects()).isEqualTo(clean.labelledObjects());
        // The one finite 1e308 did enter, as a real (huge) error: only the overflow was refused.
        assertThat(s.scoredObjects()).isEqualTo(clean.scoredObjects() + 1);
        assertThat(s.runningObjectMse()).isFinite();

        PrequentialStats restored = new PrequentialStats(10);
        restored.restore(s.toMap());
        assertThat(s.toMap()).containsEntry(PrequentialStats.NON_FINITE, 7.0);
        assertThat(restored.nonFinite()).isEqualTo(7);
        restored.addNonFinite(2);
        assertThat(restored.nonFinite()).isEqualTo(9);
    }

    @Test
    void aCheckpointWithNonFiniteSumsRestoresToFiniteMetrics() {
        PrequentialStats before = new PrequentialStats(10);
        for (int i = 0; i < 20; i++) {
            before.add(0.5, 1, 4.0, true);
            before.addClassification(1, 0.2, 2);
        }
        Map<String, Double> poisoned = new HashMap<>(before.toMap());
        assertThat(poisoned).as("a healthy model's checkpoint keeps its layout")
                .doesNotContainKey(PrequentialStats.NON_FINITE);
        // As an earlier version wrote them after one NaN error: the object sums and the log-loss NaN.
        poisoned.put("prequential.faded.object.sq", Double.NaN);
        poisoned.put("prequential.total.object.sq", Double.NaN);
        poisoned.put("prequential.faded.logloss", Double.POSITIVE_INFINITY);
        poisoned.put("prequential.total.logloss", Double.POSITIVE_INFINITY);

        PrequentialStats s = new PrequentialStats(10);
        s.restore(poisoned);
        assertThat(s.sumMse()).as("the sound sums are kept").isEqualTo(before.sumMse());
        assertThat(s.runningSumMse()).isEqualTo(before.runningSumMse());
        assertThat(s.nonFinite()).as("20 objects and 40 labelled objects no longer in the totals").isEqualTo(60);
        s.add(0.25, 1, 4.0, true);
        s.addClassification(1, 0.1, 1);
        assertThat(s.objectMse()).isEqualTo(0.25);
        assertThat(s.runningObjectMse()).isEqualTo(0.25);
        assertThat(s.logLoss()).isCloseTo(0.1, within(1e-12));
        assertThat(s.runningLogLoss()).isCloseTo(0.1, within(1e-12));
        assertThat(s.accuracy()).isEqualTo(1.0);
        assertThat(s.toMap().values()).allSatisfy(v -> assertThat(v).isFinite());
    }

    @Test
    void aStoredCountThatIsNotACountRestoresAsZero() {
        PrequentialStats s = new PrequentialStats(10);
        s.restore(Map.of("prequential.faded.sum.sq", 3.0, "prequential.faded.sum.count", Double.NaN,
                PrequentialStats.NON_FINITE, -1.0));
        assertThat(s.sumMse()).isNaN();
        assertThat(s.nonFinite()).isZero();
        s.add(0, 0, 2.0, true);
        assertThat(s.sumMse()).isEqualTo(2.0);
    }
}
