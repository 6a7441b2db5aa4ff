package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.AdaGrad;
import org.tensorflow.framework.optimizers.Ftrl;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Momentum;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.framework.optimizers.RMSProp;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * streamfit's element-wise optimizers against tensorflow-framework 1.1.0's classes of the same
 * name (which run TensorFlow's fused Apply* kernels) on one layer with a quadratic loss, over three
 * steps: same maths, to float rounding.
 */
class FrameworkAgreementTest {

    private static final float LR = 0.05f;
    private static final float[] W0 = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.25f};
    private static final float[] B0 = {0.2f, -0.1f, 0.05f};
    private static final float[] C = {1.0f, -2.0f, 0.5f, 0.7f, -0.3f, 1.5f};
    private static final float[] D = {0.4f, -1.2f, 0.9f};

    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of("sgd", new SgdOptimizer(), (Function<Graph, Optimizer>) g -> new GradientDescent(g, LR), true),
                Arguments.of("momentum", new MomentumOptimizer(0.9f, false),
                        (Function<Graph, Optimizer>) g -> new Momentum(g, LR, 0.9f, false), true),
                Arguments.of("nesterov", new MomentumOptimizer(0.9f, true),
                        (Function<Graph, Optimizer>) g -> new Momentum(g, LR, 0.9f, true), true),
                Arguments.of("adagrad", new AdaGradOptimizer(0.01f),
                        (Function<Graph, Optimizer>) g -> new AdaGrad(g, LR, 0.01f), true),
                Arguments.of("rmsprop", new RmsPropOptimizer(0.9f, 0.5f, 1e-6f, false),
                        (Function<Graph, Optimizer>) g -> new RMSProp(g, LR, 0.9f, 0.5f, 1e-6f, false), true),
                Arguments.of("rmsprop centered", new RmsPropOptimizer(0.9f, 0.0f, 1e-6f, true),
                        (Function<Graph, Optimizer>) g -> new RMSProp(g, LR, 0.9f, 0.0f, 1e-6f, true), true),
                Arguments.of("ftrl", new FtrlOptimizer(-0.5f, 0.1f, 0f, 0f, 0f),
                        (Function<Graph, Optimizer>) g -> new Ftrl(g, LR, -0.5f, 0.1f, 0f, 0f, 0f), true),
                Arguments.of("ftrl power -0.7", new FtrlOptimizer(-0.7f, 0.1f, 0f, 0f, 0f),
                        (Function<Graph, Optimizer>) g -> new Ftrl(g, LR, -0.7f, 0.1f, 0f, 0f, 0f), true),
                // The framework applies FTRL's l1/l2 to every variable, streamfit to weights only:
                // compare the weights.
                Arguments.of("ftrl l1 l2 shrinkage", new FtrlOptimizer(-0.5f, 0.1f, 0.01f, 0.02f, 0.03f),
                        (Function<Graph, Optimizer>) g -> new Ftrl(g, LR, -0.5f, 0.1f, 0.01f, 0.02f, 0.03f), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void threeStepsMatchTheFrameworkOptimizer(String name, PairOptimizer ours, Function<Graph, Optimizer> theirs,
                                              boolean compareBias) {
        float[][] expected = run(tf -> null, theirs);
        float[][] actual = run(tf -> ours, null);
        assertClose(actual[0], expected[0], name + " W");
        if (compareBias) {
            assertClose(actual[1], expected[1], name + " b");
        }
        assertThat(actual[0]).isNotEqualTo(W0);
    }

    private static float[][] run(Function<Ops, PairOptimizer> ours, Function<Graph, Optimizer> theirs) {
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Ops init = tf.withInitScope();
            Variable<TFloat32> w = tf.withName("layer_kernel").variable(
                    init.constant(Shape.of(2, 3), DataBuffers.of(W0, true, false)));
            Variable<TFloat32> b = tf.withName("layer_bias").variable(
                    init.constant(Shape.of(3), DataBuffers.of(B0, true, false)));
            // Linear plus quartic terms, so the gradient changes from step to step.
            // The C++ gradient of Mul crashes on a reference-typed (VariableV2) input: read first.
            Operand<TFloat32> wv = tf.identity(w);
            Operand<TFloat32> bv = tf.identity(b);
            Operand<TFloat32> c = tf.constant(Shape.of(2, 3), DataBuffers.of(C, true, false));
            Operand<TFloat32> wTerm = tf.math.add(tf.math.mul(c, wv), tf.math.square(tf.math.square(wv)));
            Operand<TFloat32> bTerm = tf.math.add(tf.math.mul(tf.constant(D), bv), tf.math.square(bv));
            Operand<TFloat32> loss = tf.math.add(tf.reduceSum(tf.reshape(wTerm, tf.constant(new int[] {-1})),
                    tf.constant(0)), tf.reduceSum(bTerm, tf.constant(0)));
            Op train;
            PairOptimizer pair = ours.apply(tf);
            if (pair != null) {
                train = new GuardedUpdate(tf, loss, List.of(new DenseParams("layer", w, b, 2, 3)), pair,
                        Regularization.NONE, tf.constant(LR)).train;
            } else {
                train = theirs.apply(g).minimize(loss);
            }
            try (Session s = new Session(g)) {
                s.initialize();
                for (int i = 0; i < 3; i++) {
                    s.runner().addTarget(train).run().close();
                }
                try (Result r = s.runner().fetch(w).fetch(b).run()) {
                    return new float[][] {GraphCheckpoint.copy((TFloat32) r.get(0)),
                        GraphCheckpoint.copy((TFloat32) r.get(1))};
                }
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], within(1e-6));
        }
    }
}
