package io.streamfit.app.pipeline;

/**
 * How a diverging model recovers by itself ({@code divergence.*}). A micro-batch diverges when
 * a prediction is not finite, when the update left a weight or optimizer value that is not finite,
 * or when the model's windowed training loss rises above {@code lossRatio} times the best windowed
 * loss it reached. The model then rolls back to a last good state (the state at its best windowed
 * loss, else its last checkpoint, else a new model: the first whose re-run of the batch is
 * finite), its learning-rate scale is multiplied by {@code lrFactor} (never below
 * {@code lrMinScale}), and the batch is predicted and trained again by the recovered model, so no
 * non-finite number reaches an output.
 *
 * <p>A non-finite loss is a divergence only when a prediction is at the edge of overflow (above
 * 1e18): a model there skips every later batch and never learns again. With ordinary predictions
 * the batch's own targets overflowed the loss; the guarded update already skipped it and the
 * state is unchanged, so rolling back would only throw away good learning.
 *
 * @param lossRatio  windowed loss over its best that rolls back, > 1; 0 turns the check off
 * @param lossWindow micro-batches in the windowed loss, >= 1
 * @param lrFactor   each rollback multiplies the learning-rate scale by this, in [0, 1]
 * @param lrMinScale the lowest learning-rate scale, in (0, 1]
 */
public record Divergence(double lossRatio, int lossWindow, double lrFactor, double lrMinScale) {

    /** The defaults of the configuration. */
    public static final Divergence DEFAULT = new Divergence(100.0, 50, 0.5, 0.01);

    public Divergence {
        if (!(lossRatio == 0 || lossRatio > 1) || lossWindow < 1 || !(lrFactor >= 0 && lrFactor <= 1)
                || !(lrMinScale > 0 && lrMinScale <= 1)) {
            throw new IllegalArgumentException("invalid divergence settings: loss ratio " + lossRatio + " (0 or > 1), "
                    + "window " + lossWindow + " (>= 1), lr factor " + lrFactor + " ([0, 1]), lr min scale "
                    + lrMinScale + " ((0, 1])");
        }
    }

    /** The learning-rate scale after a rollback of a model at {@code scale}. */
    double lowered(double scale) {
        return Math.min(1.0, Math.max(lrMinScale, scale * lrFactor));
    }
}
