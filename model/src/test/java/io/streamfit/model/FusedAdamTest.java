package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * Adam's fused form (TensorFlow's {@code ApplyAdam}, run only on gated gradients) against its
 * element-wise reference, on a two-layer network over several steps, with and without
 * regularisation, weight decay and clipping; and the guard on the fused path.
 */
class FusedAdamTest {

    private static final float[] X = {0.5f, -0.3f, 0.8f, 0.1f, 0.9f, -0.7f, -0.2f, 0.4f, 0.6f, 0.3f, -0.8f, 0.2f};
    private static final float[] Y = {1.0f, -0.5f, 0.3f, 0.8f};

    static Stream<Arguments> regularizations() {
        return Stream.of(
                Arguments.of("none", Regularization.NONE),
                Arguments.of("l1 l2", new Regularization(1e-3, 1e-2, 0, 0)),
                Arguments.of("weight decay", new Regularization(0, 0, 0.1, 0)),
                // A small clip norm: the gradients are clipped on every step.
                Arguments.of("all, clipped", new Regularization(1e-3, 1e-2, 0.1, 0.05)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regularizations")
    void fusedEqualsElementwiseOverSixSteps(String name, Regularization regularization) {
        Map<String, float[]> fused = trained(true, regularization, 6);
        Map<String, float[]> reference = trained(false, regularization, 6);

        assertThat(fused.keySet()).isEqualTo(reference.keySet())
                .contains("l0_kernel", "l0_kernel-m", "l0_kernel-v", "l1_bias-v", "beta1_power", "beta2_power");
        reference.forEach((variable, expected) -> {
            float[] actual = fused.get(variable);
            assertThat(actual).as(variable).hasSameSizeAs(expected);
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) actual[i]).as("%s[%d]", variable, i).isCloseTo(expected[i], within(1e-6));
            }
        });
        // Not vacuous: the weights moved, and the powers are beta^(steps + 1).
        assertThat(fused.get("l0_kernel")).isNotEqualTo(trained(true, regularization, 0).get("l0_kernel"));
        assertThat((double) fused.get("beta1_power")[0]).isCloseTo(Math.pow(0.9, 7), within(1e-6));
    }

    private static Map<String, float[]> trained(boolean fused, Regularization regularization, int steps) {
        try (Net net = new Net(fused, regularization)) {
            for (int i = 0; i < steps; i++) {
                assertThat(net.step(X)).containsExactly(true, true);
            }
            return net.variables();
        }
    }

    @Test
    void onlyTheFusedFormRunsApplyAdam() {
        try (Net fused = new Net(true, Regularization.NONE); Net reference = new Net(false, Regularization.NONE)) {
            assertThat(fused.count("ApplyAdam")).isEqualTo(4);
            assertThat(reference.count("ApplyAdam")).isZero();
        }
    }

    /** 1 intra-op thread: fused; 2: element-wise (SessionConfig.fusedKernels). Same training either way. */
    @Test
    void aRegressorTrainsTheSameWithEitherForm() {
        ModelSpec.OptimizerSpec adam = new ModelSpec.OptimizerSpec("adam", 0.05, Map.of("l2", 1e-3, "weight.decay", 0.01),
                "constant");
        ModelSpec oneThread = new ModelSpec(ModelSpec.KIND_REGRESSOR, 3, new int[] {6}, "tanh", 0.5, adam, 9, 1, 1);
        ModelSpec twoThreads = new ModelSpec(ModelSpec.KIND_REGRESSOR, 3, new int[] {6}, "tanh", 0.5, adam, 9, 2, 1);
        assertThat(SessionConfig.fusedKernels(oneThread)).isTrue();
        assertThat(SessionConfig.fusedKernels(twoThreads)).isFalse();
        assertThat(Optimizers.create(adam, false).toString()).contains("fused=false");
        try (SharedWeightRegressor fused = new SharedWeightRegressor(oneThread);
             SharedWeightRegressor reference = new SharedWeightRegressor(twoThreads)) {
            for (int t = 0; t < 5; t++) {
                ObjectBatch batch = Batches.mixed(3, 100 + t);
                assertThat(fused.step(batch, true).updated()).isTrue();
                assertThat(reference.step(batch, true).updated()).isTrue();
            }
            Map<String, float[]> expected = reference.variables();
            Map<String, float[]> actual = fused.variables();
            assertThat(actual.keySet()).isEqualTo(expected.keySet()).contains("dense_0_kernel-m", "beta2_power");
            expected.forEach((variable, values) -> {
                for (int i = 0; i < values.length; i++) {
                    assertThat((double) actual.get(variable)[i]).as("%s[%d]", variable, i)
                            .isCloseTo(values[i], within(1e-5));
                }
            });
            assertThat(fused.version()).isEqualTo(5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regularizations")
    void aNonFiniteInputWritesNothingOnTheFusedPath(String name, Regularization regularization) {
        try (Net net = new Net(true, regularization)) {
            net.step(X);
            net.step(X);
            Map<String, float[]> before = net.variables();
            float[] bad = X.clone();
            bad[4] = Float.NaN;

            boolean[] finite = net.step(bad);

            assertThat(finite[0]).as("loss finite").isFalse();
            Map<String, float[]> after = net.variables();
            assertThat(after).hasSize(14);
            // Bit for bit, through floatToIntBits.
            before.forEach((variable, values) -> assertThat(after.get(variable)).as(variable).isEqualTo(values));
            // The next finite step trains again.
            assertThat(net.step(X)).containsExactly(true, true);
            assertThat(net.variables().get("l0_kernel")).isNotEqualTo(before.get("l0_kernel"));
        }
    }

    /** Two dense layers (3 -> 2 tanh -> 1) with Adam, on a 4 x 3 input fed per step. */
    private static final class Net implements AutoCloseable {
        private final Graph graph = new Graph();
        private final Placeholder<TFloat32> x;
        private final GuardedUpdate update;

        Net(boolean fused, Regularization regularization) {
            Ops tf = Ops.create(graph);
            x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(4, 3)));
            List<DenseParams> layers = new ArrayList<>();
            Operand<TFloat32> h = x;
            float[][] kernels = {{0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.25f}, {0.7f, -0.6f}};
            int[][] dims = {{3, 2}, {2, 1}};
            for (int l = 0; l < 2; l++) {
                Ops init = tf.withInitScope();
                Variable<TFloat32> w = tf.withName("l" + l + "_kernel").variable(init.constant(
                        Shape.of(dims[l][0], dims[l][1]), DataBuffers.of(kernels[l], true, false)));
                Variable<TFloat32> b = tf.withName("l" + l + "_bias").variable(init.constant(
                        Shape.of(dims[l][1]), DataBuffers.of(new float[dims[l][1]], true, false)));
                layers.add(new DenseParams("l" + l, w, b, dims[l][0], dims[l][1]));
                h = tf.math.add(tf.linalg.matMul(h, w), b);
                if (l == 0) {
                    h = tf.math.tanh(h);
                }
            }
            Operand<TFloat32> p = tf.reshape(h, tf.constant(new int[] {-1}));
            Operand<TFloat32> loss = tf.math.mean(tf.math.square(tf.math.sub(p, tf.constant(Y))), tf.constant(0));
            update = new GuardedUpdate(tf, loss, layers, new AdamOptimizer(0.9f, 0.999f, 1e-8f, fused),
                    regularization, tf.constant(0.05f));
        }

        long count(String opType) {
            long n = 0;
            for (var it = graph.operations(); it.hasNext(); ) {
                n += opType.equals(((GraphOperation) it.next()).type()) ? 1 : 0;
            }
            return n;
        }

        private Session session;

        private Session session() {
            if (session == null) {
                // 1 and 1 threads: runs are sequential and reproducible.
                session = new Session(graph, ConfigProto.newBuilder().setIntraOpParallelismThreads(1)
                        .setInterOpParallelismThreads(-1).build());
                session.initialize();
            }
            return session;
        }

        /** One update on {@code input}; returns whether the loss and the gradients were finite. */
        boolean[] step(float[] input) {
            try (TFloat32 feed = TFloat32.tensorOf(Shape.of(4, 3), DataBuffers.of(input, true, false));
                 Result r = session().runner().feed(x, feed).fetch(update.lossFinite).fetch(update.gradientsFinite)
                         .addTarget(update.train).run()) {
                return new boolean[] {((TBool) r.get(0)).getBoolean(), ((TBool) r.get(1)).getBoolean()};
            }
        }

        Map<String, float[]> variables() {
            Map<String, float[]> out = new TreeMap<>();
            graph.operations().forEachRemaining(op -> {
                if ("VariableV2".equals(op.type())) {
                    try (Result r = session().runner().fetch(op.name()).run()) {
                        out.put(op.name(), GraphCheckpoint.copy((TFloat32) r.get(0)));
                    }
                }
            });
            return out;
        }

        @Override
        public void close() {
            if (session != null) {
                session.close();
            }
            graph.close();
        }
    }
}
