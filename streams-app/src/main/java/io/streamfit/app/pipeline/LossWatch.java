package io.streamfit.app.pipeline;

/**
 * The windowed training loss of one model: the mean of its last {@code window} finite batch
 * losses, and the best (lowest) such mean since the model was created or its baseline last reset.
 * Checkpointed with the model ({@code ModelCheckpoint.recovery}, written and read by
 * {@link Checkpointer}): a restarted, migrated or reloaded model goes on with the very window,
 * running sum and best it had, so it rolls back exactly when an uninterrupted one would.
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

    /** The window's length in batches (>= 1). */
    int window() {
        return losses.length;
    }

    /** The losses in the window, oldest first (at most {@link #window()}). */
    double[] losses() {
        double[] out = new double[size];
        int oldest = size == losses.length ? next : 0;
        for (int i = 0; i < size; i++) {
            out[i] = losses[(oldest + i) % losses.length];
        }
        return out;
    }

    /** The running sum of the window, as kept (by adding and subtracting; not a fresh sum of {@link #losses()}). */
    double sum() {
        return sum;
    }

    /** The best windowed mean loss, or infinity when there is none yet. */
    double best() {
        return best;
    }

    /**
     * Sets the watch to a saved state ({@link #losses()}, {@link #sum()}, {@link #best()} of a watch
     * of the same window). Only the order of the losses matters to what follows, not where they sat
     * in the ring, so the next {@link #add}s give the same sums, bit for bit.
     *
     * @throws IllegalArgumentException when the state cannot be a watch's of this window
     */
    void restore(double[] oldestFirst, double savedSum, double savedBest) {
        if (oldestFirst.length > losses.length || !Double.isFinite(savedSum) || Double.isNaN(savedBest)
                || savedBest == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("a loss window of " + oldestFirst.length + " losses, sum " + savedSum
                    + " and best " + savedBest + " does not fit a watch of " + losses.length);
        }
        for (double loss : oldestFirst) {
            if (!Double.isFinite(loss)) {
                throw new IllegalArgumentException("a saved loss window holds the non-finite loss " + loss);
            }
        }
        reset(false);
        System.arraycopy(oldestFirst, 0, losses, 0, oldestFirst.length);
        size = oldestFirst.length;
        next = size % losses.length;
        sum = savedSum;
        best = savedBest;
    }
}
