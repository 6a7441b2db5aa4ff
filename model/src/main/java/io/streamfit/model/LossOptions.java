package io.streamfit.model;

import java.util.Locale;
import java.util.Objects;

/**
 * How the regression models ({@link SharedWeightRegressor}, {@link LstmRegressor}) turn residuals
 * into the loss of {@link CombinedLoss}: the per-residual function and the normalisation of the
 * sum term. The classifier's cross-entropy and class-count term do not read these.
 *
 * @param function         {@link #SQUARED} ({@code r^2}) or {@link #HUBER}
 *                         ({@code r^2} for {@code |r| <= delta}, {@code delta (2|r| - delta)} beyond:
 *                         twice the textbook Huber loss, so that inside the band it is exactly the
 *                         squared loss and a learning rate means the same under both)
 * @param huberDelta       delta of the Huber loss, in target units (&gt; 0; read only for huber)
 * @param sumNormalization {@link #SUM_MEAN}: the sum residual {@code P_t - S_t} is divided by the
 *                         timestep's object count k before the loss, so the sum term is the loss
 *                         of the mean prediction against the mean target and its gradient does
 *                         not grow with k; {@link #SUM_NONE}: the raw residual (versions before
 *                         this option)
 */
public record LossOptions(String function, double huberDelta, String sumNormalization) {

    public static final String SQUARED = "squared";
    public static final String HUBER = "huber";
    public static final String SUM_MEAN = "mean";
    public static final String SUM_NONE = "none";
    public static final double HUBER_DELTA_DEFAULT = 1.0;

    /** Squared errors, the sum term normalised by k. */
    public static final LossOptions DEFAULT = new LossOptions(SQUARED, HUBER_DELTA_DEFAULT, SUM_MEAN);
    /** The loss of the versions before these options: squared errors of the raw sum. */
    public static final LossOptions LEGACY = new LossOptions(SQUARED, HUBER_DELTA_DEFAULT, SUM_NONE);

    public LossOptions {
        function = Objects.requireNonNull(function, "function").trim().toLowerCase(Locale.ROOT);
        sumNormalization = Objects.requireNonNull(sumNormalization, "sumNormalization").trim()
                .toLowerCase(Locale.ROOT);
        if (!SQUARED.equals(function) && !HUBER.equals(function)) {
            throw new IllegalArgumentException("loss function must be squared or huber, got '" + function + "'");
        }
        if (!SUM_MEAN.equals(sumNormalization) && !SUM_NONE.equals(sumNormalization)) {
            throw new IllegalArgumentException("sum normalisation must be mean or none, got '" + sumNormalization
                    + "'");
        }
        if (!(huberDelta > 0) || Double.isInfinite(huberDelta)) {
            throw new IllegalArgumentException("huber delta must be finite and > 0, got " + huberDelta);
        }
    }

    public boolean huber() {
        return HUBER.equals(function);
    }

    public boolean sumMean() {
        return SUM_MEAN.equals(sumNormalization);
    }

    /**
     * The part of {@link ModelSpec#fingerprint()} these options add: nothing for the squared loss,
     * so fingerprints of earlier versions stay valid. The sum normalisation is never in it: it
     * changes how the next steps move the weights, not which weights there are, and leaving it out
     * is what lets a checkpoint of the versions before it (which had no normalisation) load into a
     * model of today's default, and back into one configured {@code none}.
     */
    String fingerprint() {
        return huber() ? "|loss=huber(delta=" + huberDelta + ")" : "";
    }
}
