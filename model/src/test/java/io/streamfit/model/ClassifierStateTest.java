package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Classifier checkpoints, and the spec fingerprints and checks that decide which checkpoint fits. */
class ClassifierStateTest {

    private static final int M = 6;

    private static ModelSpec spec(String input) {
        return ModelSpec.classifier(M, 3, new int[] {5}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.05), 8)
                .withInput(input);
    }

    @ParameterizedTest(name = "{0} input")
    @ValueSource(strings = {ModelSpec.INPUT_DENSE, ModelSpec.INPUT_SPARSE})
    void exportImportMidTrainingContinuesBitForBit(String input) {
        try (Classifier a = new Classifier(spec(input)); Classifier b = new Classifier(spec(input))) {
            for (int s = 0; s < 4; s++) {
                a.step(batch(a, s), true);
            }
            b.importState(a.exportState());
            assertThat(b.version()).isEqualTo(4);
            assertThat(b.exportState()).isEqualTo(a.exportState());
            for (int s = 4; s < 8; s++) {
                StepResult ra = a.step(batch(a, s), true);
                StepResult rb = b.step(batch(b, s), true);
                assertThat(rb.probabilities()).containsExactly(ra.probabilities());
                assertThat(rb.loss()).isEqualTo(ra.loss());
            }
            assertThat(b.exportState()).isEqualTo(a.exportState());
            assertThat(a.variables()).containsKeys("output_kernel-m", "output_kernel-v", "beta1_power");
            // The optimizer slots moved: the round trip carried more than the weights.
            assertThat(a.variables().get("output_kernel-m")).isNotEqualTo(new float[5 * 3]);
        }
    }

    @Test
    void nonFiniteLossChangesNothing() {
        try (Classifier model = new Classifier(spec(ModelSpec.INPUT_SPARSE))) {
            model.step(batch(model, 1), true);
            byte[] before = model.exportState();
            ObjectBatch bad = model.newBatch();
            bad.beginTimestep();
            bad.addSparse(new int[] {2}, new float[] {Float.NaN}, false, 0f);
            bad.setLabel(1);
            bad.endTimestep();
            StepResult r = model.step(bad, true);
            assertThat(r.updated()).isFalse();
            assertThat(r.skipped()).isEqualTo(StepResult.SKIP_NON_FINITE_LOSS);
            assertThat(model.exportState()).isEqualTo(before);
            assertThat(model.version()).isEqualTo(1);
        }
    }

    @Test
    void checkpointOfAnotherSpecIsRejected() {
        ModelSpec fourClasses = ModelSpec.classifier(M, 4, new int[] {5}, "relu", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.05), 8);
        try (Classifier a = new Classifier(spec(ModelSpec.INPUT_DENSE));
             Classifier other = new Classifier(fourClasses)) {
            byte[] state = a.exportState();
            assertThatThrownBy(() -> other.importState(state)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint").hasMessageContaining("|classes=3")
                    .hasMessageContaining("|classes=4");
        }
    }

    @Test
    void aCheckpointMovesBetweenTheDenseAndTheSparseLayout() {
        try (Classifier dense = new Classifier(spec(ModelSpec.INPUT_DENSE));
             Classifier sparse = new Classifier(spec(ModelSpec.INPUT_SPARSE))) {
            for (int i = 0; i < 3; i++) {
                assertThat(dense.step(batch(dense, i), true).updated()).isTrue();
            }
            sparse.importState(dense.exportState());
            assertThat(sparse.version()).isEqualTo(dense.version());
            float[] a = dense.step(batch(dense, 99), false).probabilities();
            float[] b = sparse.step(batch(sparse, 99), false).probabilities();
            for (int i = 0; i < a.length; i++) {
                assertThat(b[i]).isCloseTo(a[i], org.assertj.core.api.Assertions.within(1e-6f));
            }
        }
    }

    @Test
    void fingerprintsOfEarlierSpecsAreUnchanged() {
        ModelSpec.OptimizerSpec adam = ModelSpec.OptimizerSpec.of("adam", 0.001);
        ModelSpec regressor = ModelSpec.regressor(8, new int[] {64}, "relu", 0.5, adam, 42);
        // The exact string that versions before the classifier wrote into their checkpoints.
        assertThat(regressor.fingerprint()).isEqualTo("regressor|m=8|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001)|seed=42");
        assertThat(regressor.withInput(ModelSpec.INPUT_DENSE).fingerprint()).isEqualTo(regressor.fingerprint());
        assertThat(regressor.classes()).isZero();
        assertThat(regressor.input()).isEqualTo(ModelSpec.INPUT_AUTO);
        // The layout is not part of the fingerprint (the variables are the same), but of equality.
        assertThat(regressor.withInput(ModelSpec.INPUT_SPARSE).fingerprint()).isEqualTo(regressor.fingerprint());
        assertThat(regressor.withInput(ModelSpec.INPUT_SPARSE)).isNotEqualTo(regressor);
        assertThat(ModelSpec.classifier(8, 3, new int[0], "relu", 0.5, adam, 42).fingerprint())
                .isEqualTo("classifier|m=8|hidden=[]|act=relu|w=0.5|opt=adam(lr=0.001)|seed=42|classes=3");
    }

    @Test
    void inputResolvesAutoBySize() {
        ModelSpec.OptimizerSpec sgd = ModelSpec.OptimizerSpec.of("sgd", 0.1);
        assertThat(ModelSpec.classifier(1024, 2, new int[0], "relu", 0.5, sgd, 1).sparseInput()).isFalse();
        assertThat(ModelSpec.classifier(1025, 2, new int[0], "relu", 0.5, sgd, 1).sparseInput()).isTrue();
        assertThat(ModelSpec.regressor(5000, new int[0], "relu", 0.5, sgd, 1).withInput("DENSE").sparseInput()).isFalse();
        assertThat(ModelSpec.regressor(2, new int[0], "relu", 0.5, sgd, 1).withInput("sparse").sparseInput()).isTrue();
        SequenceOptions seq = SequenceOptions.DEFAULT;
        assertThat(ModelSpec.lstmRegressor(5000, new int[] {4}, seq, 0.5, sgd, 1).sparseInput()).isFalse();
        assertThat(ModelSpec.lstmRegressor(5000, new int[] {4}, seq, 0.5, sgd, 1).fingerprint()).doesNotContain("input");
    }

    @Test
    void specChecksClassesAndInput() {
        ModelSpec.OptimizerSpec sgd = ModelSpec.OptimizerSpec.of("sgd", 0.1);
        assertThatThrownBy(() -> ModelSpec.classifier(4, 1, new int[0], "relu", 0.5, sgd, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2 classes, got 1");
        assertThatThrownBy(() -> new ModelSpec(ModelSpec.KIND_REGRESSOR, 4, new int[0], "relu", 0.5, sgd, 1, 1, 1,
                SequenceOptions.DEFAULT, 3, ModelSpec.INPUT_AUTO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no classes");
        assertThatThrownBy(() -> ModelSpec.regressor(4, new int[0], "relu", 0.5, sgd, 1).withInput("coo"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'coo'");
        assertThatThrownBy(() -> ModelSpec.lstmRegressor(4, new int[] {2}, SequenceOptions.DEFAULT, 0.5, sgd, 1)
                .withInput(ModelSpec.INPUT_SPARSE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dense windows");
        assertThat(Models.create(ModelSpec.classifier(4, 2, new int[0], "relu", 0.5, sgd, 1)))
                .isInstanceOf(Classifier.class).satisfies(OnlineModel::close);
        assertThatThrownBy(() -> Models.create(new ModelSpec("forest", 3, new int[0], "relu", 0.5, sgd, 1, 1, 1)))
                .hasMessageContaining(ModelSpec.KIND_CLASSIFIER);
    }

    @Test
    void newBatchFollowsTheInputMode() {
        try (Classifier dense = new Classifier(spec(ModelSpec.INPUT_DENSE));
             Classifier sparse = new Classifier(spec(ModelSpec.INPUT_SPARSE));
             OnlineModel lstm = Models.create(ModelSpec.lstmRegressor(3, new int[] {2},
                     SequenceOptions.DEFAULT.withWindow(4), 0.5, ModelSpec.OptimizerSpec.of("sgd", 0.1), 1))) {
            assertThat(dense.newBatch().isSparse()).isFalse();
            assertThat(sparse.newBatch().isSparse()).isTrue();
            assertThat(sparse.newBatch().features()).isEqualTo(M);
            assertThat(lstm.newBatch().features()).isEqualTo(12);
            assertThat(lstm.newBatch().isSparse()).isFalse();
        }
    }

    /** A batch of two timesteps of labelled sparse objects in the model's layout. */
    static ObjectBatch batch(OnlineModel model, long seed) {
        Random r = new Random(seed);
        ObjectBatch b = model.newBatch();
        for (int t = 0; t < 2; t++) {
            b.beginTimestep();
            for (int i = 0; i < 3; i++) {
                b.addSparse(new int[] {r.nextInt(M), r.nextInt(M)}, new float[] {1f, (float) r.nextGaussian()},
                        false, 0f);
                b.setLabel(r.nextInt(3));
            }
            b.endTimestep();
        }
        return b;
    }
}
