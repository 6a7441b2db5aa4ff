package io.streamfit.app.runtime;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.Test;

/**
 * The start's look at the newest saved models ({@link SavedModels#check}): settings that shape the
 * weights must be those the checkpoints were trained with, the champion's and each configured
 * challenger's, in fingerprints as earlier versions wrote them; the others may differ.
 */
class SavedModelsTest {

    /** A fingerprint as the versions before the split wrote it: the defaults with m = 4. */
    private static final String OLD = "regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001, {beta1=0.9, "
            + "beta2=0.999, epsilon=1.0E-8})|seed=42";

    private static ModelCheckpoint checkpoint(String key, String fingerprint) {
        return ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey(key).setSpecFingerprint(fingerprint)
                .setModelVersion(1).setModelState(ByteBuffer.allocate(0)).setMetrics(Map.of())
                .setLastTimesteps(Map.of()).setRecords(1).setUpdatedAtMs(0).build();
    }

    private static StreamfitConfig config(Object... keyValues) {
        TestConfigs.Builder b = TestConfigs.regressor(4).app("saved");
        for (int i = 0; i < keyValues.length; i += 2) {
            b.with((String) keyValues[i], keyValues[i + 1]);
        }
        return b.toConfig();
    }

    @Test
    void trainingSettingsOfAnOldFingerprintMayChange() {
        assertThatCode(() -> SavedModels.check(config("optimizer", "sgd", "optimizer.learning.rate", 0.05,
                "loss.weight", 0.9, "model.seed", 1, "optimizer.l2", 0.01, "loss.function", "huber"),
                List.of(checkpoint("k", OLD)))).doesNotThrowAnyException();
    }

    @Test
    void aShapeSettingOfAnOldFingerprintMayNot() {
        assertThatThrownBy(() -> SavedModels.check(config("model.hidden", "32,16", "model.activation", "tanh"),
                List.of(checkpoint("k", OLD)))).isInstanceOf(ModelMismatchException.class).hasMessage(
                "model.hidden=32,16, model.activation=tanh do not fit the saved models of application.id 'saved', "
                        + "trained with model.hidden=64, model.activation=relu (settings that shape the weights); set "
                        + "them back, use a new application.id, or delete the saved models with 'streamfit reset'");
    }

    @Test
    void aChallengersCheckpointIsCheckedAgainstItsOwnSettingsAndAnUnconfiguredOnesIsLeftAlone() {
        StreamfitConfig config = config("challengers", "b", "challenger.b.model.hidden", 8);
        String b = config.challengers().get(0).kind().spec().fingerprint();
        assertThatCode(() -> SavedModels.check(config, List.of(checkpoint("k", OLD),
                checkpoint(Names.challengerKey("k", "b"), b), checkpoint(Names.challengerKey("k", "gone"), "x"))))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> SavedModels.check(config, List.of(checkpoint(Names.challengerKey("k", "b"), OLD))))
                .isInstanceOf(ModelMismatchException.class).hasMessageStartingWith("challenger.b.model.hidden=8 does "
                        + "not fit the saved models of challenger 'b' of application.id 'saved', trained with "
                        + "challenger.b.model.hidden=64 (a setting that shapes the weights); set it back, rename the "
                        + "challenger, ");
    }
}
