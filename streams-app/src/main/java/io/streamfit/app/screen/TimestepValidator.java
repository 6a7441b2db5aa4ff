package io.streamfit.app.screen;

import java.util.Arrays;
import java.util.List;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.Supervision;
import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TimestepLimits;

/**
 * The model-dependent checks of a decoded record: feature count m, finite numbers, sparse indices
 * in range and each at most once, object count between 1 and {@code max.objects}, the size of the
 * dense matrix the record becomes, and the supervision its model kind takes ({@link Supervision}:
 * targets and one {@code sumTarget} for regressors, labels and class counts for classifiers, one
 * window per object id for the sequence kinds). What passes here cannot hurt the model.
 *
 * <p>The decoder enforces the count limits already while parsing ({@link #decodeLimits(int)}); they
 * are checked here again for records that come from elsewhere.
 */
public final class TimestepValidator {

    /** Fewest bytes a dense feature value takes in a record: {@code 0,} in JSON (4 in Avro). */
    static final int MIN_BYTES_PER_DENSE_VALUE = 2;

    /**
     * Default of {@code max.abs.feature}: far beyond what a network learns from unscaled, and a
     * forward pass of values this large stays finite in float32 (its loss may not: that batch's
     * update is then skipped, and the model is kept).
     */
    public static final double DEFAULT_MAX_ABS_FEATURE = 1e15;

    private final int features;
    private final int maxObjects;
    private final Supervision supervision;
    private final long maxDenseValues;
    private final int maxSumTargets;
    private final double maxAbsFeature;

    /**
     * A validator that does not bound the dense matrix or {@code sumTarget}'s length beyond the kind's rules.
     *
     * @param features    m, the model's feature count
     * @param maxObjects  the most objects a record may have
     * @param supervision the kind's rules for targets, labels and sums
     */
    public TimestepValidator(int features, int maxObjects, Supervision supervision) {
        this(features, maxObjects, supervision, Long.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * @param features       m, the model's feature count
     * @param maxObjects     the most objects a record may have
     * @param supervision    the kind's rules for targets, labels and sums
     * @param maxDenseValues the most objects × m a record may have when the model takes a dense
     *                       matrix (sparse records are expanded into it); {@link Long#MAX_VALUE} when not
     * @param maxSumTargets  the most {@code sumTarget} values a record may carry (decoding stops there)
     */
    public TimestepValidator(int features, int maxObjects, Supervision supervision, long maxDenseValues,
                             int maxSumTargets) {
        this.features = features;
        this.maxObjects = maxObjects;
        this.supervision = supervision;
        this.maxDenseValues = maxDenseValues;
        this.maxSumTargets = maxSumTargets;
        this.maxAbsFeature = Double.POSITIVE_INFINITY;
    }

    private TimestepValidator(TimestepValidator base, double maxAbsFeature) {
        this.features = base.features;
        this.maxObjects = base.maxObjects;
        this.supervision = base.supervision;
        this.maxDenseValues = base.maxDenseValues;
        this.maxSumTargets = base.maxSumTargets;
        this.maxAbsFeature = maxAbsFeature;
    }

    /**
     * This validator, rejecting feature values beyond {@code ±maxAbsFeature} too
     * ({@code max.abs.feature}). Such a value is finite but no network learns from it: its forward
     * pass overflows float32 and rolls a healthy model back. Rejected alone here, it cannot take
     * the other timesteps of its micro-batch down with it.
     */
    public TimestepValidator withMaxAbsFeature(double maxAbsFeature) {
        return new TimestepValidator(this, maxAbsFeature);
    }

    /**
     * The checks of the configured kind.
     *
     * <p>When the kind takes a dense matrix (objects × m floats), a record may fill at most as much
     * of it as a dense record of {@code maxRecordBytes} could: a sparse record of a few hundred KB
     * must not make a batch of tens of MB, nor k × m overflow an int.
     */
    public static TimestepValidator forKind(ConfiguredKind kind, int maxObjects, int maxRecordBytes) {
        ModelSpec spec = kind.spec();
        long dense = spec.sparseInput() ? Long.MAX_VALUE : denseBound(maxRecordBytes);
        return new TimestepValidator(spec.features(), maxObjects, kind.supervision(), dense,
                Math.max(1, spec.classes()));
    }

    /** The most dense values a record of {@code maxRecordBytes} can carry. */
    static long denseBound(int maxRecordBytes) {
        return Math.max(1, maxRecordBytes / MIN_BYTES_PER_DENSE_VALUE);
    }

    /**
     * What the decoder enforces while it parses (object count, id length, feature count,
     * {@code sumTarget} length), so that a record past a limit is rejected before it is decoded in full.
     *
     * @param maxIdBytes the longest series or object id, in UTF-8 bytes ({@code max.id.bytes})
     */
    public TimestepLimits decodeLimits(int maxIdBytes) {
        return new TimestepLimits(maxObjects, maxIdBytes, features, maxSumTargets);
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
        if ((long) objects.size() * features > maxDenseValues) {
            return new Rejection(Rejection.TOO_LARGE, objects.size() + " objects x m=" + features + " = "
                    + (long) objects.size() * features + " dense values, more than the " + maxDenseValues
                    + " a record of max.record.bytes can carry; the model takes a dense matrix "
                    + "(model.input=sparse takes sparse records as they are)");
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

    private Rejection outOfRange(String where, float v) {
        return new Rejection(Rejection.FEATURE_OUT_OF_RANGE, where + " is " + v + ", beyond max.abs.feature="
                + maxAbsFeature + " (no network learns from such a value; raise the key if it is real)");
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
                if (Math.abs(v[j]) > maxAbsFeature) {
                    return outOfRange("objects[" + i + "].features[" + j + "]", v[j]);
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
            Rejection repeated = checkDistinct(i, idx);
            if (repeated != null) {
                return repeated;
            }
            for (int j = 0; j < v.length; j++) {
                if (Math.abs(v[j]) > maxAbsFeature) {
                    return outOfRange("objects[" + i + "].features.values[" + j + "]", v[j]);
                }
            }
        }
        return null;
    }

    /**
     * Sparse indices must be distinct: the batch adds the values of a repeated index, so two values
     * near the float limit would enter the model as infinity. Rising indices (what producers send)
     * are checked in one pass without allocating; others are sorted in a copy.
     */
    private static Rejection checkDistinct(int i, int[] idx) {
        int j = 1;
        while (j < idx.length && idx[j - 1] < idx[j]) {
            j++;
        }
        if (j >= idx.length) {
            return null;
        }
        int[] sorted = idx.clone();
        Arrays.sort(sorted);
        for (int k = 1; k < sorted.length; k++) {
            if (sorted[k - 1] == sorted[k]) {
                return repeated(i, idx, sorted[k]);
            }
        }
        return null;
    }

    /** Names the positions of {@code value}'s first two occurrences, not the index itself. */
    private static Rejection repeated(int i, int[] idx, int value) {
        int first = -1;
        for (int j = 0; j < idx.length; j++) {
            if (idx[j] != value) {
                continue;
            }
            if (first >= 0) {
                return new Rejection(Rejection.DUPLICATE_INDEX, "objects[" + i + "].features.indices[" + j
                        + "] repeats indices[" + first + "]");
            }
            first = j;
        }
        throw new IllegalStateException("value occurs once");
    }
}
