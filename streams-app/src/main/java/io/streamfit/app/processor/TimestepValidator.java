package io.streamfit.app.processor;

import java.util.List;

import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;

/**
 * The model-dependent checks of a decoded record: feature count m, finite numbers, sparse indices
 * in range, object count between 1 and {@code max.objects}. What passes here cannot hurt the model.
 */
public final class TimestepValidator {

    private final int features;
    private final int maxObjects;

    /**
     * @param features   m, the model's feature count
     * @param maxObjects the most objects a record may have
     */
    public TimestepValidator(int features, int maxObjects) {
        this.features = features;
        this.maxObjects = maxObjects;
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
            if (o.target() != null && !Double.isFinite(o.target())) {
                return new Rejection(Rejection.NON_FINITE, "objects[" + i + "].target is " + o.target());
            }
            if (o.label() != null) {
                return new Rejection(Rejection.UNEXPECTED_LABEL,
                        "objects[" + i + "].label is given but the model is a regressor (use 'target')");
            }
        }
        double[] sum = ts.sumTarget();
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
