package io.streamfit.app.kind.regressor;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.LearningExtras;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.FeatureScaling;
import io.streamfit.app.kind.ModelKind;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.kind.PlainBatches;
import io.streamfit.app.kind.StoreLookup;
import io.streamfit.app.kind.Supervision;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Timestep;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * {@code regressor}: the shared-weight MLP ({@link io.streamfit.model.SharedWeightRegressor}) on
 * every object of a record, trained on object targets and the sum target. Outputs one object
 * prediction per object and one sum prediction per record; scores squared errors.
 */
public final class RegressorKind implements ModelKind {

    public static final String NAME = ModelSpec.KIND_REGRESSOR;
    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "shared-weight MLP on every object";
    }

    @Override
    public List<ConfigDef.ConfigKey> configKeys() {
        List<ConfigDef.ConfigKey> keys = new ArrayList<>(LearningExtras.OutlierRule.configKeys());
        keys.add(FeatureScaling.configKey());
        return List.copyOf(keys);
    }

    /** The outlier keys are shared with lstm-regressor only (the registry checks that no other kind gets them). */
    @Override
    public Set<String> exclusiveKeys() {
        return LearningExtras.OutlierRule.keys();
    }

    @Override
    public ConfiguredKind configure(CommonSettings c, AbstractConfig config) {
        LearningExtras.OutlierRule rule = LearningExtras.OutlierRule.of(config);
        ModelSpec spec = new ModelSpec(NAME, c.features(), c.hidden(), c.activation(), c.lossWeight(), c.optimizer(),
                c.seed(), c.intraOpThreads(), c.interOpThreads(), null, 0, c.input(), c.loss());
        return new Configured(this, spec, rule, FeatureScaling.of(config, spec));
    }

    private record Configured(ModelKind kind, ModelSpec spec, LearningExtras.OutlierRule rule, FeatureScaling scaling)
            implements ConfiguredKind {
        @Override
        public ModelExtras newExtras() {
            return new LearningExtras(rule, scaling, spec.features());
        }

        @Override
        public Supervision supervision() {
            return Supervision.TARGETS;
        }

        @Override
        public boolean joinsLabels() {
            return true;
        }

        @Override
        public BatchLogic batchLogic(StoreLookup stores) {
            return new PlainBatches(RegressorKind::emitTimestep);
        }
    }

    /**
     * One object prediction per object of timestep {@code t} and its sum prediction; scores the
     * squared errors of the known targets. The sum's target is the record's own, else the sum of
     * the object targets when every object has one (as the batch derived it).
     */
    static void emitTimestep(BatchItem item, ObjectBatch batch, int t, StepResult result, long modelVersion,
                             PrequentialStats stats, Outputs out) {
        Timestep ts = item.timestep();
        String series = item.series();
        float[] preds = result.objectPredictions();
        int first = batch.firstObject(t);
        double objectSq = 0;
        int scored = 0;
        for (int i = 0; i < ts.objects().size(); i++) {
            Timestep.ObjectInput o = ts.objects().get(i);
            float prediction = preds[first + i];
            // An outlier target is shown with its prediction but scored as little as trained on.
            if (o.target() != null && batch.objectMask()[first + i] != 0f) {
                double e = prediction - o.target();
                objectSq += e * e;
                scored++;
            }
            out.objectPrediction(series, Outputs.objectPrediction(series, ts.timestep(), o.id(), prediction,
                    o.target(), modelVersion), item.timestamp());
        }
        boolean known = batch.sumMask()[t] != 0f;
        Double sumTarget = ts.hasSumTarget() ? (Double) ts.sumTarget()[0]
                : known ? (Double) (double) batch.sumTarget()[t] : null;
        double sum = result.sumPredictions()[t];
        // A record's own sum that was masked as an outlier may differ from the one the batch trained on.
        boolean scoredSum = known && (!ts.hasSumTarget() || batch.sumTarget()[t] == (float) ts.sumTarget()[0]);
        stats.add(objectSq, scored, scoredSum ? (sum - sumTarget) * (sum - sumTarget) : 0, scoredSum);
        out.sumPrediction(series, Outputs.sumPrediction(series, ts.timestep(), result.sumPredictions()[t], sumTarget,
                ts.objects().size(), modelVersion), item.timestamp());
    }
}
