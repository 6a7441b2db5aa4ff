package io.streamfit.model;

/**
 * A per-feature standardization of a model's raw input, {@code x'_j = (x_j - mean_j) / scale_j},
 * for a SavedModel export ({@link OnlineModel#exportSavedModel(java.nio.file.Path, InputScaling)})
 * of a model that was trained on standardized features: the exported graph applies it before its
 * first layer, so the graph takes the raw features its users have. The live model never sees it;
 * whoever feeds the live model standardizes the batch itself.
 *
 * @param mean  m finite values, in the features' own units
 * @param scale m finite values &gt; 0, in the features' own units
 */
public record InputScaling(double[] mean, double[] scale) {

    public InputScaling {
        if (mean.length != scale.length || mean.length == 0) {
            throw new IllegalArgumentException("input scaling of " + mean.length + " means and " + scale.length
                    + " scales; expected the same number, at least 1");
        }
        for (int j = 0; j < mean.length; j++) {
            if (!Double.isFinite(mean[j]) || !(scale[j] > 0) || Double.isInfinite(scale[j])) {
                throw new IllegalArgumentException("input scaling of feature " + j + ": mean " + mean[j]
                        + ", scale " + scale[j] + "; the mean must be finite and the scale finite and > 0");
            }
        }
        mean = mean.clone();
        scale = scale.clone();
    }

    /** m, the number of features. */
    public int features() {
        return mean.length;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] scale() {
        return scale.clone();
    }
}
