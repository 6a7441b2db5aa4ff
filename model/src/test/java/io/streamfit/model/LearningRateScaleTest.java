package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runtime learning-rate scale that divergence recovery lowers: it scales the update exactly,
 * travels in the checkpoint (version 2 only when it is not 1), and an unscaled model's checkpoint
 * stays version 1.
 */
class LearningRateScaleTest {

    private static final int M = 4;

    private static ModelSpec spec(double lr) {
        return ModelSpec.regressor(M, new int[] {8}, "tanh", 0.5,
                new ModelSpec.OptimizerSpec("sgd", lr, Map.of()), 42);
    }

    private static int formatVersion(byte[] state) {
        return ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    @Test
    void anUnscaledModelWritesAVersionOneCheckpoint() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(0.01))) {
            model.step(Batches.random(M, 1, 3, 4), true);
            assertThat(model.learningRateScale()).isEqualTo(1.0);
            assertThat(formatVersion(model.exportState())).isEqualTo(CheckpointFormat.FORMAT_VERSION);
            assertThat(model.stateFinite()).isTrue();
        }
    }

    @Test
    void halvingTheScaleTrainsLikeHalfTheLearningRate() {
        try (SharedWeightRegressor scaled = new SharedWeightRegressor(spec(0.02));
             SharedWeightRegressor half = new SharedWeightRegressor(spec(0.01))) {
            scaled.setLearningRateScale(0.5);
            for (int i = 0; i < 5; i++) {
                scaled.step(Batches.random(M, i, 3, 4), true);
                half.step(Batches.random(M, i, 3, 4), true);
            }
            Map<String, float[]> expected = half.variables();
            assertThat(scaled.variables()).hasSameSizeAs(expected).allSatisfy((name, values) ->
                    assertThat(values).as(name).containsExactly(expected.get(name)));
        }
    }

    @Test
    void theScaleSurvivesExportAndImportAsVersionTwo() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(0.01));
             SharedWeightRegressor restored = new SharedWeightRegressor(spec(0.01))) {
            model.step(Batches.random(M, 1, 3, 4), true);
            byte[] unscaled = model.exportState();
            model.setLearningRateScale(0.25);
            byte[] state = model.exportState();
            assertThat(formatVersion(state)).isEqualTo(CheckpointFormat.SCALED_FORMAT_VERSION);
            assertThat(state).hasSize(unscaled.length + 8);

            restored.importState(state);
            assertThat(restored.learningRateScale()).isEqualTo(0.25);
            assertThat(restored.version()).isEqualTo(model.version());
            assertThat(restored.exportState()).isEqualTo(state);

            restored.importState(unscaled);
            assertThat(restored.learningRateScale()).isEqualTo(1.0);
        }
    }

    @Test
    void aRollbackRestoresTheWeightsButNotAnOlderVersion() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(0.01))) {
            model.step(Batches.random(M, 1, 3, 4), true);
            byte[] early = model.exportState();
            Map<String, float[]> earlyWeights = model.variables();
            model.step(Batches.random(M, 2, 3, 4), true);
            model.step(Batches.random(M, 3, 3, 4), true);

            model.rollBackTo(early, 2);

            assertThat(model.version()).isEqualTo(2);
            assertThat(model.variables()).allSatisfy((name, values) ->
                    assertThat(values).as(name).containsExactly(earlyWeights.get(name)));
        }
    }

    @Test
    void aScaleOutOfRangeIsRefused() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(0.01))) {
            assertThatThrownBy(() -> model.setLearningRateScale(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> model.setLearningRateScale(1.5)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> model.setLearningRateScale(Double.NaN))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aCorruptedCheckpointIsRefusedWithoutChangingTheModel() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(0.01))) {
            model.setLearningRateScale(0.5);
            byte[] state = model.exportState();
            state[state.length - 10] ^= 0x40;
            byte[] before = model.exportState();
            assertThatThrownBy(() -> model.importState(state)).hasMessageContaining("CRC");
            assertThat(model.exportState()).isEqualTo(before);
        }
    }
}
