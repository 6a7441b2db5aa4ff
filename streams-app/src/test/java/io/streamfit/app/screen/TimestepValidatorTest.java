package io.streamfit.app.screen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.Supervision;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TimestepLimits;
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

    private static Timestep sparse(int[] indices, float[] values) {
        return ts(List.of(new Timestep.ObjectInput("o", new FeatureVector.Sparse(indices, values), null, null)), null);
    }

    @Test
    void aFeatureBeyondMaxAbsFeatureIsRejectedDenseOrSparseAndOneAtTheBoundPasses() {
        TimestepValidator bounded = validator.withMaxAbsFeature(1e6);

        Rejection dense = bounded.check(ts(List.of(dense(1, 2, 3), dense(1, -2e6f, 3)), null));
        Rejection sparse = bounded.check(sparse(new int[] {0, 2}, new float[] {1, 3e7f}));

        assertThat(dense.reason()).isEqualTo(Rejection.FEATURE_OUT_OF_RANGE);
        assertThat(dense.message()).startsWith("objects[1].features[1] is -2000000.0, beyond max.abs.feature=1000000.0");
        assertThat(sparse.reason()).isEqualTo(Rejection.FEATURE_OUT_OF_RANGE);
        assertThat(sparse.message()).startsWith("objects[0].features.values[1] is 3.0E7");
        assertThat(bounded.check(ts(List.of(dense(1e6f, -1e6f, 0)), null))).isNull();
        // The bound adds to the other checks, it does not replace them.
        assertThat(bounded.check(ts(List.of(dense(1, Float.NaN, 3)), null)).reason()).isEqualTo(Rejection.NON_FINITE);
        assertThat(validator.check(ts(List.of(dense(1, 3e38f, 3)), null))).as("no bound unless set").isNull();
    }

    @Test
    void aRepeatedSparseIndexIsRejectedWhereverItRepeats() {
        // Summed in the batch, two values near the float limit would be infinity.
        Rejection rising = validator.check(sparse(new int[] {0, 1, 1}, new float[] {1, 3e38f, 3e38f}));
        Rejection unordered = validator.check(sparse(new int[] {2, 0, 1, 0}, new float[] {1, 1, 1, 1}));

        assertThat(rising.reason()).isEqualTo(Rejection.DUPLICATE_INDEX);
        assertThat(rising.message()).isEqualTo("objects[0].features.indices[2] repeats indices[1]");
        assertThat(unordered.reason()).isEqualTo(Rejection.DUPLICATE_INDEX);
        assertThat(unordered.message()).isEqualTo("objects[0].features.indices[3] repeats indices[1]");
        assertThat(validator.check(sparse(new int[] {2, 0, 1}, new float[] {1, 1, 1}))).isNull();
        assertThat(validator.check(sparse(new int[] {}, new float[] {}))).isNull();
    }

    @Test
    void withADenseModelInputARecordMayNotExpandBeyondWhatItsSizeCouldCarryDense() {
        // max.record.bytes = 20 carries at most 10 dense values: 4 objects x m = 3 is 12.
        TimestepValidator dense = new TimestepValidator(3, 8, Supervision.TARGETS,
                TimestepValidator.denseBound(20), Integer.MAX_VALUE);
        List<Timestep.ObjectInput> four = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            four.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Sparse(new int[] {0}, new float[] {1}), null,
                    null));
        }

        Rejection r = dense.check(ts(four, null));

        assertThat(r.reason()).isEqualTo(Rejection.TOO_LARGE);
        assertThat(r.message()).startsWith("4 objects x m=3 = 12 dense values, more than the 10");
        assertThat(dense.check(ts(four.subList(0, 3), null))).isNull();
        assertThat(validator.check(ts(four, null))).as("no bound: the model takes sparse input").isNull();
    }

    @Test
    void theDenseBoundNeverRejectsARecordThatCameDense() {
        // The densest JSON of k x m values is "[0,0,...]": 2 bytes per value, so k x m <= bytes / 2.
        int m = 7;
        int k = 9;
        StringBuilder json = new StringBuilder("{\"timestep\":1,\"objects\":[");
        for (int i = 0; i < k; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":\"\",\"features\":[0").append(",0".repeat(m - 1))
                    .append("]}");
        }
        int bytes = json.append("]}").length();
        assertThat(TimestepValidator.denseBound(bytes)).isGreaterThanOrEqualTo((long) k * m);
    }

    @Test
    void decodeLimitsCarryTheModelsBounds() {
        TimestepLimits limits = new TimestepValidator(3, 4, Supervision.TARGETS, Long.MAX_VALUE, 1).decodeLimits(99);

        assertThat(limits).isEqualTo(new TimestepLimits(4, 99, 3, 1));
    }
}
