package io.streamfit.app.screen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.Supervision;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import org.junit.jupiter.api.Test;

class TimestepValidatorTest {

    private final TimestepValidator validator = new TimestepValidator(3, 4, Supervision.TARGETS);

    private static Timestep.ObjectInput dense(float... x) {
        return new Timestep.ObjectInput("o", new FeatureVector.Dense(x), 1.0, null);
    }

    private static Timestep ts(List<Timestep.ObjectInput> objects, double[] sum) {
        return new Timestep("s", 1, objects, sum);
    }

    @Test
    void acceptsGoodDenseAndSparse() {
        Timestep t = ts(List.of(dense(1, 2, 3),
                new Timestep.ObjectInput("p", new FeatureVector.Sparse(new int[] {0, 2}, new float[] {1, 1}), null, null)),
                new double[] {2.0});
        assertThat(validator.check(t)).isNull();
    }

    @Test
    void rejectsEveryKindOfBadContent() {
        assertThat(validator.check(ts(List.of(), null)).reason()).isEqualTo(Rejection.NO_OBJECTS);
        List<Timestep.ObjectInput> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(dense(1, 2, 3));
        }
        assertThat(validator.check(ts(five, null)).reason()).isEqualTo(Rejection.TOO_MANY_OBJECTS);
        Rejection wrongM = validator.check(ts(List.of(dense(1, 2, 3), dense(1, 2)), null));
        assertThat(wrongM.reason()).isEqualTo(Rejection.WRONG_FEATURE_COUNT);
        assertThat(wrongM.message()).contains("objects[1]").contains("m=3");
        assertThat(validator.check(ts(List.of(dense(1, Float.NaN, 3)), null)).reason()).isEqualTo(Rejection.NON_FINITE);
        assertThat(validator.check(ts(List.of(dense(1, Float.POSITIVE_INFINITY, 3)), null)).reason())
                .isEqualTo(Rejection.NON_FINITE);
        assertThat(validator.check(ts(List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(new float[] {1, 2, 3}),
                Double.NaN, null)), null)).reason()).isEqualTo(Rejection.NON_FINITE);
        assertThat(validator.check(ts(List.of(dense(1, 2, 3)), new double[] {Double.NEGATIVE_INFINITY})).reason())
                .isEqualTo(Rejection.NON_FINITE);
        Rejection range = validator.check(ts(List.of(new Timestep.ObjectInput("o",
                new FeatureVector.Sparse(new int[] {3}, new float[] {1}), null, null)), null));
        assertThat(range.reason()).isEqualTo(Rejection.INDEX_OUT_OF_RANGE);
        assertThat(validator.check(ts(List.of(new Timestep.ObjectInput("o",
                new FeatureVector.Sparse(new int[] {-1}, new float[] {1}), null, null)), null)).reason())
                .isEqualTo(Rejection.INDEX_OUT_OF_RANGE);
        assertThat(validator.check(ts(List.of(new Timestep.ObjectInput("o",
                new FeatureVector.Dense(new float[] {1, 2, 3}), null, 2)), null)).reason())
                .isEqualTo(Rejection.UNEXPECTED_LABEL);
    }
}
