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
            default:
                throw new IllegalArgumentException("unknown model.kind '" + spec.kind() + "'; expected one of ["
                        + ModelSpec.KIND_REGRESSOR + "]");
        }
    }
}
