package io.streamfit.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.initializers.Glorot;
import org.tensorflow.framework.initializers.He;
import org.tensorflow.framework.initializers.Initializer;
import org.tensorflow.framework.initializers.VarianceScaling;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * What the shared-weight models (regressor and classifier) share: one MLP with one set of weights
 * applied to every object of every timestep (objects are the batch dimension), its first layer
 * dense or sparse ({@link InputLayer}, {@link ModelSpec#sparseInput()}), the per-object segment
 * ids and the timestep count, the weights, and the SavedModel export of an inference-only copy
 * of the network.
 *
 * <h2>Network</h2>
 * Each hidden layer i of {@link ModelSpec#hidden()} is {@code h = act(h W_i + b_i)}; then a
 * linear head {@code out = h W_out + b_out} of {@code outputs} units, which the subclass turns
 * into predictions. Kernels start Glorot-uniform (He-uniform for relu hidden layers) from the spec
 * seed (layer i uses seed + i), biases start at zero, so equal specs start equal. Variables are
 * {@code dense_i_kernel}, {@code dense_i_bias}, {@code output_kernel}, {@code output_bias}.
 *
 * <p>A subclass builds its placeholders, predictions and loss on {@link #output} in its
 * constructor, declares the predictions a step fetches ({@link #stepFetch}), then calls
 * {@link #open}.
 */
abstract class FeedForwardModel extends GraphModel {

    private static final String OUTPUT_LAYER = "output";

    protected final int features;
    protected final Activation activation;
    private final InputLayer input;
    protected final Placeholder<TInt32> segment;
    protected final Placeholder<TInt32> timesteps;
    /** The head's linear output, [N, outputs]. */
    protected final Operand<TFloat32> output;

    private final List<Variable<TFloat32>> weights = new ArrayList<>();
    private final FeedTensor<TInt32> segmentFeed = new FeedTensor<>(TInt32.class);
    private final FeedTensor<TInt32> timestepsFeed = new FeedTensor<>(TInt32.class);
    private final int[] timestepCount = new int[1];

    /**
     * Builds the input, the hidden layers and the head of {@code outputs} units.
     *
     * @throws IllegalArgumentException if the spec is not of {@code kind}, or names an unknown
     *                                  activation, or has negative thread counts
     */
    protected FeedForwardModel(ModelSpec spec, String kind, int outputs) {
        super(spec, kind);
        this.features = spec.features();
        try {
            this.activation = Activation.fromConfig(spec.activation());
            input = new InputLayer(tf, features, spec.sparseInput(), "x");
            segment = tf.withName("segment").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
            timesteps = tf.withName("timesteps").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
            Operand<TFloat32> h = null;
            int in = features;
            int[] hidden = spec.hidden();
            for (int i = 0; i < hidden.length; i++) {
                Initializer<TFloat32> init = activation == Activation.RELU
                        ? new He<>(VarianceScaling.Distribution.UNIFORM, spec.seed() + i)
                        : new Glorot<>(VarianceScaling.Distribution.UNIFORM, spec.seed() + i);
                h = activation.apply(tf, dense("dense_" + i, h, in, hidden[i], init));
                in = hidden[i];
            }
            output = dense(OUTPUT_LAYER, h, in, outputs,
                    new Glorot<>(VarianceScaling.Distribution.UNIFORM, spec.seed() + hidden.length));
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    /** A trained dense layer on {@code in} ({@code null}: on the model's input). */
    private Operand<TFloat32> dense(String layer, Operand<TFloat32> in, int inputs, int outputs,
                                    Initializer<TFloat32> kernelInit) {
        // Flat variable names: tensorflow-framework names optimizer slots "<variable>-<slot>" and
        // rejects that name when the variable's name has a scope separator.
        // Initial values must live in the init scope: the session runs them once, at initialize().
        Ops init = tf.withInitScope();
        Variable<TFloat32> kernel = tf.withName(layer + "_kernel").variable(
                kernelInit.call(init, init.constant(Shape.of(inputs, outputs)), TFloat32.class));
        Variable<TFloat32> bias = tf.withName(layer + "_bias").variable(
                init.zeros(init.constant(Shape.of(outputs)), TFloat32.class));
        weights.add(kernel);
        weights.add(bias);
        register(layer, kernel, bias, inputs, outputs);
        return layer(tf.withSubScope(layer), input, in, kernel, bias);
    }

    private static Operand<TFloat32> layer(Ops scope, InputLayer input, Operand<TFloat32> in, Operand<TFloat32> kernel,
                                           Operand<TFloat32> bias) {
        return in == null ? input.apply(scope, kernel, bias) : scope.math.add(scope.linalg.matMul(in, kernel), bias);
    }

    /** A dense batch, or a sparse one when {@link ModelSpec#sparseInput()}. */
    @Override
    public ObjectBatch newBatch() {
        return spec.sparseInput() ? ObjectBatch.sparse(features) : new ObjectBatch(features);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Batches of either layout are taken.
     *
     * @throws IllegalArgumentException if the batch has another feature count than the spec
     */
    @Override
    protected void checkBatch(ObjectBatch batch) {
        if (batch.features() != features) {
            throw new IllegalArgumentException("batch has " + batch.features() + " features per object, model has "
                    + features);
        }
    }

    /** The features in the batch's layout, the timestep of every object and the timestep count. */
    @Override
    protected void feedInputs(Session.Runner runner, ObjectBatch batch) {
        timestepCount[0] = batch.timesteps();
        int n = batch.objects();
        runner.feed(segment, FeedTensor.write(segmentFeed, batch.segment(), n, n))
                .feed(timesteps, FeedTensor.write(timestepsFeed, timestepCount, 1));
        input.feed(runner, batch);
    }

    /**
     * The current weights in layer order, copied: {@code dense_i_kernel} [in_i, out_i] row-major
     * and {@code dense_i_bias} [out_i] for each hidden layer i (in_0 = m, out_i = hidden[i]), then
     * {@code output_kernel} [in, outputs] and {@code output_bias} [outputs]. The names are the
     * variables' TensorFlow names.
     */
    public Map<String, float[]> weights() {
        Session.Runner runner = session().runner();
        for (Variable<TFloat32> v : weights) {
            runner.fetch(v);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        try (Result result = runner.run()) {
            for (int i = 0; i < weights.size(); i++) {
                values.put(weights.get(i).op().name(), GraphCheckpoint.copy((TFloat32) result.get(i)));
            }
        }
        return Collections.unmodifiableMap(values);
    }

    /** Signature key and tag of {@link #exportSavedModel}. */
    public static final String SERVE = SavedModelDirectory.SERVE;
    /** Input name of the {@code serve} signature of a dense-input model: float32 [n, m]. */
    public static final String SERVE_INPUT = "features";

    /**
     * {@inheritDoc}
     *
     * <p>The SavedModel holds an inference-only graph (no loss, no optimizer, no slots): the
     * network with the current weights as variables, under tag {@code serve}, with signatures
     * {@code serve} and {@code serving_default} (TensorFlow Serving's default key). Their inputs:
     * {@code features} (float32 [n, m]) for a dense-input model; for a sparse-input model the COO
     * triples {@code rows} (int32 [nnz], object index), {@code cols} (int32 [nnz], feature index),
     * {@code values} (float32 [nnz]) and {@code objects} (int32 scalar n). The outputs are the
     * subclass's ({@link #servingOutputs}).
     */
    @Override
    public void exportSavedModel(Path directory) throws IOException {
        exportSavedModel(directory, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@code scaling}, the graph divides {@code features} minus the means by the scales
     * (float32 constants, scope {@code input_scaling}) before the first layer.
     *
     * @throws IllegalArgumentException for scaling of a sparse-input model or of another m
     */
    @Override
    public void exportSavedModel(Path directory, InputScaling scaling) throws IOException {
        ensureOpen();
        if (scaling != null && (spec.sparseInput() || scaling.features() != features)) {
            throw new IllegalArgumentException(spec.sparseInput() ? "a sparse-input model exports no input scaling"
                    : "input scaling of " + scaling.features() + " features for a model of " + features);
        }
        SavedModelDirectory.prepare(directory);
        Map<String, float[]> current = weights();
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Ops init = tf.withInitScope();
            InputLayer in = new InputLayer(tf, features, spec.sparseInput(), SERVE_INPUT, scaling);
            Operand<TFloat32> h = null;
            List<DenseParams> layers = layers();
            for (int l = 0; l < layers.size(); l++) {
                DenseParams p = layers.get(l);
                Variable<TFloat32> w = tf.withName(p.weightsName()).variable(init.constant(
                        Shape.of(p.inputs(), p.outputs()), DataBuffers.of(current.get(p.weightsName()), true, false)));
                Variable<TFloat32> bias = tf.withName(p.biasName()).variable(init.constant(
                        Shape.of(p.outputs()), DataBuffers.of(current.get(p.biasName()), true, false)));
                h = layer(tf.withSubScope(p.layer()), in, h, w, bias);
                if (l < layers.size() - 1) {
                    h = activation.apply(tf, h);
                }
            }
            Map<String, Operand<TFloat32>> outputs = servingOutputs(tf, h);
            try (Session s = new Session(g)) {
                s.initialize();
                SavedModelDirectory.export(directory, s, in.inputs(), outputs);
            }
        }
    }

    /** The outputs of the serving signature, by name, built on the head's linear output {@code out} [n, outputs]. */
    protected abstract Map<String, Operand<TFloat32>> servingOutputs(Ops tf, Operand<TFloat32> out);

    /** Closes the subclass's own feed tensors. */
    protected abstract void closeTargetFeeds();

    @Override
    protected void closeFeeds() {
        input.close();
        segmentFeed.close();
        timestepsFeed.close();
        closeTargetFeeds();
    }
}
