package io.streamfit.app.processor;

import java.util.List;

import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Timestep;

/**
 * Scores one timestep's predictions, made before the model learned from it, into a model's
 * prequential statistics: squared errors of the object targets and of the sum for a regressor;
 * accuracy and log-loss of the labels and the squared distance of the expected class counts for a
 * classifier. The stream processor and {@code backfill} both score here, so a one-pass backfill
 * reports what the service would have measured on the same records.
 */
public final class PrequentialScoring {

    /** Floor of a label's probability in the log-loss, so that a confident miss costs ln(1e15), not infinity. */
    static final double MIN_PROBABILITY = 1e-15;

    private PrequentialScoring() {
    }

    /**
     * Adds timestep {@code t} of {@code batch} to {@code stats}.
     *
     * @param ts     the record the timestep was assembled from ({@link BatchAssembler#append})
     * @param result the model's step on {@code batch}
     * @return the timestep's sum target for the output record: the record's own, else the one
     *         derived from the object targets; {@code null} when unknown or for a classifier
     */
    public static Double score(PrequentialStats stats, Timestep ts, ObjectBatch batch, int t, StepResult result) {
        List<Timestep.ObjectInput> objects = ts.objects();
        float[] preds = result.objectPredictions();
        int classes = result.classes();
        int first = batch.firstObject(t);
        double objectSq = 0;
        int scored = 0;
        int correct = 0;
        double logLoss = 0;
        int labelled = 0;
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            int n = first + i;
            if (classes > 0 && o.label() != null) {
                int label = o.label();
                correct += result.predictedClass(n) == label ? 1 : 0;
                logLoss += -Math.log(Math.max(result.probabilities()[n * classes + label], MIN_PROBABILITY));
                labelled++;
            } else if (classes == 0 && o.target() != null) {
                double e = preds[n] - o.target();
                objectSq += e * e;
                scored++;
            }
        }
        if (classes > 0) {
            // A classifier's sum is a count per class; its error is the squared distance of the vectors.
            boolean known = batch.sumCountMask()[t] != 0f;
            double sumSq = 0;
            if (known) {
                float[] counts = batch.sumCounts(t);
                for (int c = 0; c < classes; c++) {
                    double e = result.expectedCounts()[t * classes + c] - (c < counts.length ? counts[c] : 0f);
                    sumSq += e * e;
                }
            }
            stats.addClassification(correct, logLoss, labelled);
            stats.add(objectSq, scored, sumSq, known);
            return null;
        }
        boolean known = batch.sumMask()[t] != 0f;
        Double sumTarget = known ? (ts.hasSumTarget() ? ts.sumTarget()[0] : (double) batch.sumTarget()[t]) : null;
        double sum = result.sumPredictions()[t];
        stats.add(objectSq, scored, known ? (sum - sumTarget) * (sum - sumTarget) : 0, known);
        return sumTarget;
    }
}
