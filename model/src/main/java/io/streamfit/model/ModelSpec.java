package io.streamfit.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything needed to build a model: kind, shape, activation, loss weight, optimizer, seed and
 * TensorFlow threading. Two models built from equal specs are identical. A checkpoint is imported
 * whole into a model of an equal {@link #fingerprint()}, and into one of an equal
 * {@link #shapeFingerprint()} with its weights (and its optimizer state when the same optimizer
 * wrote it): see {@link SpecFingerprint} for which settings shape the weights.
 *
 * @param kind            model kind, e.g. {@code regressor}
 * @param features        m, features per object (at least 1)
 * @param hidden          hidden layer sizes; empty means a linear model. Sequence kinds: the
 *                        stacked LSTM layer sizes, first layer first (at least one)
 * @param activation      hidden activation: relu, tanh, sigmoid or linear (sequence kinds use
 *                        {@link SequenceOptions}'s activations instead)
 * @param lossWeight      w in [0, 1] of {@code w * mean object loss + (1 - w) * sum loss}
 * @param optimizer       optimizer name and hyperparameters
 * @param seed            weight initialisation seed
 * @param intraOpThreads  TensorFlow intra-op threads (0 = TensorFlow's choice)
 * @param interOpThreads  TensorFlow inter-op threads (0 = TensorFlow's choice)
 * @param sequence        window and LSTM options of the sequence kinds ({@link SequenceOptions});
 *                        {@code null} means {@link SequenceOptions#DEFAULT}; not part of the
 *                        fingerprint of the other kinds
 * @param classes         C, the number of classes: at least 2 for {@code classifier}, 0 for every
 *                        other kind
 * @param input           how objects enter the first layer: {@link #INPUT_DENSE} (a [N, m] matrix),
 *                        {@link #INPUT_SPARSE} (COO triples gathered row by row, memory O(nnz)) or
 *                        {@link #INPUT_AUTO} (sparse when m &gt; {@link #AUTO_SPARSE_ABOVE}); {@code null}
 *                        means auto. The sequence kinds always take dense windows
 * @param loss            the regression loss and the sum term's normalisation ({@link LossOptions});
 *                        {@code null} means {@link LossOptions#DEFAULT}
 */
public record ModelSpec(
        String kind,
        int features,
        int[] hidden,
        String activation,
        double lossWeight,
        OptimizerSpec optimizer,
        long seed,
        int intraOpThreads,
        int interOpThreads,
        SequenceOptions sequence,
        int classes,
        String input,
        LossOptions loss) {

    public static final String KIND_REGRESSOR = "regressor";
    /** LSTM encoder-decoder scoring each window by its reconstruction error ({@link LstmAutoencoder}). */
    public static final String KIND_SEQ_AUTOENCODER = "seq-autoencoder";
    /** LSTM predicting an object's target from its window ({@link LstmRegressor}). */
    public static final String KIND_LSTM_REGRESSOR = "lstm-regressor";
    /** Softmax regression or an MLP with a softmax head over {@link #classes()} classes ({@link Classifier}). */
    public static final String KIND_CLASSIFIER = "classifier";

    // The spellings of InputLayout, which takes them from here: tests name them in annotations, which need
    // compile-time constants.
    /** Objects enter the first layer as a dense [N, m] matrix (a matrix product). */
    public static final String INPUT_DENSE = "dense";
    /** Objects enter the first layer as COO triples (a gather of weight rows per nonzero). */
    public static final String INPUT_SPARSE = "sparse";
    /** Sparse when m &gt; {@link #AUTO_SPARSE_ABOVE}, else dense. */
    public static final String INPUT_AUTO = "auto";
    /** The largest m for which {@link #INPUT_AUTO} resolves to dense. */
    public static final int AUTO_SPARSE_ABOVE = 1024;

    public ModelSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(optimizer, "optimizer");
        hidden = hidden == null ? new int[0] : hidden.clone();
        sequence = sequence == null ? SequenceOptions.DEFAULT : sequence;
        input = input == null ? INPUT_AUTO : InputLayout.fromConfig(input).configName();
        loss = loss == null ? LossOptions.DEFAULT : loss;
        if (KIND_CLASSIFIER.equals(kind) ? classes < 2 : classes != 0) {
            throw new IllegalArgumentException(KIND_CLASSIFIER.equals(kind)
                    ? "model.kind 'classifier' needs at least 2 classes, got " + classes
                    : "model.kind '" + kind + "' takes no classes (0), got " + classes);
        }
        if (INPUT_SPARSE.equals(input) && (KIND_SEQ_AUTOENCODER.equals(kind) || KIND_LSTM_REGRESSOR.equals(kind))) {
            throw new IllegalArgumentException("model.kind '" + kind + "' takes dense windows only, got input 'sparse'");
        }
        if (features < 1) {
            throw new IllegalArgumentException("features must be >= 1, got " + features);
        }
        for (int h : hidden) {
            if (h < 1) {
                throw new IllegalArgumentException("hidden sizes must be >= 1, got " + Arrays.toString(hidden));
            }
        }
        if (!(lossWeight >= 0.0 && lossWeight <= 1.0)) {
            throw new IllegalArgumentException("lossWeight must be in [0, 1], got " + lossWeight);
        }
    }

    /** A spec with the default loss options (the shape of specs before the loss options). */
    public ModelSpec(String kind, int features, int[] hidden, String activation, double lossWeight,
                     OptimizerSpec optimizer, long seed, int intraOpThreads, int interOpThreads,
                     SequenceOptions sequence, int classes, String input) {
        this(kind, features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads, interOpThreads,
                sequence, classes, input, LossOptions.DEFAULT);
    }

    /** A spec without classes and with automatic input (the shape of specs before the classifier). */
    public ModelSpec(String kind, int features, int[] hidden, String activation, double lossWeight,
                     OptimizerSpec optimizer, long seed, int intraOpThreads, int interOpThreads,
                     SequenceOptions sequence) {
        this(kind, features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads, interOpThreads,
                sequence, 0, INPUT_AUTO);
    }

    /** A spec with the default sequence options (the shape of specs before the sequence kinds). */
    public ModelSpec(String kind, int features, int[] hidden, String activation, double lossWeight,
                     OptimizerSpec optimizer, long seed, int intraOpThreads, int interOpThreads) {
        this(kind, features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads, interOpThreads,
                SequenceOptions.DEFAULT);
    }

    /**
     * A {@code seq-autoencoder} spec with deterministic single-threaded TensorFlow.
     *
     * @param lstm LSTM layer sizes of the encoder, first layer first (at least one)
     */
    public static ModelSpec seqAutoencoder(int features, int[] lstm, SequenceOptions sequence,
                                           OptimizerSpec optimizer, long seed) {
        return new ModelSpec(KIND_SEQ_AUTOENCODER, features, lstm, "linear", 1.0, optimizer, seed, 1, 1, sequence);
    }

    /**
     * An {@code lstm-regressor} spec with deterministic single-threaded TensorFlow.
     *
     * @param lstm LSTM layer sizes, first layer first (at least one)
     */
    public static ModelSpec lstmRegressor(int features, int[] lstm, SequenceOptions sequence, double lossWeight,
                                          OptimizerSpec optimizer, long seed) {
        return new ModelSpec(KIND_LSTM_REGRESSOR, features, lstm, "linear", lossWeight, optimizer, seed, 1, 1,
                sequence);
    }

    /** Whether this is a sequence kind, whose objects are windows of {@link SequenceOptions#window()} timesteps. */
    public boolean isSequence() {
        return KIND_SEQ_AUTOENCODER.equals(kind) || KIND_LSTM_REGRESSOR.equals(kind);
    }

    /** A regressor spec with deterministic single-threaded TensorFlow. */
    public static ModelSpec regressor(int features, int[] hidden, String activation, double lossWeight,
                                      OptimizerSpec optimizer, long seed) {
        return new ModelSpec(KIND_REGRESSOR, features, hidden, activation, lossWeight, optimizer, seed, 1, 1);
    }

    /**
     * A classifier spec with deterministic single-threaded TensorFlow and automatic input.
     *
     * @param classes C, at least 2
     * @param hidden  hidden layer sizes; empty means softmax regression
     */
    public static ModelSpec classifier(int features, int classes, int[] hidden, String activation, double lossWeight,
                                       OptimizerSpec optimizer, long seed) {
        return new ModelSpec(KIND_CLASSIFIER, features, hidden, activation, lossWeight, optimizer, seed, 1, 1,
                SequenceOptions.DEFAULT, classes, INPUT_AUTO);
    }

    /** This spec with {@code input} ({@link #INPUT_DENSE}, {@link #INPUT_SPARSE} or {@link #INPUT_AUTO}). */
    public ModelSpec withInput(String input) {
        return new ModelSpec(kind, features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads,
                interOpThreads, sequence, classes, input, loss);
    }

    /** This spec with the loss options {@code loss}. */
    public ModelSpec withLoss(LossOptions loss) {
        return new ModelSpec(kind, features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads,
                interOpThreads, sequence, classes, input, loss);
    }

    /**
     * Whether objects enter the first layer as sparse COO triples: {@link #input()} resolved, auto
     * meaning m &gt; {@link #AUTO_SPARSE_ABOVE}. Always false for the sequence kinds.
     */
    public boolean sparseInput() {
        if (isSequence()) {
            return false;
        }
        return switch (inputLayout()) {
            case SPARSE -> true;
            case AUTO -> features > AUTO_SPARSE_ABOVE;
            case DENSE -> false;
        };
    }

    /** {@link #input()} as its enum. */
    public InputLayout inputLayout() {
        return InputLayout.fromConfig(input);
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    /**
     * A string that identifies the model's structure and training (not its threading): equal
     * fingerprints mean a checkpoint of one can be imported into the other.
     */
    public String fingerprint() {
        return kind + "|m=" + features + "|hidden=" + Arrays.toString(hidden) + "|act=" + activation
                + "|w=" + lossWeight + "|opt=" + optimizer + "|seed=" + seed
                // Only the sequence kinds print their options, so other fingerprints stay as they were.
                + (isSequence() ? "|seq=" + sequence : "")
                // Likewise classes print only where they apply, so a regressor's fingerprint stays that
                // of the versions before the classifier and its old checkpoints fit. The input layout
                // is not in it: dense and sparse models have the same variables, so a model can switch
                // model.input and keep its checkpoint.
                + (classes > 0 ? "|classes=" + classes : "")
                // The squared loss prints nothing, so the fingerprints of earlier versions stay valid.
                + loss.fingerprint();
    }

    /**
     * The part of {@link #fingerprint()} that shapes the weights: kind, m, hidden sizes,
     * activation, the sequence options and the classes, without the training settings (loss
     * weight and options, optimizer with its hyperparameters, seed). A state of another fingerprint
     * loads into a model of this spec when this part is equal; its training settings then apply
     * from the next update ({@link SpecFingerprint}). Equal to
     * {@code SpecFingerprint.parse(fingerprint()).shape()}, and so computable from any
     * fingerprint a checkpoint stores.
     */
    public String shapeFingerprint() {
        return kind + "|m=" + features + "|hidden=" + Arrays.toString(hidden) + "|act=" + activation
                + (isSequence() ? "|seq=" + sequence : "")
                + (classes > 0 ? "|classes=" + classes : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.fingerprint().equals(fingerprint()) && s.sparseInput() == sparseInput()
                && s.loss.equals(loss)
                && s.intraOpThreads == intraOpThreads && s.interOpThreads == interOpThreads;
    }

    @Override
    public int hashCode() {
        return fingerprint().hashCode();
    }

    @Override
    public String toString() {
        return fingerprint() + "|threads=" + intraOpThreads + "/" + interOpThreads;
    }

    /**
     * An optimizer by name with its hyperparameters (see {@link Optimizers} for names, keys,
     * defaults and ranges).
     *
     * @param name         one of {@link Optimizers#names()}
     * @param learningRate the learning rate (&gt; 0), before the schedule
     * @param params       extra hyperparameters by key (e.g. {@code momentum}, {@code beta1},
     *                     {@code l2}, {@code clip.norm}); absent keys take their defaults
     * @param schedule     the learning-rate schedule, a {@link LearningRateSchedule.Kind#configName()}
     */
    public record OptimizerSpec(String name, double learningRate, Map<String, Double> params, String schedule) {
        public OptimizerSpec {
            Objects.requireNonNull(name, "name");
            if (!(learningRate > 0.0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
            }
            params = params == null ? Map.of() : Map.copyOf(new TreeMap<>(params));
            schedule = schedule == null ? LearningRateSchedule.CONSTANT : schedule;
        }

        /** A spec with the constant schedule. */
        public OptimizerSpec(String name, double learningRate, Map<String, Double> params) {
            this(name, learningRate, params, LearningRateSchedule.CONSTANT);
        }

        public static OptimizerSpec of(String name, double learningRate) {
            return new OptimizerSpec(name, learningRate, Map.of());
        }

        /** The hyperparameter {@code key}, or {@code defaultValue} when not given. */
        public double param(String key, double defaultValue) {
            Double v = params.get(key);
            return v == null ? defaultValue : v;
        }

        @Override
        public String toString() {
            // The constant schedule prints nothing, so fingerprints of earlier versions stay valid.
            // A clip of 0 was the default before clipping had one, and fingerprints never printed it.
            TreeMap<String, Double> printed = new TreeMap<>(params);
            printed.remove(Optimizers.PARAM_CLIP_NORM, Optimizers.CLIP_NORM_LEGACY);
            return name + "(lr=" + learningRate + (printed.isEmpty() ? "" : ", " + printed)
                    + (LearningRateSchedule.CONSTANT.equals(schedule) ? "" : ", schedule=" + schedule) + ")";
        }
    }
}
