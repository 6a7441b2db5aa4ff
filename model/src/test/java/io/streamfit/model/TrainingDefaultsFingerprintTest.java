package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The defaults that changed (the gradient clip, the sum normalisation) keep every fingerprint of
 * the versions before them, whichever way a configuration spelt the old behaviour; the options
 * that are new print only where they are not the default.
 */
class TrainingDefaultsFingerprintTest {

    private static final String BEFORE = "regressor|m=8|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001)|seed=42";

    private static ModelSpec spec(Map<String, Double> params) {
        return ModelSpec.regressor(8, new int[] {64}, "relu", 0.5, new ModelSpec.OptimizerSpec("adam", 0.001, params),
                42);
    }

    @Test
    void theNewDefaultsAndTheOldSpellingsOfTheOldBehaviourPrintAsBefore() {
        assertThat(spec(Map.of()).fingerprint()).isEqualTo(BEFORE);
        assertThat(spec(Map.of(Optimizers.PARAM_CLIP_NORM, 0.0)).fingerprint()).isEqualTo(BEFORE);
        assertThat(spec(Map.of()).withLoss(LossOptions.LEGACY).fingerprint()).isEqualTo(BEFORE);
        assertThat(spec(Map.of(Optimizers.PARAM_CLIP_NORM, 5.0)).fingerprint())
                .isEqualTo("regressor|m=8|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001, {clip.norm=5.0})|seed=42");
    }

    @Test
    void huberPrintsAndSpecsThatTrainDifferentlyAreNotEqual() {
        ModelSpec huber = spec(Map.of()).withLoss(new LossOptions(LossOptions.HUBER, 2.0, LossOptions.SUM_MEAN));
        assertThat(huber.fingerprint()).isEqualTo(BEFORE + "|loss=huber(delta=2.0)");
        assertThat(spec(Map.of()).withLoss(LossOptions.LEGACY)).isNotEqualTo(spec(Map.of()));
    }

    @Test
    void anAbsentClipIsTheDefaultAndAGivenZeroTurnsItOff() {
        assertThat(Optimizers.regularization(spec(Map.of()).optimizer()).clipNorm())
                .isEqualTo(Optimizers.CLIP_NORM_DEFAULT).isPositive();
        assertThat(Optimizers.regularization(spec(Map.of(Optimizers.PARAM_CLIP_NORM, 0.0)).optimizer()).clipNorm())
                .isZero();
    }
}
