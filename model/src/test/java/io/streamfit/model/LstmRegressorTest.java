package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The LSTM regressor: its maths, its state and its contract as an {@link OnlineModel}. */
class LstmRegressorTest {

    private static final int M = 2;
    private static final int W = 4;

    private static ModelSpec spec(int[] layers, SequenceOptions options, String optimizer) {
        return ModelSpec.lstmRegressor(M, layers, options.withWindow(W), 0.5,
                ModelSpec.OptimizerSpec.of(optimizer, 0.01), 42);
    }

    @ParameterizedTest(name = "layers {0}, bidirectional {1}, difference {2}, {3}/{4}")
    @CsvSource({
        "3,     false, false, tanh,   sigmoid",
        "3;2,   false, true,  tanh,   sigmoid",
        "2,     true,  false, linear, linear",
        "2;3,   true,  true,  linear, sigmoid",
    })
    void predictsLikeAHandWrittenLstm(String layers, boolean bidirectional, boolean difference, String act,
                                      String gate) {
        int[] sizes = java.util.Arrays.stream(layers.split(";")).mapToInt(Integer::parseInt).toArray();
        SequenceOptions options = SequenceOptions.DEFAULT.withBidirectional(bidirectional).withDifference(difference)
                .withActivations(act, gate);
        try (LstmRegressor model = new LstmRegressor(spec(sizes, options, "adam"))) {
            for (int s = 0; s < 3; s++) {
                model.step(Batches.random(W * M, s, 3, 2), true); // move away from the initial weights
            }
            ObjectBatch probe = Batches.random(W * M, 77, 4, 1);
            float[] p = model.step(probe, false).objectPredictions();
            Map<String, float[]> vars = model.variables();
            for (int i = 0; i < probe.objects(); i++) {
                double[][] x = ReferenceLstm.window(probe.x(), i, W, M, difference);
                double expected = ReferenceLstm.dense(vars, "output", encode(vars, x, sizes, bidirectional, act, gate)[0],
                        1)[0];
                assertThat((double) p[i]).as("object %d", i).isCloseTo(expected, within(1e-5));
            }
        }
    }

    /** The final hidden and cell state of the last layer, each [fw, bw] when bidirectional. */
    static double[][] encode(Map<String, float[]> vars, double[][] x, int[] sizes, boolean bidirectional, String act,
                           String gate) {
        DoubleUnaryOperator a = ReferenceLstm.activation(act);
        DoubleUnaryOperator g = ReferenceLstm.activation(gate);
        List<double[]> seq = List.of(x);
        double[][] last = null;
        for (int l = 0; l < sizes.length; l++) {
            double[] h = new double[sizes[l]];
            double[] c = new double[sizes[l]];
            List<double[]> fw = new ArrayList<>();
            for (double[] xt : seq) {
                ReferenceLstm.step(vars, "enc_" + l + "_fw", xt, h, c, a, g);
                fw.add(h.clone());
            }
            if (!bidirectional) {
                seq = fw;
                last = new double[][] {h, c};
                continue;
            }
            double[] hb = new double[sizes[l]];
            double[] cb = new double[sizes[l]];
            double[][] bw = new double[seq.size()][];
            for (int t = seq.size() - 1; t >= 0; t--) {
                ReferenceLstm.step(vars, "enc_" + l + "_bw", seq.get(t), hb, cb, a, g);
                bw[t] = hb.clone();
            }
            List<double[]> both = new ArrayList<>();
            for (int t = 0; t < seq.size(); t++) {
                both.add(concat(fw.get(t), bw[t]));
            }
            seq = both;
            last = new double[][] {concat(h, hb), concat(c, cb)};
        }
        return last;
    }

    static double[] concat(double[] a, double[] b) {
        double[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void sumPredictionsAreTheSumsOfEachTimestepsObjects() {
        try (LstmRegressor model = new LstmRegressor(spec(new int[] {4}, SequenceOptions.DEFAULT, "adam"))) {
            ObjectBatch b = Batches.random(W * M, 3, 2, 3, 1);
            StepResult r = model.step(b, false);
            float[] p = r.objectPredictions();
            assertThat(r.sumPredictions()).hasSize(3);
            assertThat(r.sumPredictions()[0]).isCloseTo(p[0] + p[1], within(1e-6f));
            assertThat(r.sumPredictions()[1]).isCloseTo(p[2] + p[3] + p[4], within(1e-6f));
            assertThat(r.sumPredictions()[2]).isCloseTo(p[5], within(1e-6f));
        }
    }

    @Test
    void predictionsArePermutationEquivariantOverObjects() {
        try (LstmRegressor model = new LstmRegressor(spec(new int[] {5},
                SequenceOptions.DEFAULT.withBidirectional(true), "adam"))) {
            ObjectBatch b = Batches.random(W * M, 9, 5);
            model.step(b, true);
            float[] p = model.step(b, false).objectPredictions();
            int[] order = {3, 0, 4, 1, 2};
            ObjectBatch permuted = new ObjectBatch(W * M);
            permuted.beginTimestep();
            for (int i : order) {
                permuted.addDense(b.x(), i * W * M, true, b.objectTarget()[i]);
            }
            permuted.endTimestep();
            float[] q = model.step(permuted, false).objectPredictions();
            float[] permutedP = new float[order.length];
            for (int k = 0; k < order.length; k++) {
                permutedP[k] = p[order[k]];
            }
            // Not bit for bit (1 ulp apart with oneDNN on a Xeon with AVX-512): a matrix product may
            // take another code path for a row at another position (a vector block or the tail).
            FloatTolerance.assertUlpsClose(q, permutedP, FloatTolerance.OTHER_KERNEL_ULPS, 1f, "permuted predictions");
        }
    }

    @Test
    void importedModelPredictsAndTrainsBitForBitLikeTheOriginal() {
        ModelSpec spec = spec(new int[] {4, 3}, SequenceOptions.DEFAULT.withDifference(true), "adam");
        try (LstmRegressor original = new LstmRegressor(spec); LstmRegressor copy = new LstmRegressor(spec)) {
            for (int s = 0; s < 3; s++) {
                original.step(Batches.random(W * M, s, 3, 2), true);
            }
            copy.importState(original.exportState());
            assertThat(copy.version()).isEqualTo(original.version()).isEqualTo(3);
            assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            assertThat(copy.variables().keySet()).contains("enc_0_fw_kernel-m", "enc_1_fw_bias-v", "output_kernel-m");
            Map<String, float[]> before = original.variables();
            for (int s = 10; s < 14; s++) {
                ObjectBatch batch = Batches.mixed(W * M, s);
                StepResult a = original.step(batch, true);
                StepResult b = copy.step(batch, true);
                assertThat(b.loss()).isEqualTo(a.loss());
                assertThat(b.objectPredictions()).containsExactly(a.objectPredictions());
            }
            assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            assertThat(original.variables().get("enc_0_fw_kernel")).isNotEqualTo(before.get("enc_0_fw_kernel"));
            assertThat(copy.version()).isEqualTo(7);
        }
    }

    @Test
    void trainsOnlyOnSupervisedBatchesAndPredictsBeforeTheUpdate() {
        try (LstmRegressor model = new LstmRegressor(spec(new int[] {3}, SequenceOptions.DEFAULT, "sgd"))) {
            StepResult none = model.step(Batches.unsupervised(W * M, 1, 3), true);
            assertThat(none.updated()).isFalse();
            assertThat(none.loss()).isNaN();
            assertThat(model.version()).isZero();

            ObjectBatch b = Batches.random(W * M, 2, 3);
            float[] before = model.step(b, false).objectPredictions();
            StepResult trained = model.step(b, true);
            assertThat(trained.updated()).isTrue();
            // Not bit for bit: the training graph keeps the intermediates that the gradients read, the
            // predict-only graph does not, and they may get other kernels for the same maths.
            FloatTolerance.assertUlpsClose(trained.objectPredictions(), before, FloatTolerance.OTHER_KERNEL_ULPS, 1f,
                    "predictions of the training step");
            assertThat(model.version()).isEqualTo(1);
            // The update moves the predictions by more than the tolerance: it could not hide them.
            assertThat(FloatTolerance.maxUlpsApart(model.step(b, false).objectPredictions(), before, 1f))
                    .isGreaterThan(10.0 * FloatTolerance.OTHER_KERNEL_ULPS);
        }
    }

    @Test
    void rejectsBatchesThatAreNotWindowsAndSpecsWithoutLayers() {
        try (LstmRegressor model = new LstmRegressor(spec(new int[] {3}, SequenceOptions.DEFAULT, "sgd"))) {
            assertThatThrownBy(() -> model.step(Batches.random(M, 1, 2), true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("windows of 4 timesteps x 2 features = 8");
        }
        assertThatThrownBy(() -> new LstmRegressor(spec(new int[0], SequenceOptions.DEFAULT, "sgd")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one LSTM layer");
        assertThatThrownBy(() -> SequenceOptions.DEFAULT.withActivations("tanh", "softsign"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("softsign");
        assertThatThrownBy(() -> SequenceOptions.DEFAULT.withWindow(1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
    }

    @Test
    void modelsCreatesEachKindAndSequenceOptionsLeaveOtherFingerprintsAlone() {
        ModelSpec.OptimizerSpec adam = ModelSpec.OptimizerSpec.of("adam", 0.001);
        try (OnlineModel r = Models.create(spec(new int[] {2}, SequenceOptions.DEFAULT, "sgd"));
             OnlineModel a = Models.create(ModelSpec.seqAutoencoder(M, new int[] {2},
                     SequenceOptions.DEFAULT.withWindow(W), adam, 1))) {
            assertThat(r).isInstanceOf(LstmRegressor.class);
            assertThat(a).isInstanceOf(LstmAutoencoder.class);
        }
        ModelSpec regressor = ModelSpec.regressor(3, new int[] {8}, "relu", 0.5, adam, 42);
        assertThat(regressor.fingerprint()).isEqualTo("regressor|m=3|hidden=[8]|act=relu|w=0.5|opt=adam(lr=0.001)|seed=42");
        assertThat(new ModelSpec("regressor", 3, new int[] {8}, "relu", 0.5, adam, 42, 1, 1,
                SequenceOptions.DEFAULT.withWindow(5))).isEqualTo(regressor);
        ModelSpec seq = spec(new int[] {2}, SequenceOptions.DEFAULT, "adam");
        assertThat(seq.fingerprint()).contains("|seq=W=4,");
        assertThat(spec(new int[] {2}, SequenceOptions.DEFAULT.withDifference(true), "adam").fingerprint())
                .isNotEqualTo(seq.fingerprint());
        assertThatThrownBy(() -> Models.create(new ModelSpec("lstm", 3, new int[] {8}, "relu", 0.5, adam, 42, 1, 1)))
                .hasMessageContaining("seq-autoencoder").hasMessageContaining("lstm-regressor");
    }
}
