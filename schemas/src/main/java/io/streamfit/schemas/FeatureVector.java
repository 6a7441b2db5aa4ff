package io.streamfit.schemas;

import java.util.Arrays;
import java.util.Objects;

/**
 * An object's features: a dense array of m values or a sparse {indices, values} pair.
 *
 * <p>Equality compares the array contents bit for bit ({@link Arrays#equals(float[], float[])}:
 * NaN equals NaN, 0.0 differs from -0.0), so decoded records compare by value.
 */
public sealed interface FeatureVector permits FeatureVector.Dense, FeatureVector.Sparse {

    /** Dense features; the length is m. */
    record Dense(float[] values) implements FeatureVector {
        public Dense {
            Objects.requireNonNull(values, "values");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Dense d && Arrays.equals(values, d.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Dense" + Arrays.toString(values);
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

        @Override
        public boolean equals(Object o) {
            return o instanceof Sparse s && Arrays.equals(indices, s.indices) && Arrays.equals(values, s.values);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(indices) + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Sparse{indices=" + Arrays.toString(indices) + ", values=" + Arrays.toString(values) + "}";
        }
    }
}
