package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

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

    /** loss = sum sqrt(|W|) + sum b: finite, but its gradient at a zero weight is not. */
    @ParameterizedTest
    @ValueSource(strings = {"momentum", "adam", "neuron-mean-momentum"})
    void finiteLossWithANonFiniteGradientWritesNothing(String optimizer) {
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Ops init = tf.withInitScope();
            Variable<TFloat32> w = tf.withName("layer_kernel").variable(
                    init.constant(Shape.of(1, 2), DataBuffers.of(new float[] {0f, 0.5f}, true, false)));
            Variable<TFloat32> b = tf.withName("layer_bias").variable(init.constant(new float[] {0.1f, 0.2f}));
            // Identity: the C++ gradients of some ops crash on reference-typed variable inputs.
            Operand<TFloat32> loss = tf.math.add(
                    tf.reduceSum(tf.math.sqrt(tf.math.abs(tf.identity(w))), tf.constant(new int[] {0, 1})),
                    tf.reduceSum(tf.identity(b), tf.constant(0)));
            PairOptimizer opt = Optimizers.create(new ModelSpec.OptimizerSpec(optimizer, 0.1, Map.of()));
            GuardedUpdate update = new GuardedUpdate(tf, loss, List.of(new DenseParams("layer", w, b, 1, 2)), opt,
                    Regularization.NONE, tf.constant(0.1f));
            try (Session s = new Session(g)) {
                s.initialize();
                Map<String, float[]> before = snapshot(s, g);
                try (Result r = s.runner().fetch(update.lossFinite).fetch(update.gradientsFinite)
                        .addTarget(update.train).run()) {
                    assertThat(((TBool) r.get(0)).getBoolean()).as("loss finite").isTrue();
                    assertThat(((TBool) r.get(1)).getBoolean()).as("gradients finite").isFalse();
                }
                Map<String, float[]> after = snapshot(s, g);
                assertThat(after).hasSizeGreaterThan(2);
                assertThat(after).containsExactlyEntriesOf(before);
            }
        }
    }

    /** Every float variable of the graph by name. */
    private static Map<String, float[]> snapshot(Session s, Graph g) {
        Map<String, float[]> out = new TreeMap<>();
        g.operations().forEachRemaining(op -> {
            if ("VariableV2".equals(op.type())) {
                try (Result r = s.runner().fetch(op.name()).run()) {
                    out.put(op.name(), GraphCheckpoint.copy((TFloat32) r.get(0)));
                }
            }
        });
        return out;
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
