package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The LSTM autoencoder: its maths, its scores, its state and its contract as an {@link OnlineModel}. */
class LstmAutoencoderTest {

    private static final int M = 3;
    private static final int W = 5;

    private static ModelSpec spec(int[] layers, SequenceOptions options) {
        return ModelSpec.seqAutoencoder(M, layers, options.withWindow(W), ModelSpec.OptimizerSpec.of("adam", 0.01), 42);
    }

    @ParameterizedTest(name = "layers {0}, bidirectional {1}, reverse {2}, difference {3}")
    @CsvSource({
        "4,   false, false, false",
        "4,   false, true,  true",
        "3;2, true,  false, true",
        "2,   true,  true,  false",
    })
    void reconstructsAndScoresLikeAHandWrittenEncoderDecoder(String layers, boolean bidirectional, boolean reverse,
                                                             boolean difference) {
        int[] sizes = java.util.Arrays.stream(layers.split(";")).mapToInt(Integer::parseInt).toArray();
        SequenceOptions options = SequenceOptions.DEFAULT.withBidirectional(bidirectional).withReverse(reverse)
                .withDifference(difference);
        try (LstmAutoencoder model = new LstmAutoencoder(spec(sizes, options))) {
            for (int s = 0; s < 3; s++) {
                model.step(Batches.random(W * M, s, 2, 2), true); // the projection starts at zero: move it
            }
            ObjectBatch probe = Batches.random(W * M, 77, 3);
            float[] scores = model.step(probe, false).objectPredictions();
            float[] recon = model.reconstruct(probe);
            Map<String, float[]> vars = model.variables();
            DoubleUnaryOperator tanh = ReferenceLstm.activation("tanh");
            DoubleUnaryOperator sigmoid = ReferenceLstm.activation("sigmoid");
            for (int i = 0; i < probe.objects(); i++) {
                double[][] x = ReferenceLstm.window(probe.x(), i, W, M, difference);
                double[][] state = LstmRegressorTest.encode(vars, x, sizes, bidirectional, "tanh", "sigmoid");
                double[] h = state[0];
                double[] c = state[1];
                double[] in = new double[M];
                double sse = 0;
                for (int step = 0; step < W; step++) {
                    ReferenceLstm.step(vars, "dec", in, h, c, tanh, sigmoid);
                    in = ReferenceLstm.dense(vars, "dec_out", h, M);
                    int t = reverse ? W - 1 - step : step;
                    for (int j = 0; j < M; j++) {
                        assertThat((double) recon[(i * W + t) * M + j]).as("object %d, t %d, feature %d", i, t, j)
                                .isCloseTo(in[j], within(1e-5));
                        sse += (in[j] - x[t][j]) * (in[j] - x[t][j]);
                    }
                }
                assertThat((double) scores[i]).isCloseTo(sse / (W * M), within(1e-6));
            }
        }
    }

    @Test
    void trainsOnWindowsWithoutTargetsAndScoresBeforeTheUpdate() {
        try (LstmAutoencoder model = new LstmAutoencoder(spec(new int[] {16}, SequenceOptions.DEFAULT))) {
            ObjectBatch b = Batches.unsupervised(W * M, 4, 3);
            float[] before = model.step(b, false).objectPredictions();
            assertThat(model.version()).isZero();
            StepResult r = model.step(b, true);
            assertThat(r.updated()).isTrue();
            // Not bit for bit: the training graph keeps the intermediates that the gradients read, the
            // predict-only graph does not, and they may get other kernels for the same maths.
            FloatTolerance.assertUlpsClose(r.objectPredictions(), before, FloatTolerance.OTHER_KERNEL_ULPS, 1f,
                    "scores of the training step");
            float[] scores = r.objectPredictions();
            assertThat(r.loss()).isCloseTo((scores[0] + scores[1] + scores[2]) / 3.0, within(1e-6));
            assertThat(r.sumPredictions()[0]).isCloseTo(scores[0] + scores[1] + scores[2], within(1e-6f));
            assertThat(model.version()).isEqualTo(1);
            for (int s = 0; s < 100; s++) {
                model.step(b, true);
            }
            float[] after = model.step(b, false).objectPredictions();
            assertThat(after[0] + after[1] + after[2]).isLessThan((before[0] + before[1] + before[2]) / 2);
        }
    }

    @Test
    void scoresArePermutationEquivariantOverObjects() {
        try (LstmAutoencoder model = new LstmAutoencoder(spec(new int[] {4}, SequenceOptions.DEFAULT.withDifference(true)))) {
            ObjectBatch b = Batches.random(W * M, 5, 4);
            model.step(b, true);
            float[] p = model.step(b, false).objectPredictions();
            int[] order = {2, 3, 0, 1};
            ObjectBatch permuted = new ObjectBatch(W * M);
            permuted.beginTimestep();
            for (int i : order) {
                permuted.addDense(b.x(), i * W * M, false, 0f);
            }
            permuted.endTimestep();
            float[] q = model.step(permuted, false).objectPredictions();
            float[] permutedP = new float[order.length];
            for (int k = 0; k < order.length; k++) {
                permutedP[k] = p[order[k]];
            }
            // Not bit for bit: a matrix product may take another code path for a row at another
            // position (a vector block or the tail).
            FloatTolerance.assertUlpsClose(q, permutedP, FloatTolerance.OTHER_KERNEL_ULPS, 1f, "permuted scores");
        }
    }

    @Test
    void importedModelScoresAndTrainsBitForBitLikeTheOriginal() {
        ModelSpec spec = spec(new int[] {4}, SequenceOptions.DEFAULT.withBidirectional(true).withReverse(true));
        try (LstmAutoencoder original = new LstmAutoencoder(spec); LstmAutoencoder copy = new LstmAutoencoder(spec)) {
            for (int s = 0; s < 3; s++) {
                original.step(Batches.random(W * M, s, 2), true);
            }
            copy.importState(original.exportState());
            assertThat(copy.version()).isEqualTo(3);
            assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            for (int s = 10; s < 13; s++) {
                ObjectBatch batch = Batches.random(W * M, s, 3);
                StepResult a = original.step(batch, true);
                StepResult b = copy.step(batch, true);
                assertThat(b.objectPredictions()).containsExactly(a.objectPredictions());
                assertThat(b.loss()).isEqualTo(a.loss());
            }
            assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            assertThat(copy.exportState()).isEqualTo(original.exportState());
        }
    }

    @Test
    void aLevelShiftScoresAboveTheCleanWindowsItLearned() {
        // Windows of a noisy sine per object; after training, one window whose last two timesteps
        // jump by +1 must score above every clean window scored with the same weights.
        Random r = new Random(8);
        try (LstmAutoencoder model = new LstmAutoencoder(ModelSpec.seqAutoencoder(1, new int[] {16},
                SequenceOptions.DEFAULT.withWindow(8).withDifference(true), ModelSpec.OptimizerSpec.of("adam", 0.01), 3))) {
            for (int s = 0; s < 150; s++) {
                model.step(sineWindows(r, 8, 16, -1), true);
            }
            ObjectBatch clean = sineWindows(r, 8, 64, -1);
            float[] cleanScores = model.step(clean, false).objectPredictions();
            float[] shifted = model.step(sineWindows(r, 8, 1, 6), false).objectPredictions();
            float max = 0;
            for (float s : cleanScores) {
                max = Math.max(max, s);
            }
            assertThat(shifted[0]).isGreaterThan(max);
        }
    }

    /** n windows of sin(0.5 t + phase) + N(0, 0.02), the level raised by 1 from timestep {@code shiftAt} on. */
    private static ObjectBatch sineWindows(Random r, int w, int n, int shiftAt) {
        ObjectBatch b = new ObjectBatch(w);
        float[] x = new float[w];
        b.beginTimestep();
        for (int i = 0; i < n; i++) {
            double phase = r.nextDouble() * 2 * Math.PI;
            for (int t = 0; t < w; t++) {
                x[t] = (float) (Math.sin(0.5 * t + phase) + 0.02 * r.nextGaussian() + (shiftAt >= 0 && t >= shiftAt ? 1 : 0));
            }
            b.addDense(x, 0, false, 0f);
        }
        b.endTimestep();
        return b;
    }
}
