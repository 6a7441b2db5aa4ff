package io.streamfit.model.seq;

import io.streamfit.model.LstmAutoencoder;
import io.streamfit.model.LstmRegressor;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.SequenceOptions;
import io.streamfit.model.StepResult;
import java.util.Locale;
import java.util.Random;

/**
 * The two sequence-model experiments of the README, as a command anyone can rerun:
 * <pre>
 *   mvn -q -pl model test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.streamfit.model.seq.SequenceExperiments -Dexec.args=overfit
 *   mvn -q -pl model test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.streamfit.model.seq.SequenceExperiments -Dexec.args=add
 *   mvn -q -pl model test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.streamfit.model.seq.SequenceExperiments -Dexec.args=anomaly
 * </pre>
 * {@code overfit}: an LSTM autoencoder learns to reconstruct one 14 x 5 sequence ({@link #SEQUENCE})
 * with Adam (learning rate 1e-3) and MSE, for hidden sizes 5, 16, 64, 128 with differencing off
 * and on; the table gives the updates needed until the reconstruction MSE is under 1e-4.
 * {@code add}: a one-unit LSTM regressor learns the sum of N(0, 1) sequences of length 2 and 10
 * with linear and with tanh/sigmoid activations; the table gives the held-out RMSE.
 * {@code anomaly}: the scoring path of the service without Kafka ({@link #anomaly}).
 * Everything is seeded, and TensorFlow runs single-threaded, so every run prints the same table.
 * The unit tests ({@code SequenceExperimentsTest}) assert the claims on the same code.
 */
public final class SequenceExperiments {

    /** The sequence to overfit: 14 timesteps of 5 features, oldest first. */
    public static final float[][] SEQUENCE = {
        {0.5122f, 0.0360f, 0.7027f, 0.0721f, 0.1892f},
        {0.5177f, 0.0833f, 0.6574f, 0.1204f, 0.1389f},
        {0.4643f, 0.0364f, 0.6242f, 0.1576f, 0.1818f},
        {0.4375f, 0.0133f, 0.5733f, 0.1867f, 0.2267f},
        {0.4838f, 0.0625f, 0.6042f, 0.1771f, 0.1562f},
        {0.4804f, 0.0175f, 0.6798f, 0.1053f, 0.1974f},
        {0.5030f, 0.0445f, 0.6712f, 0.1438f, 0.1404f},
        {0.4987f, 0.0490f, 0.6699f, 0.1536f, 0.1275f},
        {0.4898f, 0.0388f, 0.6704f, 0.1330f, 0.1579f},
        {0.4711f, 0.0390f, 0.5877f, 0.1532f, 0.2201f},
        {0.4627f, 0.0484f, 0.5269f, 0.1882f, 0.2366f},
        {0.5043f, 0.0807f, 0.6646f, 0.1429f, 0.1118f},
        {0.4852f, 0.0606f, 0.6364f, 0.1515f, 0.1515f},
        {0.5279f, 0.0629f, 0.6886f, 0.1514f, 0.0971f},
    };

    /** The MSE the overfitting experiment must reach. */
    public static final double OVERFIT_MSE = 1e-4;
    /** The update budget of the overfitting experiment. */
    public static final int OVERFIT_MAX_STEPS = 1000;

    private SequenceExperiments() {
    }

    /**
     * The outcome of overfitting {@link #SEQUENCE}.
     *
     * @param hidden     LSTM units of the encoder (and decoder)
     * @param difference whether the model read (and reconstructed) differences
     * @param steps      updates applied before the MSE was first under {@link #OVERFIT_MSE}, or -1
     *                   when it never was within the budget
     * @param finalMse   the MSE when the run stopped: after {@code steps} updates when it got under
 *                   {@link #OVERFIT_MSE}, else after {@code maxSteps} (in the representation
 *                   the model reconstructs: differences when {@code difference})
     * @param flatness   mean over features of std-over-time of the reconstruction divided by that
     *                   of the target: near 0 when the model predicts a flat line, 1 when it follows
     *                   the sequence's variation
     */
    public record OverfitResult(int hidden, boolean difference, int steps, double finalMse, double flatness) {
    }

    /** Overfits {@link #SEQUENCE} with {@code hidden} LSTM units for at most {@code maxSteps} updates. */
    public static OverfitResult overfit(int hidden, boolean difference, int maxSteps) {
        int w = SEQUENCE.length;
        int m = SEQUENCE[0].length;
        ModelSpec spec = ModelSpec.seqAutoencoder(m, new int[] {hidden},
                SequenceOptions.DEFAULT.withWindow(w).withDifference(difference),
                ModelSpec.OptimizerSpec.of("adam", 1e-3), 42);
        ObjectBatch batch = new ObjectBatch(w * m);
        batch.beginTimestep();
        float[] flat = new float[w * m];
        for (int t = 0; t < w; t++) {
            System.arraycopy(SEQUENCE[t], 0, flat, t * m, m);
        }
        batch.addDense(flat, 0, false, 0f);
        batch.endTimestep();
        try (LstmAutoencoder model = new LstmAutoencoder(spec)) {
            int reached = -1;
            double finalMse = Double.NaN;
            for (int s = 0; s <= maxSteps && reached < 0; s++) {
                // the score of a step is the MSE before its update, i.e. after s updates
                finalMse = model.step(batch, s < maxSteps).objectPredictions()[0];
                if (finalMse < OVERFIT_MSE) {
                    reached = s;
                }
            }
            float[] recon = model.reconstruct(batch);
            float[] target = difference ? differences(flat, w, m) : flat;
            return new OverfitResult(hidden, difference, reached, finalMse, flatness(recon, target, w, m));
        }
    }

    private static float[] differences(float[] x, int w, int m) {
        float[] d = x.clone();
        for (int t = w - 1; t > 0; t--) {
            for (int j = 0; j < m; j++) {
                d[t * m + j] = x[t * m + j] - x[(t - 1) * m + j];
            }
        }
        return d;
    }

    private static double flatness(float[] recon, float[] target, int w, int m) {
        double ratio = 0;
        for (int j = 0; j < m; j++) {
            ratio += std(recon, j, w, m) / std(target, j, w, m);
        }
        return ratio / m;
    }

    private static double std(float[] x, int feature, int w, int m) {
        double mean = 0;
        for (int t = 0; t < w; t++) {
            mean += x[t * m + feature];
        }
        mean /= w;
        double var = 0;
        for (int t = 0; t < w; t++) {
            double d = x[t * m + feature] - mean;
            var += d * d;
        }
        return Math.sqrt(var / w);
    }

    /**
     * The outcome of learning to add.
     *
     * @param length     sequence length (the window W)
     * @param activation cell activation / gate activation
     * @param rmse       RMSE of the predicted sum on held-out sequences (the sums' own standard
     *                   deviation is sqrt(length))
     */
    public record AddResult(int length, String activation, double rmse) {
    }

    /** Sequences per update and per evaluation in {@link #learnToAdd}. */
    public static final int ADD_BATCH = 64;
    /** Held-out sequences of the RMSE in {@link #learnToAdd}. */
    public static final int ADD_EVAL = 1000;

    /**
     * Trains a one-unit LSTM regressor (Adam, learning rate {@code learningRate}) on {@code steps}
     * batches of {@link #ADD_BATCH} sequences of N(0, 1) numbers to predict their sum, and
     * returns its RMSE on {@link #ADD_EVAL} fresh sequences.
     *
     * @param cell the cell activation (e.g. {@code linear}, {@code tanh})
     * @param gate the gate activation (e.g. {@code linear}, {@code sigmoid})
     */
    public static AddResult learnToAdd(int length, String cell, String gate, int steps, double learningRate) {
        ModelSpec spec = ModelSpec.lstmRegressor(1, new int[] {1},
                SequenceOptions.DEFAULT.withWindow(length).withActivations(cell, gate), 1.0,
                ModelSpec.OptimizerSpec.of("adam", learningRate), 7);
        Random random = new Random(2024);
        try (LstmRegressor model = new LstmRegressor(spec)) {
            for (int s = 0; s < steps; s++) {
                model.step(sums(random, length, ADD_BATCH), true);
            }
            ObjectBatch eval = sums(random, length, ADD_EVAL);
            float[] p = model.step(eval, false).objectPredictions();
            double se = 0;
            for (int i = 0; i < ADD_EVAL; i++) {
                double d = p[i] - eval.objectTarget()[i];
                se += d * d;
            }
            return new AddResult(length, cell + "/" + gate, Math.sqrt(se / ADD_EVAL));
        }
    }

    /** One timestep of {@code n} objects, each a sequence of N(0, 1) numbers with its sum as target. */
    static ObjectBatch sums(Random random, int length, int n) {
        ObjectBatch b = new ObjectBatch(length);
        float[] x = new float[length];
        b.beginTimestep();
        for (int i = 0; i < n; i++) {
            float sum = 0;
            for (int t = 0; t < length; t++) {
                x[t] = (float) random.nextGaussian();
                sum += x[t];
            }
            b.addDense(x, 0, true, sum);
        }
        b.endTimestep();
        return b;
    }

    /** Objects of the {@code anomaly} run. */
    public static final int ANOMALY_OBJECTS = 8;
    /** Timestep of the level shift in the {@code anomaly} run. */
    public static final int ANOMALY_SHIFT_AT = 1500;

    /** Steps of {@code add} per run. */
    public static final int ADD_STEPS = 1500;
    /** Adam's learning rate in {@code add}. */
    public static final double ADD_LEARNING_RATE = 0.01;

    /**
     * The outcome of the anomaly experiment.
     *
     * @param cleanWindows     windows scored against a finite threshold before the shift
     * @param cleanFlagRate    the fraction of those flagged
     * @param detectionDelay   timesteps from the shift until the shifted object was first flagged
     *                         (0: the first window holding the shift), or -1 if it never was
     * @param window           W
     */
    public record AnomalyResult(int cleanWindows, double cleanFlagRate, int detectionDelay, int window) {
    }

    /**
     * The anomaly path without Kafka: {@code objects} series x_t = sin(2 pi t / P + phase) +
     * N(0, 0.1^2) (P from 20 to 40 timesteps, phases random), a sliding window of W = 16 per
     * object (stride 1), an autoencoder (LSTM 32, differencing, Adam 1e-3) that scores every full
     * window and then trains on the timestep's windows (test-then-train), and one
     * {@link StreamingQuantile} at p99 over all scores. At {@code shiftAt} object 0's level rises
     * by {@code shift} for good.
     */
    public static AnomalyResult anomaly(int objects, int shiftAt, double shift, int timesteps) {
        int w = 16;
        Random random = new Random(99);
        double[] period = new double[objects];
        double[] phase = new double[objects];
        for (int i = 0; i < objects; i++) {
            period[i] = 20 + 20 * random.nextDouble();
            phase[i] = 2 * Math.PI * random.nextDouble();
        }
        float[][] history = new float[objects][w];
        ModelSpec spec = ModelSpec.seqAutoencoder(1, new int[] {32},
                SequenceOptions.DEFAULT.withWindow(w).withDifference(true), ModelSpec.OptimizerSpec.of("adam", 1e-3), 42);
        StreamingQuantile threshold = new StreamingQuantile(StreamingQuantile.QUANTILE_DEFAULT);
        ObjectBatch batch = new ObjectBatch(w);
        float[] window = new float[w];
        int clean = 0;
        int cleanFlagged = 0;
        int delay = -1;
        try (LstmAutoencoder model = new LstmAutoencoder(spec)) {
            for (int t = 0; t < timesteps; t++) {
                batch.clear();
                batch.beginTimestep();
                for (int i = 0; i < objects; i++) {
                    float[] h = history[i];
                    System.arraycopy(h, 1, h, 0, w - 1);
                    h[w - 1] = (float) (Math.sin(2 * Math.PI * t / period[i] + phase[i]) + 0.1 * random.nextGaussian()
                            + (i == 0 && t >= shiftAt ? shift : 0));
                    System.arraycopy(h, 0, window, 0, w);
                    batch.addDense(window, 0, false, 0f);
                }
                batch.endTimestep();
                if (t < w - 1) {
                    continue; // the windows are not full yet
                }
                float[] scores = model.step(batch, true).objectPredictions();
                for (int i = 0; i < objects; i++) {
                    StreamingQuantile.Verdict v = threshold.observe(scores[i]);
                    if (t < shiftAt && !Double.isInfinite(v.threshold())) {
                        clean++;
                        cleanFlagged += v.anomaly() ? 1 : 0;
                    }
                    if (i == 0 && t >= shiftAt && v.anomaly() && delay < 0) {
                        delay = t - shiftAt;
                    }
                }
            }
        }
        return new AnomalyResult(clean, clean == 0 ? Double.NaN : cleanFlagged / (double) clean, delay, w);
    }

    /** {@code overfit}, {@code add} or {@code anomaly}: prints that experiment's table (Markdown). */
    public static void main(String[] args) {
        String which = args.length == 0 ? "" : args[0];
        switch (which) {
            case "overfit" -> {
                int max = args.length > 1 ? Integer.parseInt(args[1]) : OVERFIT_MAX_STEPS;
                System.out.println("| hidden | differencing | updates to MSE < 1e-4 (max " + max
                        + ") | MSE at stop | reconstruction std / sequence std |");
                System.out.println("|---:|---|---:|---:|---:|");
                for (int hidden : new int[] {5, 16, 64, 128}) {
                    for (boolean diff : new boolean[] {false, true}) {
                        OverfitResult r = overfit(hidden, diff, max);
                        System.out.printf(Locale.ROOT, "| %d | %s | %s | %.2e | %.2f |%n", hidden, diff ? "on" : "off",
                                r.steps() < 0 ? "never" : Integer.toString(r.steps()), r.finalMse(), r.flatness());
                    }
                }
            }
            case "add" -> {
                int steps = args.length > 1 ? Integer.parseInt(args[1]) : ADD_STEPS;
                System.out.println("| length | activation (cell/gate) | held-out RMSE | std of the sum |");
                System.out.println("|---:|---|---:|---:|");
                for (int length : new int[] {2, 10}) {
                    for (String[] act : new String[][] {{"linear", "sigmoid"}, {"tanh", "sigmoid"}, {"linear", "linear"}}) {
                        AddResult r = learnToAdd(length, act[0], act[1], steps, ADD_LEARNING_RATE);
                        System.out.printf(Locale.ROOT, "| %d | %s | %.4f | %.2f |%n", length, r.activation(), r.rmse(),
                                Math.sqrt(length));
                    }
                }
            }
            case "anomaly" -> {
                System.out.println("| objects | clean windows scored | flagged at p99 | level shift +1 flagged after (W = 16) |");
                System.out.println("|---:|---:|---:|---:|");
                AnomalyResult r = anomaly(ANOMALY_OBJECTS, ANOMALY_SHIFT_AT, 1.0, ANOMALY_SHIFT_AT + 50);
                System.out.printf(Locale.ROOT, "| %d | %d | %.2f%% | %s |%n", ANOMALY_OBJECTS, r.cleanWindows(),
                        100 * r.cleanFlagRate(), r.detectionDelay() < 0 ? "never" : r.detectionDelay() + " timesteps");
            }
            default -> {
                System.err.println("usage: SequenceExperiments overfit [maxSteps] | add [steps] | anomaly");
                System.exit(2);
            }
        }
    }
}
