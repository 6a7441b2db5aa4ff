package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The export after a step copies the state the step's own session run fetched: it must equal, byte
 * for byte, the per-variable export streamfit wrote before ({@link LegacyCheckpointExport}) after
 * training, predict-only and guard-skipped steps and after an import, for every model kind and
 * every optimizer, and restore a model that continues identically.
 */
class CheckpointExportTest {

    private static final int M = 4;
    private static final int CLASSES = 3;

    static Stream<Arguments> kindsAndOptimizers() {
        List<String> kinds = List.of("regressor-dense", "regressor-sparse", "classifier", "seq-autoencoder",
                "lstm-regressor");
        List<String> optimizers = List.of(Optimizers.SGD, Optimizers.MOMENTUM, Optimizers.ADAM, Optimizers.ADAGRAD,
                Optimizers.RMSPROP, Optimizers.FTRL, Optimizers.NEURON_MEAN_MOMENTUM);
        List<Arguments> all = new ArrayList<>();
        for (String kind : kinds) {
            for (String optimizer : optimizers) {
                all.add(Arguments.of(kind, optimizer));
            }
        }
        return all.stream();
    }

    private static ModelSpec spec(String kind, String optimizer) {
        ModelSpec.OptimizerSpec opt = ModelSpec.OptimizerSpec.of(optimizer, 0.05);
        SequenceOptions window = SequenceOptions.DEFAULT.withWindow(3);
        return switch (kind) {
            case "regressor-dense" -> ModelSpec.regressor(M, new int[] {5}, "tanh", 0.5, opt, 7)
                    .withInput(ModelSpec.INPUT_DENSE);
            case "regressor-sparse" -> ModelSpec.regressor(M, new int[] {5}, "tanh", 0.5, opt, 7)
                    .withInput(ModelSpec.INPUT_SPARSE);
            case "classifier" -> ModelSpec.classifier(M, CLASSES, new int[] {5}, "relu", 0.5, opt, 7);
            case "seq-autoencoder" -> ModelSpec.seqAutoencoder(2, new int[] {3}, window, opt, 7);
            case "lstm-regressor" -> ModelSpec.lstmRegressor(2, new int[] {3}, window, 0.5, opt, 7);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /**
     * Two timesteps of three supervised objects in {@code model}'s layout; with {@code nan}, one
     * feature of the first object is NaN, which makes the loss NaN and the guard skip the update.
     */
    private static ObjectBatch batch(OnlineModel model, long seed, boolean nan) {
        Random r = new Random(seed);
        ObjectBatch b = model.newBatch();
        boolean classifier = ModelSpec.KIND_CLASSIFIER.equals(model.spec().kind());
        int f = b.features();
        for (int t = 0; t < 2; t++) {
            b.beginTimestep();
            for (int i = 0; i < 3; i++) {
                float first = nan && t == 0 && i == 0 ? Float.NaN : (float) r.nextGaussian();
                if (b.isSparse()) {
                    int lo = r.nextInt(f / 2);
                    int hi = f / 2 + r.nextInt(f - f / 2);
                    b.addSparse(new int[] {lo, hi}, new float[] {first, (float) r.nextGaussian()}, !classifier,
                            (float) r.nextGaussian());
                } else {
                    float[] x = new float[f];
                    for (int j = 0; j < f; j++) {
                        x[j] = j == 0 ? first : (float) r.nextGaussian();
                    }
                    b.addDense(x, 0, !classifier, (float) r.nextGaussian());
                }
                if (classifier) {
                    b.setLabel(r.nextInt(CLASSES));
                }
            }
            b.endTimestep();
        }
        return b;
    }

    /** The export equals the reference export of the live variables, and needed no session run. */
    private static byte[] exportWithoutRun(GraphModel model) {
        long runs = model.checkpoint().exportRuns();
        byte[] state = model.exportState();
        assertThat(model.checkpoint().exportRuns()).as("session runs of the export after a step").isEqualTo(runs);
        assertThat(state).isEqualTo(LegacyCheckpointExport.export(model));
        return state;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("kindsAndOptimizers")
    void exportAfterEveryKindOfStepEqualsThePerVariableExportAndRestores(String kind, String optimizer) {
        ModelSpec spec = spec(kind, optimizer);
        try (GraphModel model = (GraphModel) Models.create(spec);
             GraphModel restored = (GraphModel) Models.create(spec)) {
            // Before any step the export runs the session itself.
            assertThat(model.exportState()).isEqualTo(LegacyCheckpointExport.export(model));

            model.step(batch(model, 1, false), true);
            byte[] first = exportWithoutRun(model);
            assertThat(model.step(batch(model, 2, false), true).updated()).isTrue();
            byte[] second = exportWithoutRun(model);
            assertThat(second).as("the state after the second update").isNotEqualTo(first);

            StepResult predicted = model.step(batch(model, 3, false), false);
            assertThat(predicted.updated()).isFalse();
            assertThat(exportWithoutRun(model)).isEqualTo(second);

            StepResult skipped = model.step(batch(model, 4, true), true);
            assertThat(skipped.updated()).isFalse();
            assertThat(skipped.skipped()).isEqualTo(StepResult.SKIP_NON_FINITE_LOSS);
            assertThat(exportWithoutRun(model)).isEqualTo(second);

            assertThat(model.step(batch(model, 5, false), true).updated()).isTrue();
            byte[] state = exportWithoutRun(model);
            assertThat(model.version()).isEqualTo(3);

            // Right after an import, with no step, the export reads the imported variables.
            restored.step(batch(restored, 9, false), true);
            restored.importState(state);
            long runs = restored.checkpoint().exportRuns();
            assertThat(restored.exportState()).isEqualTo(state).isEqualTo(LegacyCheckpointExport.export(restored));
            assertThat(restored.checkpoint().exportRuns()).isEqualTo(runs + 1);

            for (long seed = 6; seed < 8; seed++) {
                StepResult a = model.step(batch(model, seed, false), true);
                StepResult b = restored.step(batch(restored, seed, false), true);
                assertThat(b.objectPredictions()).containsExactly(a.objectPredictions());
                assertThat(b.sumPredictions()).containsExactly(a.sumPredictions());
                assertThat(b.loss()).isEqualTo(a.loss());
            }
            assertThat(exportWithoutRun(restored)).isEqualTo(exportWithoutRun(model));
        }
    }

    @Test
    void rejectedImportLeavesTheExportAsItWas() {
        try (GraphModel model = (GraphModel) Models.create(spec("regressor-dense", Optimizers.ADAM))) {
            model.step(batch(model, 1, false), true);
            byte[] state = model.exportState();
            byte[] corrupt = state.clone();
            corrupt[corrupt.length / 2] ^= 1;
            assertThatThrownBy(() -> model.importState(corrupt)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CRC");
            assertThat(model.exportState()).isEqualTo(state).isEqualTo(LegacyCheckpointExport.export(model));
        }
    }

    /**
     * A graph whose variables are of two dtypes, one of them a lone int32 variable: one snapshot per
     * dtype, the lone one not concatenated, and still the reference's bytes in name order.
     */
    @Test
    void variablesOfSeveralDtypesExportAndImportInNameOrder() {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            Ops init = tf.withInitScope();
            Variable<TFloat32> a = tf.withName("a").variable(init.constant(new float[][] {{1f, 2f}, {3f, 4f}}));
            Variable<TInt32> b = tf.withName("b").variable(init.constant(new int[] {5, 6, 7}));
            Variable<TFloat32> c = tf.withName("c").variable(init.constant(8f));
            Variable<TInt64> d = tf.withName("d").variable(init.constant(new long[] {9L, 10L}));
            Variable<TInt64> e = tf.withName("e").variable(init.constant(11L));
            var bump = tf.withName("bump").assignAdd(b, tf.constant(new int[] {100, 100, 100}));
            var settled = tf.withControlDependencies(List.of(bump)).withName("settled").noOp();
            GraphCheckpoint checkpoint = new GraphCheckpoint(graph, tf, "fp", settled);
            assertThat(checkpoint.names()).containsExactly("a", "b", "c", "d", "e");
            try (Session session = new Session(graph)) {
                session.initialize();
                byte[] initial = checkpoint.export(session, 1);
                assertThat(initial).isEqualTo(LegacyCheckpointExport.export(graph, session, "fp", 1));

                Fetches training = new Fetches();
                checkpoint.fetchAfterUpdate(training);
                checkpoint.beforeUpdateRun();
                try (var result = training.addTo(session.runner()).addTarget(settled).run()) {
                    checkpoint.captureAfterUpdate(result);
                }
                long runs = checkpoint.exportRuns();
                byte[] bumped = checkpoint.export(session, 2);
                assertThat(checkpoint.exportRuns()).isEqualTo(runs);
                assertThat(bumped).isEqualTo(LegacyCheckpointExport.export(graph, session, "fp", 2))
                        .isNotEqualTo(initial);

                assertThat(checkpoint.importInto(session, initial).updates()).isEqualTo(1);
                assertThat(checkpoint.export(session, 1)).isEqualTo(initial);
                try (Result value = session.runner().fetch(b).run()) {
                    assertThat(((TInt32) value.get(0)).getInt(2)).isEqualTo(7);
                }
            }
        }
    }

    @Test
    void stringVariablesAreRejectedWithTheirName() {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            tf.withName("label").variable(tf.withInitScope().constant("x"));
            var noOp = tf.noOp();
            assertThatThrownBy(() -> new GraphCheckpoint(graph, tf, "fp", noOp))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'label'");
        }
    }
}
