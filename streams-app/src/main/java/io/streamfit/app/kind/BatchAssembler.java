package io.streamfit.app.kind;

import io.streamfit.model.ObjectBatch;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;

/**
 * Turns validated timesteps into the rows of a model's micro-batch: one timestep of the batch per
 * record, one object per record object with its features (dense or sparse, as given), its target
 * or class label, and the record's sum target (one number for regressors, one count per class for
 * classifiers). The batches of the plain kinds ({@link PlainBatches}), which the stream processor
 * and {@code backfill} both run, are built here, so a model learns the same from a record
 * whichever of them feeds it.
 *
 * <p>With {@code features.scaling=standard} every object reaches the batch standardized by its
 * model's running moments ({@link LearningExtras}), dense: a sparse object is taken as its dense
 * equivalent (the scaling is refused for a sparse first layer, see {@link FeatureScaling}). The
 * moments are updated with a timestep's objects before any of them is standardized, as River's
 * {@code learn_one} before {@code transform_one}: a record's prediction may use its own features
 * in the statistics (they are its inputs, not its label, so nothing of the target leaks), and a
 * model's first object enters as zeros rather than as raw values beside the standardized later ones.
 * Per timestep, not per micro-batch: how a record is scaled depends only on the records before it
 * and itself, never on how the wall clock grouped them into batches, so the stream processor,
 * a restarted task and backfill scale a record alike.
 */
public final class BatchAssembler {

    private BatchAssembler() {
    }

    /**
     * Appends {@code ts} as the next timestep of {@code batch}.
     *
     * @param ts a record that passed the record screen and its kind's {@link Supervision}
     */
    public static void append(ObjectBatch batch, Timestep ts) {
        append(batch, ts, null);
    }

    /**
     * Appends {@code ts} as the next timestep of {@code batch} for the model whose kind state is
     * {@code learning}: a target or sum target its outlier rule rejects is left out of the
     * supervision (the object stays in the batch and is predicted).
     *
     * @param learning the model's state, or {@code null} for none
     * @return the targets left out as outliers
     */
    public static int append(ObjectBatch batch, Timestep ts, LearningExtras learning) {
        return append(batch, ts, learning, true);
    }

    /**
     * As {@link #append(ObjectBatch, Timestep, LearningExtras)}; with {@code learnFeatures} false the
     * features are scaled but do not update the moments: a timestep whose labels came later was
     * learned from when it was predicted, and must not count twice.
     */
    public static int append(ObjectBatch batch, Timestep ts, LearningExtras learning, boolean learnFeatures) {
        int outliers = 0;
        batch.beginTimestep();
        boolean scale = learning != null && learning.scalesFeatures();
        if (scale && learnFeatures) {
            for (Timestep.ObjectInput o : ts.objects()) {
                learning.learnFeatures(o.features());
            }
        }
        for (Timestep.ObjectInput o : ts.objects()) {
            boolean hasTarget = o.target() != null;
            if (hasTarget && learning != null && !learning.acceptObjectTarget(o.target())) {
                hasTarget = false;
                outliers++;
            }
            float target = hasTarget ? o.target().floatValue() : 0f;
            if (scale) {
                batch.addDense(learning.standardized(o.features()), 0, hasTarget, target);
            } else if (o.features() instanceof FeatureVector.Dense d) {
                batch.addDense(d.values(), 0, hasTarget, target);
            } else if (o.features() instanceof FeatureVector.Sparse s) {
                batch.addSparse(s.indices(), s.values(), hasTarget, target);
            }
            if (o.label() != null) {
                batch.setLabel(o.label());
            }
        }
        double[] sum = ts.sumTarget();
        if (sum != null && sum.length == 1) {
            if (learning == null || learning.acceptSumTarget(sum[0], ts.objects().size())) {
                batch.setSumTarget((float) sum[0]);
            } else {
                // Left unset, the sum is derived from the objects' accepted targets when each has one.
                outliers++;
            }
        } else if (sum != null) {
            // The validator let a vector through only for a classifier, one count per class.
            float[] counts = new float[sum.length];
            for (int c = 0; c < counts.length; c++) {
                counts[c] = (float) sum[c];
            }
            batch.setSumCounts(counts);
        }
        batch.endTimestep();
        return outliers;
    }
}
