package io.streamfit.app.processor;

import java.util.List;

import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;

/**
 * The model-dependent checks of a decoded record: feature count m, finite numbers, sparse indices
 * in range, object count between 1 and {@code max.objects}, and the supervision the model kind
 * takes: a {@code target} per object and one {@code sumTarget} for regressors, a {@code label} in
 * [0, classes) per object and {@code classes} non-negative class counts as {@code sumTarget} for
 * classifiers. What passes here cannot hurt the model.
 */
public final class TimestepValidator {

    private final int features;
    private final int maxObjects;
    private final int classes;

    /**
     * The checks of a regressor (or a sequence kind).
     *
     * @param features   m, the model's feature count
     * @param maxObjects the most objects a record may have
     */
    public TimestepValidator(int features, int maxObjects) {
        this(features, maxObjects, 0);
    }

    /**
     * @param features   m, the model's feature count
     * @param maxObjects the most objects a record may have
     * @param classes    the classifier's class count (at least 2), or 0 for the other kinds
     */
    public TimestepValidator(int features, int maxObjects, int classes) {
        this.features = features;
        this.maxObjects = maxObjects;
        this.classes = classes;
    }

    /** The checks of the model {@code spec}. */
    public static TimestepValidator forSpec(ModelSpec spec, int maxObjects) {
        return new TimestepValidator(spec.features(), maxObjects, spec.classes());
    }

    /** @return why the record is unusable, or {@code null} when it is fine */
    public Rejection check(Timestep ts) {
        List<Timestep.ObjectInput> objects = ts.objects();
        if (objects.isEmpty()) {
            return new Rejection(Rejection.NO_OBJECTS, "'objects' is empty");
        }
        if (objects.size() > maxObjects) {
            return new Rejection(Rejection.TOO_MANY_OBJECTS,
                    objects.size() + " objects, more than max.objects=" + maxObjects);
        }
        for (int i = 0; i < objects.size(); i++) {
            Timestep.ObjectInput o = objects.get(i);
            Rejection r = checkFeatures(i, o.features());
            if (r != null) {
                return r;
            }
            r = classes > 0 ? checkLabel(i, o) : checkTarget(i, o);
            if (r != null) {
                return r;
            }
        }
        return classes > 0 ? checkCounts(ts.sumTarget()) : checkSum(ts.sumTarget());
    }

    private static Rejection checkTarget(int i, Timestep.ObjectInput o) {
        if (o.target() != null && !Double.isFinite(o.target())) {
            return new Rejection(Rejection.NON_FINITE, "objects[" + i + "].target is " + o.target());
        }
        if (o.label() != null) {
            return new Rejection(Rejection.UNEXPECTED_LABEL,
                    "objects[" + i + "].label is given but the model is a regressor (use 'target')");
        }
        return null;
    }

    private Rejection checkLabel(int i, Timestep.ObjectInput o) {
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

    private Rejection checkCounts(double[] counts) {
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

    private static Rejection checkSum(double[] sum) {
        if (sum != null) {
            if (sum.length != 1) {
                return new Rejection(Rejection.WRONG_FEATURE_COUNT,
                        "sumTarget has " + sum.length + " values; a regressor takes one number");
            }
            if (!Double.isFinite(sum[0])) {
                return new Rejection(Rejection.NON_FINITE, "sumTarget is " + sum[0]);
            }
        }
        return null;
    }

    private Rejection checkFeatures(int i, FeatureVector fv) {
        if (fv instanceof FeatureVector.Dense d) {
            float[] v = d.values();
            if (v.length != features) {
                return new Rejection(Rejection.WRONG_FEATURE_COUNT,
                        "objects[" + i + "].features has " + v.length + " values, the model takes m=" + features);
            }
            for (int j = 0; j < v.length; j++) {
                if (!Float.isFinite(v[j])) {
                    return new Rejection(Rejection.NON_FINITE, "objects[" + i + "].features[" + j + "] is " + v[j]);
                }
            }
        } else if (fv instanceof FeatureVector.Sparse s) {
            int[] idx = s.indices();
            float[] v = s.values();
            for (int j = 0; j < idx.length; j++) {
                if (idx[j] < 0 || idx[j] >= features) {
                    return new Rejection(Rejection.INDEX_OUT_OF_RANGE, "objects[" + i + "].features.indices[" + j
                            + "] = " + idx[j] + " is outside [0, " + features + ")");
                }
                if (!Float.isFinite(v[j])) {
                    return new Rejection(Rejection.NON_FINITE, "objects[" + i + "].features.values[" + j + "] is " + v[j]);
                }
            }
        }
        return null;
    }
}
