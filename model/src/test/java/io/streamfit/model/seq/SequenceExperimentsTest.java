package io.streamfit.model.seq;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The claims of the README's sequence-model tables, on the code that prints them
 * ({@link SequenceExperiments}); each run is seeded and single-threaded.
 */
class SequenceExperimentsTest {

    @Test
    void hidden64WithDifferencingOverfitsTheSequenceWithin1000Updates() {
        SequenceExperiments.OverfitResult r = SequenceExperiments.overfit(64, true, SequenceExperiments.OVERFIT_MAX_STEPS);
        assertThat(r.steps()).as("updates to MSE < 1e-4").isBetween(0, SequenceExperiments.OVERFIT_MAX_STEPS);
        assertThat(r.finalMse()).isLessThan(SequenceExperiments.OVERFIT_MSE);
    }

    @Test
    void hidden5WithoutDifferencingOnlyLearnsAFlatLine() {
        SequenceExperiments.OverfitResult r = SequenceExperiments.overfit(5, false, SequenceExperiments.OVERFIT_MAX_STEPS);
        assertThat(r.steps()).as("updates to MSE < 1e-4 (-1: never)").isEqualTo(-1);
        assertThat(r.finalMse()).isGreaterThan(5 * SequenceExperiments.OVERFIT_MSE);
        // the reconstruction hardly varies over time compared with the sequence: it is the average
        assertThat(r.flatness()).isLessThan(0.2);
    }

    @Test
    void aOneUnitLinearLstmLearnsToAddAndTanhCannotAtLength10() {
        SequenceExperiments.AddResult linear2 = add(2, "linear", "sigmoid");
        SequenceExperiments.AddResult linear10 = add(10, "linear", "sigmoid");
        SequenceExperiments.AddResult tanh10 = add(10, "tanh", "sigmoid");
        assertThat(linear2.rmse()).isLessThan(0.05);
        assertThat(linear10.rmse()).isLessThan(0.05);
        assertThat(tanh10.rmse()).isGreaterThan(4 * linear10.rmse()).isGreaterThan(0.05);
    }

    @Test
    void aLevelShiftIsFlaggedWithinOneWindowAndCleanWindowsRarelyAreAtP99() {
        SequenceExperiments.AnomalyResult r = SequenceExperiments.anomaly(SequenceExperiments.ANOMALY_OBJECTS,
                SequenceExperiments.ANOMALY_SHIFT_AT, 1.0, SequenceExperiments.ANOMALY_SHIFT_AT + 16);
        assertThat(r.cleanWindows()).isGreaterThan(10_000);
        assertThat(r.cleanFlagRate()).isLessThan(0.015);
        assertThat(r.detectionDelay()).isBetween(0, r.window() - 1);
    }

    private static SequenceExperiments.AddResult add(int length, String cell, String gate) {
        return SequenceExperiments.learnToAdd(length, cell, gate, SequenceExperiments.ADD_STEPS,
                SequenceExperiments.ADD_LEARNING_RATE);
    }
}
