package io.streamfit.app.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * Prequential (test-then-train) error of one model: every prediction is scored before the model
 * learns from its record. Keeps a windowed estimate with a fading factor (Gama, Sebastiao and
 * Rodrigues, "On evaluating stream learning algorithms", Machine Learning 90, 2013) and running
 * totals. The fading factor alpha = 1 - 1/window weighs a timestep {@code window} steps old by
 * about 1/e, so the windowed MSE follows the recent error with constant, tiny state that goes into
 * every checkpoint.
 *
 * <p>Object errors are pooled over the objects of a timestep; the fading applies per timestep.
 * Classifiers add accuracy (predicted class equals the label) and log-loss (minus the natural log
 * of the probability given to the label) of their labelled objects, faded and pooled the same way.
 *
 * <p>Non-finite errors are left out and counted ({@link #nonFinite()}). One infinite or NaN error
 * in a sum makes it non-finite for good: fading multiplies it by alpha, which never brings it back,
 * and the sums are checkpointed, so a restart would not either. So a timestep's object errors, its
 * sum error or its classification entry whose (pooled) error is non-finite, or would overflow a
 * sum, never enter the sums, and a checkpoint whose stored sums are non-finite restores with
 * those sums reset.
 */
public final class PrequentialStats {

    /** Checkpoint name of {@link #nonFinite()}; checkpoints of earlier versions lack it (zero). */
    public static final String NON_FINITE = "prequential.nonfinite";

    private final double alpha;

    private double fadedObjectSq;
    private double fadedObjectCount;
    private double fadedSumSq;
    private double fadedSumCount;
    private double totalObjectSq;
    private long totalObjects;
    private double totalSumSq;
    private long totalSums;
    private double fadedCorrect;
    private double fadedLogLoss;
    private double fadedLabelled;
    private long totalCorrect;
    private double totalLogLoss;
    private long totalLabelled;
    private long nonFinite;
    /** Told each timestep's object loss (not checkpointed: whoever watches sets it again). */
    private java.util.function.DoubleConsumer timestepLoss = loss -> { };

    /** @param window the effective window in timesteps (at least 1) */
    public PrequentialStats(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        this.alpha = 1.0 - 1.0 / window;
    }

    /**
     * Adds one timestep.
     *
     * @param objectSqErr    sum of squared errors of the objects that had a target
     * @param objectsScored  how many objects had a target
     * @param sumSqErr       squared error of the sum prediction (ignored when {@code sumScored} is false)
     * @param sumScored      whether the timestep had a sum target
     */
    public void add(double objectSqErr, int objectsScored, double sumSqErr, boolean sumScored) {
        if (objectsScored > 0) {
            timestepLoss.accept(objectSqErr / objectsScored);
            double faded = alpha * fadedObjectSq + objectSqErr;
            double total = totalObjectSq + objectSqErr;
            if (Double.isFinite(faded) && Double.isFinite(total)) {
                fadedObjectSq = faded;
                fadedObjectCount = alpha * fadedObjectCount + objectsScored;
                totalObjectSq = total;
                totalObjects += objectsScored;
            } else {
                nonFinite += objectsScored;
            }
        }
        if (sumScored) {
            double faded = alpha * fadedSumSq + sumSqErr;
            double total = totalSumSq + sumSqErr;
            if (Double.isFinite(faded) && Double.isFinite(total)) {
                fadedSumSq = faded;
                fadedSumCount = alpha * fadedSumCount + 1;
                totalSumSq = total;
                totalSums++;
            } else {
                nonFinite++;
            }
        }
    }

    /**
     * Adds the labelled objects of one classified timestep.
     *
     * @param correct   how many of them had the label as the predicted class
     * @param logLoss   sum over them of -ln(probability of the label)
     * @param labelled  how many objects had a label (nothing is added when 0)
     */
    public void addClassification(int correct, double logLoss, int labelled) {
        if (labelled <= 0) {
            return;
        }
        timestepLoss.accept(logLoss / labelled);
        double faded = alpha * fadedLogLoss + logLoss;
        double total = totalLogLoss + logLoss;
        if (!Double.isFinite(faded) || !Double.isFinite(total)) {
            // Accuracy and log-loss share their denominator, so the timestep's labels leave both.
            nonFinite += labelled;
            return;
        }
        fadedCorrect = alpha * fadedCorrect + correct;
        fadedLogLoss = faded;
        fadedLabelled = alpha * fadedLabelled + labelled;
        totalCorrect += correct;
        totalLogLoss = total;
        totalLabelled += labelled;
    }

    /**
     * Tells {@code watcher} the prequential loss of every timestep added from now on that scored
     * objects: their mean squared error, or the mean log-loss of the labelled ones (timesteps
     * that scored only a sum are not told). Drift detection watches it.
     */
    public void onTimestepLoss(java.util.function.DoubleConsumer watcher) {
        this.timestepLoss = watcher;
    }

    /** Windowed accuracy of the labelled objects, or NaN before the first label. */
    public double accuracy() {
        return fadedLabelled > 0 ? fadedCorrect / fadedLabelled : Double.NaN;
    }

    /** Windowed mean log-loss (nats) of the labelled objects, or NaN before the first label. */
    public double logLoss() {
        return fadedLabelled > 0 ? fadedLogLoss / fadedLabelled : Double.NaN;
    }

    /** Accuracy over every labelled object seen, or NaN. */
    public double runningAccuracy() {
        return totalLabelled > 0 ? (double) totalCorrect / totalLabelled : Double.NaN;
    }

    /** Mean log-loss over every labelled object seen, or NaN. */
    public double runningLogLoss() {
        return totalLabelled > 0 ? totalLogLoss / totalLabelled : Double.NaN;
    }

    public long labelledObjects() {
        return totalLabelled;
    }

    /** Windowed object MSE, or NaN before the first scored object. */
    public double objectMse() {
        return fadedObjectCount > 0 ? fadedObjectSq / fadedObjectCount : Double.NaN;
    }

    /** Windowed sum MSE, or NaN before the first scored sum. */
    public double sumMse() {
        return fadedSumCount > 0 ? fadedSumSq / fadedSumCount : Double.NaN;
    }

    /** Object MSE over everything seen, or NaN. */
    public double runningObjectMse() {
        return totalObjects > 0 ? totalObjectSq / totalObjects : Double.NaN;
    }

    /** Sum MSE over everything seen, or NaN. */
    public double runningSumMse() {
        return totalSums > 0 ? totalSumSq / totalSums : Double.NaN;
    }

    public long scoredObjects() {
        return totalObjects;
    }

    public long scoredSums() {
        return totalSums;
    }

    /**
     * Counts {@code count} errors that the caller found non-finite and did not score (a kind whose
     * errors are not in these statistics, such as an anomaly score, counts its own here).
     */
    public void addNonFinite(int count) {
        if (count > 0) {
            nonFinite += count;
        }
    }

    /**
     * Scored items whose error is in none of the statistics: object errors, sum errors and labelled
     * objects left out because their error was non-finite or would overflow a sum (an object error
     * counts all its timestep's objects, whose errors were pooled), those a caller counted with
     * {@link #addNonFinite}, and the items of running totals that a restored checkpoint held as
     * non-finite.
     */
    public long nonFinite() {
        return nonFinite;
    }

    /** The state as named numbers, for the checkpoint. */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new HashMap<>();
        m.put("prequential.faded.object.sq", fadedObjectSq);
        m.put("prequential.faded.object.count", fadedObjectCount);
        m.put("prequential.faded.sum.sq", fadedSumSq);
        m.put("prequential.faded.sum.count", fadedSumCount);
        m.put("prequential.total.object.sq", totalObjectSq);
        m.put("prequential.total.objects", (double) totalObjects);
        m.put("prequential.total.sum.sq", totalSumSq);
        m.put("prequential.total.sums", (double) totalSums);
        if (totalLabelled > 0) {
            // Only classifiers write these, so a regressor's checkpoint keeps its earlier layout.
            m.put("prequential.faded.correct", fadedCorrect);
            m.put("prequential.faded.logloss", fadedLogLoss);
            m.put("prequential.faded.labelled", fadedLabelled);
            m.put("prequential.total.correct", (double) totalCorrect);
            m.put("prequential.total.logloss", totalLogLoss);
            m.put("prequential.total.labelled", (double) totalLabelled);
        }
        if (nonFinite > 0) {
            // Written only once there is one, so the checkpoints of healthy models keep their layout.
            m.put(NON_FINITE, (double) nonFinite);
        }
        return m;
    }

    /**
     * Restores the state written by {@link #toMap()}; missing names count as zero. A sum stored as
     * non-finite (or with a non-finite or negative count) restores as zero together with its count,
     * so that one poisoned checkpoint does not poison every later one: a faded sum simply starts
     * again; a running total also adds its count to {@link #nonFinite()}, since those items are no
     * longer in it.
     */
    public void restore(Map<String, Double> m) {
        double storedNonFinite = get(m, NON_FINITE);
        nonFinite = usable(storedNonFinite) ? (long) storedNonFinite : 0;

        double sq = get(m, "prequential.faded.object.sq");
        double count = get(m, "prequential.faded.object.count");
        boolean ok = Double.isFinite(sq) && usable(count);
        fadedObjectSq = ok ? sq : 0;
        fadedObjectCount = ok ? count : 0;

        sq = get(m, "prequential.faded.sum.sq");
        count = get(m, "prequential.faded.sum.count");
        ok = Double.isFinite(sq) && usable(count);
        fadedSumSq = ok ? sq : 0;
        fadedSumCount = ok ? count : 0;

        sq = get(m, "prequential.total.object.sq");
        count = get(m, "prequential.total.objects");
        ok = Double.isFinite(sq) && usable(count);
        totalObjectSq = ok ? sq : 0;
        totalObjects = ok ? (long) count : 0;
        nonFinite += ok || !usable(count) ? 0 : (long) count;

        sq = get(m, "prequential.total.sum.sq");
        count = get(m, "prequential.total.sums");
        ok = Double.isFinite(sq) && usable(count);
        totalSumSq = ok ? sq : 0;
        totalSums = ok ? (long) count : 0;
        nonFinite += ok || !usable(count) ? 0 : (long) count;

        double correct = get(m, "prequential.faded.correct");
        double logLoss = get(m, "prequential.faded.logloss");
        count = get(m, "prequential.faded.labelled");
        ok = usable(correct) && Double.isFinite(logLoss) && usable(count);
        fadedCorrect = ok ? correct : 0;
        fadedLogLoss = ok ? logLoss : 0;
        fadedLabelled = ok ? count : 0;

        correct = get(m, "prequential.total.correct");
        logLoss = get(m, "prequential.total.logloss");
        count = get(m, "prequential.total.labelled");
        ok = usable(correct) && Double.isFinite(logLoss) && usable(count);
        totalCorrect = ok ? (long) correct : 0;
        totalLogLoss = ok ? logLoss : 0;
        totalLabelled = ok ? (long) count : 0;
        nonFinite += ok || !usable(count) ? 0 : (long) count;
    }

    private static double get(Map<String, Double> m, String name) {
        Double v = m.get(name);
        return v == null ? 0.0 : v;
    }

    /** A stored count or weight: finite and not negative. */
    private static boolean usable(double count) {
        return Double.isFinite(count) && count >= 0;
    }
}