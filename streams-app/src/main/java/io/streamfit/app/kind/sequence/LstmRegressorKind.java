package io.streamfit.app.kind.sequence;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.LearningExtras;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.SequenceOptions;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * {@code lstm-regressor}: an LSTM ({@link io.streamfit.model.LstmRegressor}) predicting an
 * object's target from its window. Outputs one prediction per object whose window is in the call
 * and one sum over them; scores squared errors. Its targets pass the regressor's outlier rule
 * ({@code outlier.targets.*}, the scales in {@link LearningExtras}, kept in the checkpoint's
 * {@code learning} field): a target far outside what the model accepted before is predicted but
 * not trained on ({@link WindowedBatches}).
 */
public final class LstmRegressorKind extends SequenceKind {

    public static final String NAME = ModelSpec.KIND_LSTM_REGRESSOR;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "LSTM predicting an object's target from its window";
    }

    @Override
    public List<ConfigDef.ConfigKey> configKeys() {
        List<ConfigDef.ConfigKey> keys = new ArrayList<>(super.configKeys());
        keys.addAll(LearningExtras.OutlierRule.configKeys());
        return List.copyOf(keys);
    }

    @Override
    public Set<String> exclusiveKeys() {
        return LearningExtras.OutlierRule.keys();
    }

    @Override
    ModelSpec spec(CommonSettings c, SequenceOptions options) {
        return new ModelSpec(NAME, c.features(), c.hidden(), "linear", c.lossWeight(), c.optimizer(), c.seed(),
                c.intraOpThreads(), c.interOpThreads(), options).withLoss(c.loss());
    }

    @Override
    Windowed windowed(AbstractConfig config) {
        LearningExtras.OutlierRule rule = LearningExtras.OutlierRule.of(config);
        return new Windowed() {
            @Override
            public boolean selfSupervised() {
                return false;
            }

            @Override
            public WindowedBatches.WindowMapping mapping() {
                return LstmRegressorKind::emitWindowed;
            }

            @Override
            public ModelExtras newExtras() {
                return new LearningExtras(rule);
            }

            @Override
            public Set<Outputs.Sink> extraSinks() {
                return Set.of();
            }
        };
    }

    /**
     * One prediction per object whose window is in the batch and one sum over them; the sum's
     * target is the record's {@code sumTarget} only when every object had a window. A target the
     * outlier rule masked out of the batch is shown with its prediction but not scored, as the
     * regressor does.
     */
    private static void emitWindowed(BatchItem item, List<Timestep.ObjectInput> objects, ObjectBatch batch, int t,
                                     StepResult result, long modelVersion, PrequentialStats stats,
                                     ModelExtras extras, Outputs out) {
        String series = item.series();
        long timestep = item.timestep().timestep();
        float[] preds = result.objectPredictions();
        float[] mask = batch.objectMask();
        int first = batch.firstObject(t);
        double objectSq = 0;
        int scored = 0;
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            float prediction = preds[first + i];
            if (o.target() != null && mask[first + i] != 0f) {
                double e = prediction - o.target();
                objectSq += e * e;
                scored++;
            }
            out.objectPrediction(series, Outputs.objectPrediction(series, timestep, o.id(), prediction, o.target(),
                    modelVersion), item.timestamp());
        }
        float sumPrediction = result.sumPredictions()[t];
        boolean sumKnown = batch.sumMask()[t] != 0f;
        boolean allIn = objects.size() == item.timestep().objects().size();
        Double recordSum = allIn && item.timestep().hasSumTarget() ? (Double) item.timestep().sumTarget()[0] : null;
        Double sumTarget = recordSum != null ? recordSum : sumKnown ? (Double) (double) batch.sumTarget()[t] : null;
        // A record's own sum that was masked as an outlier may differ from the one the batch trained on.
        boolean scoredSum = sumKnown && (recordSum == null || batch.sumTarget()[t] == (float) (double) recordSum);
        double sumSq = scoredSum ? (sumPrediction - sumTarget) * (sumPrediction - sumTarget) : 0;
        out.sumPrediction(series, Outputs.sumPrediction(series, timestep, sumPrediction, sumTarget, objects.size(),
                modelVersion), item.timestamp());
        stats.add(objectSq, scored, sumSq, scoredSum);
    }
}
