package io.streamfit.app.kind;

import java.util.List;

import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;

/**
 * The batch logic of kinds whose objects are the record's objects as they are (regressor,
 * classifier): one batch timestep per record ({@link BatchAssembler}), training when any timestep
 * is supervised, and a kind-specific mapping of each timestep's result to outputs.
 */
public final class PlainBatches implements BatchLogic {

    /** Maps timestep {@code t} of a model call to outputs and scores it. */
    @FunctionalInterface
    public interface TimestepMapping {
        void emit(BatchItem item, ObjectBatch batch, int t, StepResult result, long modelVersion,
                  PrequentialStats stats, Outputs out);
    }

    private final TimestepMapping mapping;

    public PlainBatches(TimestepMapping mapping) {
        this.mapping = mapping;
    }

    @Override
    public Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items) {
        return assemble(batch, items, ModelExtras.NONE);
    }

    @Override
    public Assembled assemble(ObjectBatch batch, List<? extends BatchItem> items, ModelExtras extras) {
        LearningExtras learning = extras instanceof LearningExtras l ? l : null;
        if (learning != null) {
            learning.beginBatch();
        }
        int outliers = 0;
        boolean anyServed = false;
        for (BatchItem item : items) {
            outliers += BatchAssembler.append(batch, item.timestep(), learning, item.served() == null);
            anyServed |= item.served() != null;
        }
        int skipped = outliers;
        boolean overlay = anyServed;
        return new Assembled() {
            @Override
            public boolean hasObjects() {
                return !items.isEmpty();
            }

            @Override
            public boolean train() {
                return batch.anySupervised();
            }

            @Override
            public void emit(StepResult result, long modelVersion, PrequentialStats stats, ModelExtras extras,
                             Outputs out) {
                StepResult scored = overlay ? withServed(items, batch, result) : result;
                for (int t = 0; t < items.size(); t++) {
                    BatchItem item = items.get(t);
                    if (item.served() == null) {
                        mapping.emit(item, batch, t, result, modelVersion, stats, out);
                        out.outcome(result.updated() && batch.supervised(t));
                    } else {
                        // Scored as served, emitted never: its outputs left when its features came.
                        mapping.emit(item, batch, t, scored, item.served().modelVersion(), stats, Outputs.DISCARD);
                    }
                }
                for (int i = 0; i < skipped; i++) {
                    out.skippedUpdate(StreamfitMetrics.SKIP_OUTLIER_TARGET);
                }
            }
        };
    }

    /**
     * {@code result} with the rows of the items that carry {@link BatchItem#served} replaced by
     * what was served for them, so that the kind's mapping scores those (a copy: the model's
     * result stays as it was).
     */
    static StepResult withServed(List<? extends BatchItem> items, ObjectBatch batch, StepResult result) {
        float[] objects = result.objectPredictions().clone();
        float[] sums = result.sumPredictions().clone();
        float[] probabilities = result.probabilities() == null ? null : result.probabilities().clone();
        float[] counts = result.expectedCounts() == null ? null : result.expectedCounts().clone();
        int classes = result.classes();
        for (int t = 0; t < items.size(); t++) {
            Served s = items.get(t).served();
            if (s == null) {
                continue;
            }
            int first = batch.firstObject(t);
            System.arraycopy(s.predictions(), 0, objects, first, s.predictions().length);
            sums[t] = (float) s.sumPrediction();
            if (probabilities != null && s.probabilities().length > 0) {
                System.arraycopy(s.probabilities(), 0, probabilities, first * classes, s.probabilities().length);
            }
            if (counts != null && s.expectedCounts().length > 0) {
                System.arraycopy(s.expectedCounts(), 0, counts, t * classes, s.expectedCounts().length);
            }
        }
        return new StepResult(objects, sums, result.loss(), result.updated(), result.skipped(), result.clipped(),
                classes, probabilities, counts);
    }
}
