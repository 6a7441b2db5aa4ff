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
        for (BatchItem item : items) {
            outliers += BatchAssembler.append(batch, item.timestep(), learning);
        }
        int skipped = outliers;
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
                for (int t = 0; t < items.size(); t++) {
                    mapping.emit(items.get(t), batch, t, result, modelVersion, stats, out);
                    out.outcome(result.updated() && batch.supervised(t));
                }
                for (int i = 0; i < skipped; i++) {
                    out.skippedUpdate(StreamfitMetrics.SKIP_OUTLIER_TARGET);
                }
            }
        };
    }
}
