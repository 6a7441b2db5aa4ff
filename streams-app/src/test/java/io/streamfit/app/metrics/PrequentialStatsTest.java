package io.streamfit.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
}
