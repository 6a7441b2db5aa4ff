package io.streamfit.app.kind.sequence;

import java.util.List;
import java.util.Set;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.SequenceOptions;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.config.AbstractConfig;

/**
 * {@code lstm-regressor}: an LSTM ({@link io.streamfit.model.LstmRegressor}) predicting an
 * object's target from its window. Outputs one prediction per object whose window is in the call
 * and one sum over them; scores squared errors.
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
    ModelSpec spec(CommonSettings c, SequenceOptions options) {
        return new ModelSpec(NAME, c.features(), c.hidden(), "linear", c.lossWeight(), c.optimizer(), c.seed(),
                c.intraOpThreads(), c.interOpThreads(), options).withLoss(c.loss());
    }

    @Override
    Windowed windowed(AbstractConfig config) {
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
                return ModelExtras.NONE;
            }

            @Override
            public Set<Outputs.Sink> extraSinks() {
                return Set.of();
            }
        };
    }

    /**
     * One prediction per object whose window is in the batch and one sum over them; the sum's
     * target is the record's {@code sumTarget} only when every object had a window.
     */
    private static void emitWindowed(BatchItem item, List<Timestep.ObjectInput> objects, ObjectBatch batch, int t,
                                     StepResult result, long modelVersion, PrequentialStats stats,
                                     ModelExtras extras, Outputs out) {
        String series = item.series();
        long timestep = item.timestep().timestep();
        float[] preds = result.objectPredictions();
        int first = batch.firstObject(t);
        double objectSq = 0;
        int scored = 0;
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            float prediction = preds[first + i];
            if (o.target() != null) {
                double e = prediction - o.target();
                objectSq += e * e;
                scored++;
            }
            out.objectPrediction(series, ObjectPrediction.newBuilder()
                    .setSeries(series)
                    .setTimestep(timestep)
                    .setObject(o.id())
                    .setPrediction(prediction)
                    .setTarget(o.target())
                    .setModelVersion(modelVersion)
                    .build(), item.timestamp());
        }
        float sumPrediction = result.sumPredictions()[t];
        boolean sumKnown = batch.sumMask()[t] != 0f;
        Double sumTarget = sumKnown ? (double) batch.sumTarget()[t] : null;
        if (sumKnown && objects.size() == item.timestep().objects().size() && item.timestep().hasSumTarget()) {
            sumTarget = item.timestep().sumTarget()[0];
        }
        double sumSq = sumKnown ? (sumPrediction - sumTarget) * (sumPrediction - sumTarget) : 0;
        out.sumPrediction(series, SumPrediction.newBuilder()
                .setSeries(series)
                .setTimestep(timestep)
                .setPrediction(sumPrediction)
                .setSumTarget(sumTarget)
                .setObjects(objects.size())
                .setModelVersion(modelVersion)
                .build(), item.timestamp());
        stats.add(objectSq, scored, sumSq, sumKnown);
    }
}
