package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which settings shape the weights ({@link SpecFingerprint}), and what a model does with a state
 * saved under other settings: the same shape loads (the weights always, the optimizer state when
 * the same optimizer wrote it) and the new settings apply from the next update; another shape is
 * refused.
 */
class SettingsChangeTest {

    private static final int M = 3;

    /** A fingerprint as the versions before the split wrote it (the service's defaults, m = 4). */
    private static final String OLD_REGRESSOR = "regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001, "
            + "{beta1=0.9, beta2=0.999, epsilon=1.0E-8})|seed=42";

    private static ModelSpec regressor(int[] hidden, String optimizer, double lr, Map<String, Double> params,
                                       long seed) {
        return ModelSpec.regressor(M, hidden, "tanh", 0.5, new ModelSpec.OptimizerSpec(optimizer, lr, params), seed);
    }

    private static ModelSpec regressor(String optimizer, double lr) {
        return regressor(new int[] {5}, optimizer, lr, Map.of(), 7);
    }

    private static Map<String, float[]> variables(OnlineModel model) {
        return ((GraphModel) model).variables();
    }

    /** The fingerprint a state was written under (docs/state-format.md). */
    private static String fingerprintOf(byte[] state) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(state).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        return new String(state, 12, in.getInt(8), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void theShapePartOfAnOldFingerprintIsThatOfTheSpec() {
        SpecFingerprint old = SpecFingerprint.parse(OLD_REGRESSOR);
        ModelSpec now = ModelSpec.regressor(4, new int[] {64}, "relu", 0.8, new ModelSpec.OptimizerSpec("sgd", 0.01,
                Map.of(Optimizers.PARAM_L2, 0.001)), 1);
        assertThat(old.shape()).isEqualTo("regressor|m=4|hidden=[64]|act=relu").isEqualTo(now.shapeFingerprint());
        assertThat(old.sameShape(SpecFingerprint.of(now))).isTrue();
        assertThat(old.shapeSettings()).containsExactly(Map.entry("model.kind", "regressor"),
                Map.entry("model.features", "4"), Map.entry("model.hidden", "64"), Map.entry("model.activation", "relu"));
        assertThat(old.trainingSettings()).containsEntry("loss.weight", "0.5").containsEntry("optimizer", "adam")
                .containsEntry("optimizer.learning.rate", "0.001").containsEntry("optimizer.beta1", "0.9")
                .containsEntry("optimizer.schedule", "constant").containsEntry("model.seed", "42")
                .containsEntry("loss.function", "squared");
        assertThat(old.trainingChanges(SpecFingerprint.of(now))).extracting(Object::toString).containsExactly(
                "loss.weight 0.5 -> 0.8", "optimizer adam -> sgd", "optimizer.learning.rate 0.001 -> 0.01",
                "optimizer.l2 (default) -> 0.001", "model.seed 42 -> 1");
        assertThat(old.shapeChanges(SpecFingerprint.of(now))).isEmpty();
    }

    @Test
    void everyKindsShapeIsParsedBackFromItsFingerprint() {
        ModelSpec.OptimizerSpec adam = ModelSpec.OptimizerSpec.of("adam", 0.001);
        SequenceOptions seq = SequenceOptions.DEFAULT.withWindow(4).withBidirectional(true);
        for (ModelSpec spec : new ModelSpec[] {
                ModelSpec.classifier(500, 3, new int[0], "sigmoid", 0.5, adam, 42).withLoss(new LossOptions("huber", 2,
                        LossOptions.SUM_MEAN)),
                ModelSpec.lstmRegressor(3, new int[] {8, 4}, seq, 0.5, adam, 42),
                ModelSpec.seqAutoencoder(3, new int[] {8}, seq.withDifference(true), adam, 42)}) {
            assertThat(SpecFingerprint.of(spec).shape()).as(spec.fingerprint()).isEqualTo(spec.shapeFingerprint());
        }
        SpecFingerprint lstm = SpecFingerprint.parse("lstm-regressor|m=3|hidden=[8, 4]|act=linear|w=0.5|"
                + "opt=adam(lr=0.001)|seed=42|seq=W=4,bidi=true,rev=false,diff=false,act=tanh,rec=sigmoid");
        assertThat(lstm.shapeSettings()).containsEntry("model.hidden", "8,4").containsEntry("model.window", "4")
                .containsEntry("model.lstm.bidirectional", "true").containsEntry("model.lstm.recurrent.activation",
                        "sigmoid");
        SpecFingerprint wider = SpecFingerprint.of(ModelSpec.lstmRegressor(3, new int[] {8, 4},
                seq.withWindow(8), 0.5, adam, 42));
        assertThat(lstm.shapeChanges(wider)).extracting(Object::toString).containsExactly("model.window 4 -> 8");
        SpecFingerprint huber = SpecFingerprint.parse("classifier|m=500|hidden=[]|act=sigmoid|w=0.5|opt=adam(lr=0.001)"
                + "|seed=42|classes=3|loss=huber(delta=2.0)");
        assertThat(huber.shapeSettings()).containsEntry("model.classes", "3").containsEntry("model.hidden", "");
        assertThat(huber.trainingSettings()).containsEntry("loss.function", "huber")
                .containsEntry("loss.huber.delta", "2.0");
        SpecFingerprint regressor = SpecFingerprint.parse(OLD_REGRESSOR);
        assertThat(regressor.shapeChanges(huber)).extracting(Object::toString)
                .containsExactly("model.kind regressor -> classifier");
    }

    @Test
    void aNewLearningRateKeepsTheWeightsAndTheOptimizerStateAndMovesTheWeightsByTheNewRate() {
        ModelSpec slow = regressor("momentum", 0.01);
        ModelSpec fast = regressor("momentum", 0.1);
        try (OnlineModel before = Models.create(slow); OnlineModel after = Models.create(fast);
             OnlineModel reference = Models.create(slow)) {
            for (int i = 0; i < 3; i++) {
                before.step(Batches.random(M, i, 2, 3), true);
            }
            byte[] saved = before.exportState();
            after.importState(saved);
            reference.importState(saved);
            assertThat(after.version()).isEqualTo(3);
            assertThat(variables(after)).containsExactlyEntriesOf(variables(before));

            // Momentum's update is lr * (momentum * accum + g): with the slots kept, ten times the
            // rate moves every weight ten times as far as the old rate does.
            Map<String, float[]> w0 = variables(after);
            ObjectBatch batch = Batches.random(M, 9, 2, 3);
            assertThat(after.step(batch, true).objectPredictions())
                    .containsExactly(reference.step(batch, true).objectPredictions());
            Map<String, float[]> moved = variables(after);
            Map<String, float[]> movedSlowly = variables(reference);
            for (String name : new String[] {"dense_0_kernel", "dense_0_bias", "output_kernel", "output_bias"}) {
                for (int j = 0; j < w0.get(name).length; j++) {
                    float slowStep = movedSlowly.get(name)[j] - w0.get(name)[j];
                    assertThat(moved.get(name)[j] - w0.get(name)[j]).as("%s[%d]", name, j)
                            .isCloseTo(10 * slowStep, within(1e-5f + 1e-3f * Math.abs(10 * slowStep)));
                }
            }
            // The state it saves from now on is of its own settings.
            assertThat(fingerprintOf(after.exportState())).isEqualTo(fast.fingerprint());
        }
    }

    @Test
    void anotherOptimizerKeepsTheWeightsAndStartsItsStateOver() {
        ModelSpec momentum = regressor("momentum", 0.05);
        ModelSpec adam = regressor("adam", 0.05);
        try (OnlineModel trained = Models.create(momentum); OnlineModel switched = Models.create(adam);
             OnlineModel fresh = Models.create(adam)) {
            for (int i = 0; i < 3; i++) {
                trained.step(Batches.random(M, i, 2, 3), true);
            }
            // The switched model's own slots are not fresh either: an import must start them over.
            switched.step(Batches.random(M, 11, 4), true);
            switched.importState(trained.exportState());
            assertThat(switched.version()).isEqualTo(3);

            Map<String, float[]> t = variables(trained);
            Map<String, float[]> s = variables(switched);
            Map<String, float[]> f = variables(fresh);
            for (String name : new String[] {"dense_0_kernel", "dense_0_bias", "output_kernel", "output_bias"}) {
                assertThat(s.get(name)).as(name).containsExactly(t.get(name));
            }
            assertThat(s).containsKeys("dense_0_kernel-m", "dense_0_kernel-v", "beta1_power")
                    .doesNotContainKey("dense_0_kernel-momentum");
            for (String name : s.keySet()) {
                if (!t.containsKey(name)) {
                    assertThat(s.get(name)).as("%s starts over", name).containsExactly(f.get(name));
                }
            }
        }
    }

    @Test
    void aPooledModelStartsTheOptimizerStateOverOnAnEngineThatHeldAnothers() {
        ModelSpec momentum = regressor("momentum", 0.05);
        ModelSpec adam = regressor("adam", 0.05);
        try (OnlineModel trained = Models.create(momentum); OnlineModel reference = Models.create(adam);
             ModelPool pool = new ModelPool(adam)) {
            trained.step(Batches.random(M, 1, 2, 3), true);
            byte[] saved = trained.exportState();
            OnlineModel other = pool.newModel();
            other.step(Batches.random(M, 2, 3), true); // resident, its Adam slots moved
            OnlineModel switched = pool.newModel();
            switched.importState(saved);
            reference.importState(saved);
            for (int i = 0; i < 3; i++) {
                ObjectBatch batch = Batches.random(M, 20 + i, 2, 2);
                assertThat(switched.step(batch, true).objectPredictions())
                        .containsExactly(reference.step(batch, true).objectPredictions());
                other.step(Batches.random(M, 30 + i, 2), true);
            }
            assertThat(switched.exportState()).containsExactly(reference.exportState());
        }
    }

    @Test
    void aStateOfAnotherShapeIsRefusedWithTheSettingThatDiffers() {
        try (OnlineModel a = Models.create(regressor("adam", 0.01));
             OnlineModel b = Models.create(regressor(new int[] {6}, "adam", 0.01, Map.of(), 7));
             ModelPool pool = new ModelPool(regressor(new int[] {6}, "sgd", 0.01, Map.of(), 7))) {
            byte[] state = a.exportState();
            byte[] before = b.exportState();
            assertThatThrownBy(() -> b.importState(state)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint").hasMessageContaining("model.hidden 5 -> 6");
            assertThat(b.exportState()).containsExactly(before);
            assertThatThrownBy(() -> pool.newModel().importState(state)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("model.hidden 5 -> 6");
        }
    }

    @Test
    void divergenceRecoverysScaleIsKeptUnlessTheLearningRateChanged() {
        try (OnlineModel lowered = Models.create(regressor("adam", 0.01));
             OnlineModel regularised = Models.create(regressor(new int[] {5}, "adam", 0.01,
                     Map.of(Optimizers.PARAM_L2, 0.01), 7));
             OnlineModel faster = Models.create(regressor("adam", 0.02));
             ModelPool pool = new ModelPool(regressor("adam", 0.02))) {
            lowered.setLearningRateScale(0.25);
            lowered.step(Batches.random(M, 1, 2), true);
            byte[] state = lowered.exportState();
            regularised.importState(state);
            assertThat(regularised.learningRateScale()).isEqualTo(0.25);
            faster.importState(state);
            assertThat(faster.learningRateScale()).isEqualTo(1.0);
            OnlineModel pooled = pool.newModel();
            pooled.importState(state);
            assertThat(pooled.learningRateScale()).isEqualTo(1.0);
        }
    }

    @Test
    void aChangedSeedLoadsTheSavedWeightsNotNewOnes() {
        try (OnlineModel saved = Models.create(regressor(new int[] {5}, "adam", 0.01, Map.of(), 1));
             OnlineModel reseeded = Models.create(regressor(new int[] {5}, "adam", 0.01, Map.of(), 2))) {
            reseeded.importState(saved.exportState());
            assertThat(variables(reseeded)).containsExactlyEntriesOf(variables(saved));
        }
    }
}
