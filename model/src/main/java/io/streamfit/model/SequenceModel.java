package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.initializers.Glorot;
import org.tensorflow.framework.initializers.VarianceScaling;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * What the LSTM models share on top of {@link GraphModel} (training op, session, checkpoint,
 * version, step): the window input and the unrolled encoder. A subclass builds its head and loss
 * on {@link #encoderInputs} in its constructor, declares what a step fetches
 * ({@link #stepFetch}), then calls {@link #open}.
 *
 * <p>Input: an {@link ObjectBatch} of {@code W * m} features per object, each row one object's
 * window, row-major [W, m], oldest timestep first ({@link SequenceOptions}). Objects are the batch
 * dimension: the same weights serve every object.
 *
 * <p>Checkpoint: {@link GraphCheckpoint}'s format (see {@link SharedWeightRegressor}): every
 * variable of the graph, cell kernels and biases and optimizer slots alike.
 */
abstract class SequenceModel extends GraphModel {

    protected final SequenceOptions options;
    protected final int window;
    protected final int features;
    protected final Placeholder<TFloat32> x;
    /** The encoder's input per timestep, oldest first, each [N, m] (differenced when configured). */
    protected final List<Operand<TFloat32>> encoderInputs;
    private final FeedTensor<TFloat32> xFeed = new FeedTensor<>(TFloat32.class);
    private final Operand<TInt32> batchSize;

    /**
     * Starts the graph: the window placeholder and the encoder inputs.
     *
     * @throws IllegalArgumentException if {@code spec} is not of {@code kind}, has no LSTM layer,
     *                                  or has negative thread counts
     */
    protected SequenceModel(ModelSpec spec, String kind) {
        super(spec, kind);
        this.options = spec.sequence();
        this.window = options.window();
        this.features = spec.features();
        try {
            if (spec.hidden().length == 0) {
                throw new IllegalArgumentException("model.kind '" + kind
                        + "' needs at least one LSTM layer size in model.hidden, got none");
            }
            x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, (long) window * features)));
            batchSize = tf.gather(tf.shape(x), tf.constant(0), tf.constant(0));
            List<Operand<TFloat32>> steps = new ArrayList<>(tf.unstack(
                    tf.reshape(x, tf.constant(new int[] {-1, window, features})), (long) window,
                    Unstack.axis(1L)).output());
            if (options.difference()) {
                List<Operand<TFloat32>> diff = new ArrayList<>(window);
                diff.add(steps.get(0));
                for (int t = 1; t < window; t++) {
                    diff.add(tf.math.sub(steps.get(t), steps.get(t - 1)));
                }
                steps = diff;
            }
            encoderInputs = Collections.unmodifiableList(steps);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    /** A batch of {@code W * m} features per object: one window per object. */
    @Override
    public ObjectBatch newBatch() {
        return new ObjectBatch(window * features);
    }

    /** A zero matrix [N, width], N the number of objects fed. */
    protected Operand<TFloat32> zeros(int width) {
        return tf.zeros(tf.stack(List.of(batchSize, tf.constant(width))), TFloat32.class);
    }

    /** A new LSTM cell whose variables are trained. */
    protected LstmCell cell(String name, int inputs, int units, long seed) {
        LstmCell c = new LstmCell(tf, name, inputs, units, Activation.fromConfig(options.activation()),
                Activation.fromConfig(options.recurrentActivation()), seed);
        register(name, c.kernel, c.bias, inputs + units, 4 * units);
        return c;
    }

    /** A dense layer's variables; {@link #apply} may be called many times (shared weights). */
    protected record Dense(Variable<TFloat32> kernel, Variable<TFloat32> bias) {
        Operand<TFloat32> apply(Ops tf, Operand<TFloat32> input) {
            return tf.math.add(tf.linalg.matMul(input, kernel), bias);
        }
    }

    /**
     * A dense layer {@code input K + b} whose variables are trained; the bias starts at zero, the
     * kernel Glorot-uniform from {@code seed}, or at zero when {@code seed} is null.
     */
    protected Dense dense(String name, int in, int out, Long seed) {
        Ops init = tf.withInitScope();
        Operand<TFloat32> initial = seed == null
                ? init.zeros(init.constant(Shape.of(in, out)), TFloat32.class)
                : new Glorot<TFloat32>(VarianceScaling.Distribution.UNIFORM, seed)
                        .call(init, init.constant(Shape.of(in, out)), TFloat32.class);
        Variable<TFloat32> kernel = tf.withName(name + "_kernel").variable(initial);
        Variable<TFloat32> bias = tf.withName(name + "_bias").variable(
                init.zeros(init.constant(Shape.of(out)), TFloat32.class));
        register(name, kernel, bias, in, out);
        return new Dense(kernel, bias);
    }

    /**
     * Runs the encoder over {@link #encoderInputs}: {@link ModelSpec#hidden()} stacked layers, each
     * optionally bidirectional (a backward cell reads the layer's input newest first, and the next
     * layer reads both directions side by side).
     *
     * @return the final state of the last layer, [N, H] or, bidirectional, [N, 2H] (forward then
     *         backward; the backward cell's final state is the one after the oldest timestep)
     */
    protected LstmCell.State encode() {
        int[] layers = spec.hidden();
        List<Operand<TFloat32>> seq = encoderInputs;
        int in = features;
        LstmCell.State last = null;
        for (int l = 0; l < layers.length; l++) {
            int units = layers[l];
            LstmCell forward = cell("enc_" + l + "_fw", in, units, spec.seed() + 2L * l);
            List<Operand<TFloat32>> fw = new ArrayList<>(window);
            LstmCell.State s = new LstmCell.State(zeros(units), zeros(units));
            for (Operand<TFloat32> xt : seq) {
                s = forward.step(tf, xt, s);
                fw.add(s.h());
            }
            if (!options.bidirectional()) {
                seq = fw;
                in = units;
                last = s;
                continue;
            }
            LstmCell backward = cell("enc_" + l + "_bw", in, units, spec.seed() + 2L * l + 1);
            Operand<TFloat32>[] bw = newArray(window);
            LstmCell.State r = new LstmCell.State(zeros(units), zeros(units));
            for (int t = window - 1; t >= 0; t--) {
                r = backward.step(tf, seq.get(t), r);
                bw[t] = r.h();
            }
            List<Operand<TFloat32>> both = new ArrayList<>(window);
            for (int t = 0; t < window; t++) {
                both.add(tf.concat(List.of(fw.get(t), bw[t]), tf.constant(1)));
            }
            seq = both;
            in = 2 * units;
            last = new LstmCell.State(tf.concat(List.of(s.h(), r.h()), tf.constant(1)),
                    tf.concat(List.of(s.c(), r.c()), tf.constant(1)));
        }
        return last;
    }

    /** Width of {@link #encode()}'s state. */
    protected int encodedWidth() {
        int[] layers = spec.hidden();
        return layers[layers.length - 1] * (options.bidirectional() ? 2 : 1);
    }

    @SuppressWarnings("unchecked")
    private static Operand<TFloat32>[] newArray(int n) {
        return (Operand<TFloat32>[]) new Operand<?>[n];
    }

    /** What the {@code serve} signature of {@link #exportSavedModel} returns per object: float32 [n]. */
    protected abstract Operand<TFloat32> servingOutput();

    /** The name of {@link #servingOutput()} in the signature. */
    protected abstract String servingOutputName();

    /** Signature key and tag of {@link #exportSavedModel}. */
    public static final String SERVE = SavedModelDirectory.SERVE;
    /** Input name of the {@code serve} signature: float32 [n, W * m], one window per row. */
    public static final String SERVE_INPUT = "windows";

    /**
     * {@inheritDoc}
     *
     * <p>The SavedModel holds this model's graph and current variables, under tag {@code serve},
     * with signatures {@code serve} and {@code serving_default}, both mapping {@code windows}
     * (float32 [n, W * m], rows as in {@link SequenceOptions}) to the per-object output.
     */
    @Override
    public void exportSavedModel(Path directory) throws IOException {
        ensureOpen();
        SavedModelDirectory.prepare(directory);
        SavedModelDirectory.export(directory, session(), Map.of(SERVE_INPUT, x),
                Map.of(servingOutputName(), servingOutput()));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the batch's feature count is not W * m
     */
    @Override
    protected void checkBatch(ObjectBatch batch) {
        ensureOpen();
        if (batch.features() != window * features) {
            throw new IllegalArgumentException("batch has " + batch.features() + " features per object, model.kind '"
                    + spec.kind() + "' takes windows of " + window + " timesteps x " + features + " features = "
                    + window * features);
        }
    }

    /** The windows, one row of W * m per object. */
    @Override
    protected void feedInputs(Session.Runner runner, ObjectBatch batch) {
        int n = batch.objects();
        int width = window * features;
        runner.feed(x, FeedTensor.write(xFeed, batch.x(), n * width, n, width));
    }

    /** Names of the trained variables, (kernel, bias) pairs in build order. */
    public List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        for (DenseParams p : layers()) {
            names.add(p.weightsName());
            names.add(p.biasName());
        }
        return names;
    }

    @Override
    protected void closeFeeds() {
        xFeed.close();
        closeSequenceFeeds();
    }

    /** Closes the subclass's own feed tensors. */
    protected abstract void closeSequenceFeeds();
}
