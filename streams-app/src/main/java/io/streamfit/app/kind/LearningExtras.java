package io.streamfit.app.kind;

import java.util.Arrays;
import java.util.List;

import io.streamfit.model.InputScaling;
import io.streamfit.model.stats.RobustScale;
import io.streamfit.model.stats.StandardScaler;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.avro.FeatureMoments;
import io.streamfit.schemas.avro.LearningState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ScaleWindow;

/**
 * The per-model state of the plain kinds that decides what a model learns from and what it sees:
 * the robust scales of the object targets and of the sum targets per object
 * ({@code outlier.targets.*}), and the running moments of its input features
 * ({@code features.scaling=standard}). A target further out than the threshold from what the
 * model accepted before is predicted but masked out of the supervision, and every feature is
 * standardized by the moments ({@link BatchAssembler}). It is written in the checkpoint's
 * {@code learning} field, so it commits with the model; a checkpoint without one (earlier
 * versions, or the rule and the scaling off) restores to an empty state that warms up again.
 */
public final class LearningExtras implements ModelExtras {

    /** Version of {@link LearningState}'s meaning that this writes and reads. */
    static final int FORMAT = 1;

    /** The outlier rule: {@code threshold} 0 turns it off. */
    public record OutlierRule(double threshold, int window, int warmup) {
        public static final OutlierRule OFF = new OutlierRule(0, 1, 1);

        public boolean enabled() {
            return threshold > 0;
        }
    }

    private final RobustScale objectTargets;
    private final RobustScale sumTargets;
    /** The feature moments; null with {@link FeatureScaling#NONE}. */
    private final StandardScaler features;
    /** One object's m features, dense (a sparse object's absent entries 0), and standardized. */
    private final float[] raw;
    private final float[] scaled;

    /** The state of a model with {@code rule} and no feature scaling. */
    public LearningExtras(OutlierRule rule) {
        this(rule, FeatureScaling.NONE, 0);
    }

    /**
     * The state of a model with {@code rule} and {@code scaling} of its {@code m} features.
     *
     * @param m the model's features per object (unused with {@link FeatureScaling#NONE})
     */
    public LearningExtras(OutlierRule rule, FeatureScaling scaling, int m) {
        this.objectTargets = rule.enabled() ? new RobustScale(rule.threshold(), rule.window(), rule.warmup()) : null;
        this.sumTargets = rule.enabled() ? new RobustScale(rule.threshold(), rule.window(), rule.warmup()) : null;
        boolean scales = scaling == FeatureScaling.STANDARD;
        this.features = scales ? new StandardScaler(m) : null;
        this.raw = scales ? new float[m] : null;
        this.scaled = scales ? new float[m] : null;
    }

    /** Freezes the scales for the next micro-batch (computed once per batch, not per target). */
    void beginBatch() {
        if (objectTargets != null) {
            objectTargets.refresh();
            sumTargets.refresh();
        }
    }

    /** Whether object target {@code y} trains the model (accepted values widen nothing beyond themselves). */
    boolean acceptObjectTarget(double y) {
        return objectTargets == null || objectTargets.accept(y);
    }

    /** Whether a sum target {@code s} over {@code k} objects trains the model, judged per object ({@code s / k}). */
    boolean acceptSumTarget(double s, int k) {
        return sumTargets == null || sumTargets.accept(s / Math.max(k, 1));
    }

    /** Whether the features are standardized ({@link FeatureScaling#STANDARD}). */
    boolean scalesFeatures() {
        return features != null;
    }

    /** Adds one object's features to the moments (only when {@link #scalesFeatures()}). */
    void learnFeatures(FeatureVector x) {
        features.learn(dense(x), 0);
    }

    /**
     * One object's features standardized by the moments as they are now (only when
     * {@link #scalesFeatures()}): m values in a buffer that the next call overwrites.
     */
    float[] standardized(FeatureVector x) {
        features.transform(dense(x), 0, scaled, 0);
        return scaled;
    }

    /** The features as m dense values; a sparse object's absent entries are 0 (as a dense batch holds them). */
    private float[] dense(FeatureVector x) {
        if (x instanceof FeatureVector.Dense d) {
            return d.values();
        }
        FeatureVector.Sparse s = (FeatureVector.Sparse) x;
        Arrays.fill(raw, 0f);
        int[] idx = s.indices();
        float[] v = s.values();
        for (int k = 0; k < idx.length; k++) {
            raw[idx[k]] += v[k];
        }
        return raw;
    }

    /** The standardization of the features as it is now, for an export; null without feature scaling. */
    @Override
    public InputScaling inputScaling() {
        if (features == null) {
            return null;
        }
        return new InputScaling(features.means(), features.scales());
    }

    @Override
    public void save(ModelCheckpoint.Builder checkpoint) {
        if (objectTargets == null && features == null) {
            // Nothing kept: the checkpoint has no learning state, as before either existed.
            return;
        }
        checkpoint.setLearning(LearningState.newBuilder()
                .setFormatVersion(FORMAT)
                .setObjectTargets(objectTargets == null ? null : window(objectTargets))
                .setSumTargets(sumTargets == null ? null : window(sumTargets))
                .setFeatureMoments(features == null ? null : FeatureMoments.newBuilder()
                        .setCount(features.count())
                        .setMean(boxed(features.means()))
                        .setM2(boxed(features.m2()))
                        .build())
                .build());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Restores what this model keeps from the checkpoint; a part the checkpoint lacks (written
     * while that part was off) starts empty, a part it has that this model does not keep is dropped.
     */
    @Override
    public void restore(ModelCheckpoint checkpoint) {
        LearningState state = checkpoint.getLearning();
        if (state == null || (objectTargets == null && features == null)) {
            return;
        }
        if (state.getFormatVersion() != FORMAT) {
            throw new IllegalStateException("checkpoint of model '" + checkpoint.getModelKey()
                    + "' has learning state version " + state.getFormatVersion() + "; this version reads " + FORMAT);
        }
        if (objectTargets != null) {
            restore(state.getObjectTargets(), objectTargets);
            restore(state.getSumTargets(), sumTargets);
        }
        FeatureMoments moments = state.getFeatureMoments();
        if (features != null && moments != null) {
            features.restore(moments.getCount(), unboxed(moments.getMean()), unboxed(moments.getM2()));
        }
    }

    private static ScaleWindow window(RobustScale scale) {
        return ScaleWindow.newBuilder().setSeen(scale.seen()).setValues(boxed(scale.values()))
                .setRejectedInRow(boxed(scale.rejectedInRow())).build();
    }

    private static List<Double> boxed(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return List.of(out);
    }

    private static double[] unboxed(List<Double> values) {
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.get(i);
        }
        return v;
    }

    private static void restore(ScaleWindow w, RobustScale scale) {
        if (w == null) {
            return;
        }
        scale.restore(unboxed(w.getValues()), w.getSeen(), unboxed(w.getRejectedInRow()));
    }
}
