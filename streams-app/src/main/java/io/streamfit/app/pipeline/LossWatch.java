package io.streamfit.app.pipeline;

/**
 * The windowed training loss of one model: the mean of its last {@code window} finite batch
 * losses, and the best (lowest) such mean since it was loaded or last rolled back. Kept in
 * memory only: after a restart the watch starts again, which at worst delays a loss-ratio
 * rollback by one window.
 */
final class LossWatch {

    /**
     * A best below this counts as this: a model that fits its stream exactly (loss 0) must not roll
     * back on the first rounding error.
     */
    private static final double LOSS_FLOOR = 1e-12;

    private final double[] losses;
    private int next;
    private int size;
    private double sum;
    private double best = Double.POSITIVE_INFINITY;

    LossWatch(int window) {
        losses = new double[window];
    }

    /** What adding a loss found. */
    enum Verdict { NORMAL, NEW_BEST, DIVERGED }

    /**
     * Adds the finite loss of a trained batch.
     *
     * @param ratio the divergence ratio, or 0 for none
     * @return {@link Verdict#DIVERGED} when the full window's mean is above {@code ratio} times the
     *         best (the best is then left as it was), {@link Verdict#NEW_BEST} when the mean is the
     *         lowest yet
     */
    Verdict add(double loss, double ratio) {
        if (size == losses.length) {
            sum -= losses[next];
        } else {
            size++;
        }
        losses[next] = loss;
        sum += loss;
        next = (next + 1) % losses.length;
        if (size < losses.length) {
            return Verdict.NORMAL;
        }
        double mean = sum / size;
        if (ratio > 0 && best != Double.POSITIVE_INFINITY && mean > ratio * Math.max(best, LOSS_FLOOR)) {
            return Verdict.DIVERGED;
        }
        if (mean < best) {
            best = mean;
            return Verdict.NEW_BEST;
        }
        return Verdict.NORMAL;
    }

    /**
     * Empties the window: the losses of a rolled-back model say nothing about the recovered one.
     *
     * @param keepBest keep the best windowed loss as the baseline (after a numeric blow-up, so that
     *                 the good state is not replaced by a worse one); false after a loss-ratio
     *                 rollback, so that a stream whose loss level truly rose (drift) gets a new
     *                 baseline instead of rolling back forever
     */
    void reset(boolean keepBest) {
        next = 0;
        size = 0;
        sum = 0;
        if (!keepBest) {
            best = Double.POSITIVE_INFINITY;
        }
    }
}
