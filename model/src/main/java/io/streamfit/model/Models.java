package io.streamfit.model;

/**
 * Builds models from specs: the one place that maps {@link ModelSpec#kind()} to an implementation.
 */
public final class Models {

    private Models() {
    }

    /**
     * Builds a fresh, seeded model.
     *
     * @throws IllegalArgumentException for an unknown kind, activation or optimizer
     */
    public static OnlineModel create(ModelSpec spec) {
        switch (spec.kind()) {
            case ModelSpec.KIND_REGRESSOR:
                return new SharedWeightRegressor(spec);
            case ModelSpec.KIND_CLASSIFIER:
                return new Classifier(spec);
            case ModelSpec.KIND_SEQ_AUTOENCODER:
                return new LstmAutoencoder(spec);
            case ModelSpec.KIND_LSTM_REGRESSOR:
                return new LstmRegressor(spec);
            default:
                throw new IllegalArgumentException("unknown model.kind '" + spec.kind() + "'; expected one of ["
                        + ModelSpec.KIND_REGRESSOR + ", " + ModelSpec.KIND_CLASSIFIER + ", " + ModelSpec.KIND_SEQ_AUTOENCODER + ", "
                        + ModelSpec.KIND_LSTM_REGRESSOR + "]");
        }
    }

    /**
     * The learning-rate scale that a saved model state carries (1 when it carries none), read
     * without building the model; 1 for bytes too short to be a state.
     */
    public static double learningRateScale(byte[] state) {
        if (state.length < CheckpointFormat.MAGIC.length + 12) {
            return 1.0;
        }
        return CheckpointFormat.learningRateScale(state);
    }
}
