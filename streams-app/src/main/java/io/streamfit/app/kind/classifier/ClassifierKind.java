package io.streamfit.app.kind.classifier;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.FeatureScaling;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.app.kind.LearningExtras;
import io.streamfit.app.kind.ModelExtras;
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
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code classifier}: softmax regression, or an MLP with a softmax head, over {@code model.classes}
 * classes ({@link io.streamfit.model.Classifier}), learning from each object's {@code label} by
 * cross-entropy and from class counts as {@code sumTarget}. Outputs the class probabilities and
 * the predicted class per object and the expected class counts per record; scores accuracy,
 * log-loss and the squared distance of the counts.
 */
public final class ClassifierKind implements ModelKind {

    public static final String NAME = ModelSpec.KIND_CLASSIFIER;
    public static final String MODEL_CLASSES = "model.classes";

    /** Floor of a label's probability in the log-loss, so that a confident miss costs ln(1e15), not infinity. */
    static final double MIN_PROBABILITY = 1e-15;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "softmax regression, or an MLP with a softmax head, over model.classes classes, learning from each "
                + "object's label by cross-entropy";
    }

    @Override
    public List<ConfigDef.ConfigKey> configKeys() {
        return List.copyOf(new ConfigDef()
                .define(MODEL_CLASSES, Type.INT, null, Importance.MEDIUM,
                        "Number of classes, at least 2 (classifier only; labels are class indices in [0, classes))."
                                + SettingsChange.SHAPE_DOC)
                .define(FeatureScaling.configKey())
                .configKeys().values());
    }

    @Override
    public Set<String> exclusiveKeys() {
        return Set.of(MODEL_CLASSES);
    }

    @Override
    public ConfiguredKind configure(CommonSettings c, AbstractConfig config) {
        Integer classes = config.getInt(MODEL_CLASSES);
        if (classes == null || classes < 2) {
            throw new ConfigException(MODEL_CLASSES, classes, "model.kind classifier needs model.classes >= 2");
        }
        if (c.loss().huber()) {
            throw new ConfigException("loss.function", c.loss().function(),
                    "model.kind classifier learns by cross-entropy; loss.function applies to the regression kinds");
        }
        ModelSpec spec = new ModelSpec(NAME, c.features(), c.hidden(), c.activation(), c.lossWeight(), c.optimizer(),
                c.seed(), c.intraOpThreads(), c.interOpThreads(), null, classes, c.input());
        return new Configured(this, spec, new LabelSupervision(classes), FeatureScaling.of(config, spec));
    }

    private record Configured(ModelKind kind, ModelSpec spec, Supervision supervision, FeatureScaling scaling)
            implements ConfiguredKind {
        /** No outlier rule (labels are not on a scale); the feature moments with {@code features.scaling=standard}. */
        @Override
        public ModelExtras newExtras() {
            return scaling == FeatureScaling.NONE ? ModelExtras.NONE
                    : new LearningExtras(LearningExtras.OutlierRule.OFF, scaling, spec.features());
        }

        @Override
        public boolean joinsLabels() {
            return true;
        }

        @Override
        public BatchLogic batchLogic(StoreLookup stores) {
            return new PlainBatches(ClassifierKind::emitTimestep);
        }
    }

    /**
     * One object prediction per object of timestep {@code t} (the probability of the predicted
     * class, every class's probability, the label as target) and the expected class counts of the
     * record; scores accuracy, log-loss and the counts' squared distance.
     */
    static void emitTimestep(BatchItem item, ObjectBatch batch, int t, StepResult result, long modelVersion,
                             PrequentialStats stats, Outputs out) {
        Timestep ts = item.timestep();
        String series = item.series();
        int classes = result.classes();
        float[] probabilities = result.probabilities();
        int first = batch.firstObject(t);
        int correct = 0;
        double logLoss = 0;
        int labelled = 0;
        for (int i = 0; i < ts.objects().size(); i++) {
            Timestep.ObjectInput o = ts.objects().get(i);
            int n = first + i;
            int predicted = result.predictedClass(n);
            if (o.label() != null) {
                int label = o.label();
                correct += predicted == label ? 1 : 0;
                logLoss += -Math.log(Math.max(probabilities[n * classes + label], MIN_PROBABILITY));
                labelled++;
            }
            ObjectPrediction p = Outputs.objectPrediction(series, ts.timestep(), o.id(),
                    result.objectPredictions()[n], o.label() == null ? null : (double) o.label(), modelVersion);
            p.setProbabilities(row(probabilities, n, classes));
            p.setPredictedClass(predicted);
            out.objectPrediction(series, p, item.timestamp());
        }
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
        stats.add(0, 0, sumSq, known);
        SumPrediction sum = Outputs.sumPrediction(series, ts.timestep(), result.sumPredictions()[t], null,
                ts.objects().size(), modelVersion);
        sum.setExpectedCounts(row(result.expectedCounts(), t, classes));
        out.sumPrediction(series, sum, item.timestamp());
    }

    /** Row {@code r} of a row-major [*, width] matrix, as the output records take it. */
    private static List<Double> row(float[] matrix, int r, int width) {
        Double[] out = new Double[width];
        for (int c = 0; c < width; c++) {
            out[c] = (double) matrix[r * width + c];
        }
        return Arrays.asList(out);
    }

    /**
     * Classification supervision: an optional {@code label} in [0, classes) per object, never a
     * {@code target}; an optional {@code sumTarget} of one finite, non-negative count per class.
     */
    record LabelSupervision(int classes) implements Supervision {
        @Override
        public Rejection checkObject(int i, Timestep.ObjectInput o) {
            if (o.target() != null) {
                return new Rejection(Rejection.UNEXPECTED_TARGET,
                        "objects[" + i + "].target is given but the model is a classifier (use 'label')");
            }
            if (o.label() != null && (o.label() < 0 || o.label() >= classes)) {
                return new Rejection(Rejection.LABEL_OUT_OF_RANGE, "objects[" + i + "].label = " + o.label()
                        + " is outside [0, " + classes + ")");
            }
            return null;
        }

        @Override
        public Rejection checkSum(double[] counts) {
            if (counts == null) {
                return null;
            }
            if (counts.length != classes) {
                return new Rejection(Rejection.WRONG_FEATURE_COUNT, "sumTarget has " + counts.length
                        + " values; a classifier takes one count per class (" + classes + ")");
            }
            for (int c = 0; c < counts.length; c++) {
                if (!Double.isFinite(counts[c]) || counts[c] < 0) {
                    return new Rejection(Rejection.NON_FINITE, "sumTarget[" + c + "] = " + counts[c]
                            + " is not a finite, non-negative class count");
                }
            }
            return null;
        }
    }
}
