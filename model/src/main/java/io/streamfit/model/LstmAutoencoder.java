package io.streamfit.model;

import io.streamfit.model.Fetches.Fetch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.core.Stack;
import org.tensorflow.types.TFloat32;

/**
 * Model kind {@code seq-autoencoder}: an LSTM encoder-decoder that reconstructs each object's
 * window and scores it by the reconstruction error; a window unlike those it learned from
 * reconstructs badly and scores high (Malhotra et al., "LSTM-based Encoder-Decoder for
 * Multi-sensor Anomaly Detection", ICML 2016 anomaly detection workshop).
 *
 * <h2>Network</h2>
 * The encoder ({@link SequenceModel#encode()}: {@link ModelSpec#hidden()} stacked LSTM layers,
 * optionally bidirectional) reads the window x_1..x_W (or its differences, {@link
 * SequenceOptions#difference()}). Its last layer's final hidden and cell state, width D (the last
 * layer size, doubled when bidirectional), start a decoder LSTM cell of D units. The decoder makes
 * one element per step: {@code y_t = h_t K + b} (a dense projection to m features, starting at
 * zero), and feeds y_t back as its next input (the first input is zero). It reconstructs x_1..x_W in order, or
 * x_W..x_1 with {@link SequenceOptions#reverse()}.
 *
 * <h2>Score and loss</h2>
 * An object's score is the mean squared error of its reconstruction over the W x m elements of
 * the (differenced, when configured) window; unitless when the features are, always &gt;= 0. The
 * training loss is the mean score of the batch's objects: every window is its own target, so
 * every object is supervised and targets in the batch are ignored.
 *
 * <h2>Step</h2>
 * The object predictions of a {@link #step} are the windows' scores before the update; the
 * per-timestep sums are sums of scores. With {@code train} and at least one object, one update on
 * the mean score follows in the same session run, whether or not the batch holds targets. The
 * loss is the mean score.
 *
 * <p>Not thread-safe; the graph is built once and every {@link #step} is one session run.
 */
public final class LstmAutoencoder extends SequenceModel {

    /** What the {@code serve} signature returns. */
    private final Operand<TFloat32> scores;
    private final Fetch scoresFetch;
    private final Operand<TFloat32> reconstruction;

    /**
     * @throws IllegalArgumentException if the spec is not a {@code seq-autoencoder}, has no LSTM
     *                                  layer, or names an unknown activation or optimizer
     */
    public LstmAutoencoder(ModelSpec spec) {
        super(spec, ModelSpec.KIND_SEQ_AUTOENCODER);
        Operand<TFloat32> loss;
        try {
            LstmCell.State s = encode();
            int width = encodedWidth();
            LstmCell decoder = cell("dec", features, width, spec.seed() + 1000);
            // A zero projection starts every reconstruction at 0. A random one, fed back as the
            // next input, drives the decoder into saturation and starts the MSE around 10 to 100
            // times the data's mean square, which Adam at 1e-3 then needs hundreds of updates to undo.
            Dense project = dense("dec_out", width, features, null);

            List<Operand<TFloat32>> targets = new ArrayList<>(encoderInputs);
            if (options.reverse()) {
                Collections.reverse(targets);
            }
            List<Operand<TFloat32>> outputs = new ArrayList<>(window);
            Operand<TFloat32> in = zeros(features);
            for (int t = 0; t < window; t++) {
                s = decoder.step(tf, in, s);
                in = project.apply(tf, s.h());
                outputs.add(in);
            }
            Operand<TFloat32> out = tf.stack(outputs, Stack.axis(1L));
            Operand<TFloat32> target = tf.stack(targets, Stack.axis(1L));
            scores = tf.withName("score").math.mean(tf.math.squaredDifference(out, target), tf.constant(new int[] {1, 2}));
            loss = tf.withName("loss").math.mean(scores, tf.constant(0));

            List<Operand<TFloat32>> chronological = new ArrayList<>(outputs);
            if (options.reverse()) {
                Collections.reverse(chronological);
            }
            reconstruction = tf.withName("reconstruction").reshape(tf.stack(chronological, Stack.axis(1L)),
                    tf.constant(new int[] {-1, window * features}));
            scoresFetch = stepFetch(scores);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
        // The reported loss is the mean of the fetched scores summed in double (result()), as it
        // always was: the graph's float32 mean can differ in the last bits, and would cost a fetch.
        open(loss, false);
    }

    /** The scores, their sums per timestep, and their mean as the loss of a training step. */
    @Override
    protected StepResult result(Result result, ObjectBatch batch, double loss, boolean updated, String skipped,
                                boolean clipped) {
        int n = batch.objects();
        float[] score = scoresFetch.floats(result, n);
        float[] sums = new float[batch.timesteps()];
        double mean = 0;
        for (int t = 0; t < sums.length; t++) {
            for (int i = batch.firstObject(t); i < batch.firstObject(t + 1); i++) {
                sums[t] += score[i];
                mean += score[i];
            }
        }
        // A training run reports applied or skipped; only then is there a loss to report.
        boolean trained = updated || skipped != null;
        return new StepResult(score, sums, trained ? mean / n : Double.NaN, updated, skipped, clipped);
    }

    /** Nothing to run without objects, whatever the timesteps. */
    @Override
    protected boolean nothingToRun(ObjectBatch batch) {
        return batch.objects() == 0;
    }

    /** Every window is its own target, so every training step tries an update. */
    @Override
    protected boolean supervised(ObjectBatch batch) {
        return true;
    }

    /** None: targets in the batch are ignored. */
    @Override
    protected void feedTargets(Session.Runner runner, ObjectBatch batch) {
    }

    /**
     * The current reconstruction of every window of {@code batch}, without training: N * W * m
     * values, row-major [N, W, m], oldest timestep first even when the decoder runs in reverse, in
     * the representation the model reads (differences when {@link SequenceOptions#difference()}).
     */
    public float[] reconstruct(ObjectBatch batch) {
        checkBatch(batch);
        int n = batch.objects();
        int width = window * features;
        float[] out = new float[n * width];
        if (n == 0) {
            return out;
        }
        Session.Runner runner = session().runner();
        feedInputs(runner, batch);
        try (Result result = runner.fetch(reconstruction).run()) {
            ((TFloat32) result.get(0)).asRawTensor().data().asFloats().read(out);
        }
        return out;
    }

    @Override
    protected Operand<TFloat32> servingOutput() {
        return scores;
    }

    @Override
    protected String servingOutputName() {
        return "scores";
    }

    @Override
    protected void closeSequenceFeeds() {
    }
}
