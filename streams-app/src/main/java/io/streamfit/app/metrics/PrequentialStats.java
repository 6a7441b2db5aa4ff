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
 */
public final class PrequentialStats {

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
            fadedObjectSq = alpha * fadedObjectSq + objectSqErr;
            fadedObjectCount = alpha * fadedObjectCount + objectsScored;
            totalObjectSq += objectSqErr;
            totalObjects += objectsScored;
        }
        if (sumScored) {
            fadedSumSq = alpha * fadedSumSq + sumSqErr;
            fadedSumCount = alpha * fadedSumCount + 1;
            totalSumSq += sumSqErr;
            totalSums++;
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
        fadedCorrect = alpha * fadedCorrect + correct;
        fadedLogLoss = alpha * fadedLogLoss + logLoss;
        fadedLabelled = alpha * fadedLabelled + labelled;
        totalCorrect += correct;
        totalLogLoss += logLoss;
        totalLabelled += labelled;
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
        return m;
    }

    /** Restores the state written by {@link #toMap()}; missing names count as zero. */
    public void restore(Map<String, Double> m) {
        fadedObjectSq = m.getOrDefault("prequential.faded.object.sq", 0.0);
        fadedObjectCount = m.getOrDefault("prequential.faded.object.count", 0.0);
        fadedSumSq = m.getOrDefault("prequential.faded.sum.sq", 0.0);
        fadedSumCount = m.getOrDefault("prequential.faded.sum.count", 0.0);
        totalObjectSq = m.getOrDefault("prequential.total.object.sq", 0.0);
        totalObjects = m.getOrDefault("prequential.total.objects", 0.0).longValue();
        totalSumSq = m.getOrDefault("prequential.total.sum.sq", 0.0);
        totalSums = m.getOrDefault("prequential.total.sums", 0.0).longValue();
        fadedCorrect = m.getOrDefault("prequential.faded.correct", 0.0);
        fadedLogLoss = m.getOrDefault("prequential.faded.logloss", 0.0);
        fadedLabelled = m.getOrDefault("prequential.faded.labelled", 0.0);
        totalCorrect = m.getOrDefault("prequential.total.correct", 0.0).longValue();
        totalLogLoss = m.getOrDefault("prequential.total.logloss", 0.0);
        totalLabelled = m.getOrDefault("prequential.total.labelled", 0.0).longValue();
    }
}
