package io.streamfit.app.kind;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import io.streamfit.model.InputScaling;
import io.streamfit.model.stats.RobustScale;
import io.streamfit.model.stats.StandardScaler;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.avro.FeatureMoments;
import io.streamfit.schemas.avro.LearningState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ScaleWindow;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The per-model state that decides what a model learns from and what it sees: the robust scales
 * of the object targets and of the sum targets per object ({@code outlier.targets.*}; regressor
 * and lstm-regressor), and the running moments of its input features
 * ({@code features.scaling=standard}; regressor and classifier). A target further out than the
 * threshold from what the model accepted before is predicted but masked out of the supervision
 * ({@link BatchAssembler} for the plain kinds, the window batches of
 * {@code kind.sequence.WindowedBatches} for lstm-regressor), and every feature is standardized by
 * the moments ({@link BatchAssembler}). It is written in the checkpoint's {@code learning} field,
 * so it commits with the model; a checkpoint without one (earlier versions, or the rule and the
 * scaling off) restores to an empty state that warms up again.
 */
public final class LearningExtras implements ModelExtras {

    /** Version of {@link LearningState}'s meaning that this writes and reads. */
    static final int FORMAT = 1;

    /**
     * The outlier rule: {@code threshold} 0 turns it off. Its keys ({@code outlier.targets.*}) are
     * defined here once for every kind that trains on targets ({@link #configKeys()}), so that
     * those kinds define them alike.
     */
    public record OutlierRule(double threshold, int window, int warmup) {
        public static final OutlierRule OFF = new OutlierRule(0, 1, 1);

        public static final String THRESHOLD = "outlier.targets.threshold";
        public static final String WINDOW = "outlier.targets.window";
        public static final String WARMUP = "outlier.targets.warmup";
        /**
         * Far enough that no target of a normal distribution ever reaches it (10 sigma: p ~ 1e-23) and a
         * heavy tail rarely does, near enough that a unit slip (a value in mm among metres) or a sentinel
         * (1e9, -999999) is caught.
         */
        public static final double THRESHOLD_DEFAULT = 10.0;
        public static final int WINDOW_DEFAULT = 256;
        public static final int WARMUP_DEFAULT = 32;
        /** The kinds that take the keys, as their documentation names them. */
        private static final String KINDS = "regressor and lstm-regressor";

        public boolean enabled() {
            return threshold > 0;
        }

        /** The definitions of the keys, for the {@link ModelKind#configKeys()} of each kind that takes them. */
        public static List<ConfigDef.ConfigKey> configKeys() {
            return List.copyOf(new ConfigDef()
                    .define(THRESHOLD, Type.DOUBLE, THRESHOLD_DEFAULT, Range.atLeast(0.0), Importance.MEDIUM,
                            KINDS + ": a target (or a sumTarget divided by its object count) further than this many "
                                    + "robust standard deviations (1.4826 * the median absolute deviation) from the "
                                    + "median of the model's recently accepted ones is predicted but not trained on, "
                                    + "and counted in streamfit_skipped_updates_total{reason=\"outlier_target\"}. "
                                    + "Only accepted targets move the scale, so a burst of bad ones cannot widen it; a "
                                    + "real shift of the targets by that much is rejected too (set 0 then). 0 = off. "
                                    + "(classifier labels are classes checked against model.classes: no outlier rule.)")
                    .define(WINDOW, Type.INT, WINDOW_DEFAULT, Range.atLeast(8), Importance.LOW,
                            KINDS + ": accepted targets (and per-object sums) the outlier scale keeps, the newest.")
                    .define(WARMUP, Type.INT, WARMUP_DEFAULT, Range.atLeast(1), Importance.LOW,
                            KINDS + ": targets accepted unconditionally before the outlier rule applies (at most "
                                    + WINDOW + ").")
                    .configKeys().values());
        }

        /** The names of the keys, for {@link ModelKind#exclusiveKeys()}. */
        public static Set<String> keys() {
            return Set.of(THRESHOLD, WINDOW, WARMUP);
        }

        /**
         * The configured rule.
         *
         * @throws ConfigException for a warm-up longer than the window (with the rule on)
         */
        public static OutlierRule of(AbstractConfig config) {
            double threshold = config.getDouble(THRESHOLD);
            int window = config.getInt(WINDOW);
            int warmup = config.getInt(WARMUP);
            if (threshold > 0 && warmup > window) {
                throw new ConfigException(WARMUP, warmup, "must be at most " + WINDOW + " (" + window + ")");
            }
            return new OutlierRule(threshold, window, warmup);
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

    /** The rule's two scales (a window, its scratch and the rejected run each) and the feature moments. */
    @Override
    public long memoryBytes() {
        long bytes = 0;
        if (objectTargets != null) {
            bytes += 2 * RobustScale.memoryBytes(objectTargets.capacity(), objectTargets.warmup());
        }
        if (features != null) {
            bytes += 3L * 8 * raw.length + 2L * 4 * raw.length;
        }
        return bytes;
    }

    /** Freezes the scales for the next micro-batch (computed once per batch, not per target). */
    public void beginBatch() {
        if (objectTargets != null) {
            objectTargets.refresh();
            sumTargets.refresh();
        }
    }

    /** Whether object target {@code y} trains the model (accepted values widen nothing beyond themselves). */
    public boolean acceptObjectTarget(double y) {
        return objectTargets == null || objectTargets.accept(y);
    }

    /** Whether a sum target {@code s} over {@code k} objects trains the model, judged per object ({@code s / k}). */
    public boolean acceptSumTarget(double s, int k) {
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
