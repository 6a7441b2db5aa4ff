package io.streamfit.schemas;

import java.util.Objects;

/** An object's features: a dense array of m values or a sparse {indices, values} pair. */
public sealed interface FeatureVector permits FeatureVector.Dense, FeatureVector.Sparse {

    /** Dense features; the length is m. */
    record Dense(float[] values) implements FeatureVector {
        public Dense {
            Objects.requireNonNull(values, "values");
        }
    }

    /** Sparse features: {@code values[j]} at index {@code indices[j]}; both arrays have the same length. */
    record Sparse(int[] indices, float[] values) implements FeatureVector {
        public Sparse {
            Objects.requireNonNull(indices, "indices");
            Objects.requireNonNull(values, "values");
            if (indices.length != values.length) {
                throw new IllegalArgumentException("sparse features: " + indices.length + " indices but "
                        + values.length + " values");
            }
        }
    }
}
