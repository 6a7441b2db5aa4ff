package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A non-finite loss or gradient leaves the whole state as it was and says why. */
class DivergenceGuardTest {

    private static final int M = 4;

    private static ModelSpec spec(String optimizer) {
        return ModelSpec.regressor(M, new int[] {8}, "tanh", 0.5,
                new ModelSpec.OptimizerSpec(optimizer, 0.01, Map.of("clip.norm", 1.0)), 42);
    }

    /** Targets of 1e30: the squared error overflows float32 to infinity. */
    private static ObjectBatch overflowing() {
        ObjectBatch b = new ObjectBatch(M);
        b.beginTimestep();
        for (int i = 0; i < 3; i++) {
            b.addDense(new float[] {0.1f * i, -0.2f, 0.3f, 0.5f}, 0, true, 1e30f);
        }
        b.endTimestep();
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "adam", "adagrad", "rmsprop", "ftrl", "neuron-mean-momentum"})
    void overflowingBatchIsSkippedAndTheStateStaysBitForBit(String optimizer) {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(optimizer))) {
            model.step(Batches.random(M, 1, 3, 4), true);
            model.step(Batches.random(M, 2, 5), true);
            byte[] before = model.exportState();

            StepResult r = model.step(overflowing(), true);

            assertThat(r.updated()).isFalse();
            assertThat(r.skipped()).isEqualTo(StepResult.SKIP_NON_FINITE_LOSS);
            assertThat(r.loss()).isInfinite();
            assertThat(r.objectPredictions()).hasSize(3);
            assertThat(model.version()).isEqualTo(2);
            assertThat(model.exportState()).isEqualTo(before);

            // And it keeps learning afterwards.
            StepResult next = model.step(Batches.random(M, 3, 4), true);
            assertThat(next.updated()).isTrue();
            assertThat(next.skipped()).isNull();
            assertThat(model.version()).isEqualTo(3);
            assertThat(model.exportState()).isNotEqualTo(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "neuron-mean-momentum"})
    void nanFeatureIsSkippedToo(String optimizer) {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(optimizer))) {
            model.step(Batches.random(M, 1, 3), true);
            byte[] before = model.exportState();
            ObjectBatch b = new ObjectBatch(M);
            b.beginTimestep();
            b.addDense(new float[] {Float.NaN, 0f, 0f, 0f}, 0, true, 1f);
            b.endTimestep();

            StepResult r = model.step(b, true);

            assertThat(r.skipped()).isEqualTo(StepResult.SKIP_NON_FINITE_LOSS);
            assertThat(model.exportState()).isEqualTo(before);
        }
    }
}
