package io.streamfit.schemas;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One input record as the service processes it: one timestep of a series with k objects. This is
 * the lean in-memory form that both input encodings (the contract's JSON and Avro single-object
 * encoding of {@code io.streamfit.schemas.avro.TimestepRecord}) decode into; features are
 * primitive float arrays, never boxed.
 *
 * <p>Only the shape is checked here (what any decoder must guarantee); the model-dependent checks
 * (feature count m, finite values, sparse index range, object count limits) are the processor's.
 *
 * @param series    series id from the value, or {@code null} (the record key wins anyway)
 * @param timestep  the timestep, increasing per series
 * @param objects   the objects, in record order
 * @param sumTarget {@code null} when absent; one value for regression, one per class for
 *                  classification count targets
 *
 * <p>Equality compares {@code sumTarget} (and the features) by content, bit for bit.
 */
public record Timestep(String series, long timestep, List<ObjectInput> objects, double[] sumTarget) {

    public Timestep {
        Objects.requireNonNull(objects, "objects");
        objects = List.copyOf(objects);
    }

    /** Whether the record carries a sum target. */
    public boolean hasSumTarget() {
        return sumTarget != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timestep t && timestep == t.timestep && Objects.equals(series, t.series)
                && objects.equals(t.objects) && Arrays.equals(sumTarget, t.sumTarget);
    }

    @Override
    public int hashCode() {
        return Objects.hash(series, timestep, objects) * 31 + Arrays.hashCode(sumTarget);
    }

    @Override
    public String toString() {
        return "Timestep{series=" + series + ", timestep=" + timestep + ", objects=" + objects + ", sumTarget="
                + Arrays.toString(sumTarget) + "}";
    }

    /**
     * One object of a timestep.
     *
     * @param id       object id
     * @param features dense or sparse features
     * @param target   regression target, or {@code null}
     * @param label    class index (classification), or {@code null}
     */
    public record ObjectInput(String id, FeatureVector features, Double target, Integer label) {
        public ObjectInput {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(features, "features");
        }
    }
}
