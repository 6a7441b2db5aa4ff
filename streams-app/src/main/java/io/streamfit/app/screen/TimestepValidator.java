package io.streamfit.app.screen;

import java.util.List;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.Supervision;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;

/**
 * The model-dependent checks of a decoded record: feature count m, finite numbers, sparse indices
 * in range, object count between 1 and {@code max.objects}, and the supervision its model kind
 * takes ({@link Supervision}: targets and one {@code sumTarget} for regressors, labels and class
 * counts for classifiers, one window per object id for the sequence kinds). What passes here
 * cannot hurt the model.
 */
public final class TimestepValidator {

    private final int features;
    private final int maxObjects;
    private final Supervision supervision;

    /**
     * @param features    m, the model's feature count
     * @param maxObjects  the most objects a record may have
     * @param supervision the kind's rules for targets, labels and sums
     */
    public TimestepValidator(int features, int maxObjects, Supervision supervision) {
        this.features = features;
        this.maxObjects = maxObjects;
        this.supervision = supervision;
    }

    /** The checks of the configured kind. */
    public static TimestepValidator forKind(ConfiguredKind kind, int maxObjects) {
        return new TimestepValidator(kind.spec().features(), maxObjects, kind.supervision());
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
            r = supervision.checkObject(i, o);
            if (r != null) {
                return r;
            }
        }
        Rejection r = supervision.checkSum(ts.sumTarget());
        return r != null ? r : supervision.checkRecord(ts);
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
