package io.streamfit.app.kind;

import io.streamfit.app.errors.Rejection;
import io.streamfit.schemas.Timestep;

/**
 * The supervision rules of a kind, which the record screen applies after its kind-independent
 * checks (feature count, finite features, object count): what an object may carry as its truth,
 * what {@code sumTarget} may be, and any rule over the whole record.
 */
public interface Supervision {

    /** @return why object {@code i} is unusable for this kind, or {@code null} */
    Rejection checkObject(int i, Timestep.ObjectInput object);

    /** @return why the record's {@code sumTarget} (null when absent) is unusable, or {@code null} */
    Rejection checkSum(double[] sumTarget);

    /** @return why the record as a whole is unusable (after every object passed), or {@code null} */
    default Rejection checkRecord(Timestep timestep) {
        return null;
    }

    /**
     * Regression supervision: an optional finite {@code target} per object, never a {@code label};
     * an optional single finite {@code sumTarget}.
     */
    Supervision TARGETS = new Supervision() {
        @Override
        public Rejection checkObject(int i, Timestep.ObjectInput o) {
            if (o.target() != null && !Double.isFinite(o.target())) {
                return new Rejection(Rejection.NON_FINITE, "objects[" + i + "].target is " + o.target());
            }
            if (o.label() != null) {
                return new Rejection(Rejection.UNEXPECTED_LABEL,
                        "objects[" + i + "].label is given but the model is a regressor (use 'target')");
            }
            return null;
        }

        @Override
        public Rejection checkSum(double[] sum) {
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
    };
}
