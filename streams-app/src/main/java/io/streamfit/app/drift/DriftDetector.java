package io.streamfit.app.drift;

import java.util.Map;

/**
 * Watches one model's prequential loss, one value per scored timestep, and says when its level
 * has risen: the world the model learnt from has changed (concept drift), or the model broke.
 *
 * <p>Lifecycle (initialise, step, reset): a new detector knows nothing; {@link #update} takes the
 * next loss and answers whether a rise was detected at it, after which the detector has started
 * over by itself; {@link #reset} starts over at once (after the model was reset or rolled back).
 * Its state goes into the model's checkpoint ({@link #state}, {@link #restore}), so that a crash
 * or a move to another instance neither forgets a rise in progress nor reports one twice.
 *
 * <p>Only rises count: a loss that falls (the model learns) is never a drift. Losses that are not
 * finite or are negative are ignored. Every detector here is scale-free: the loss of a model of
 * power in megawatts and of one of probabilities in [0, 1] trigger at the same relative change.
 */
public interface DriftDetector {

    /**
     * Takes the loss of the next timestep.
     *
     * @param loss the prequential loss of one timestep (>= 0)
     * @return whether the loss's level rose significantly at this timestep
     */
    boolean update(double loss);

    /** Forgets everything seen so far. */
    void reset();

    /** Timesteps seen since the last start or drift. */
    long seen();

    /**
     * Where the rise that {@link #update} just reported began, as timesteps before the one that
     * reported it (0: at that timestep): an estimate, to name the model version from before the
     * change. Meaningful right after a report only.
     */
    long changeBegan();

    /** The detector's state, as checkpoint entries under this detector's own prefix. */
    Map<String, Double> state();

    /**
     * Restores what {@link #state} gave (entries of other detectors are ignored; none of this
     * detector's starts it empty, as a checkpoint written before drift detection did).
     */
    void restore(Map<String, Double> state);

    /** A detector that never reports a drift ({@code drift.detector=none}). */
    DriftDetector NONE = new DriftDetector() {
        @Override
        public boolean update(double loss) {
            return false;
        }

        @Override
        public void reset() {
        }

        @Override
        public long seen() {
            return 0;
        }

        @Override
        public long changeBegan() {
            return 0;
        }

        @Override
        public Map<String, Double> state() {
            return Map.of();
        }

        @Override
        public void restore(Map<String, Double> state) {
        }

        @Override
        public String toString() {
            return "none";
        }
    };
}
