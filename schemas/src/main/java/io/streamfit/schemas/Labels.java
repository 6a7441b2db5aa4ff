package io.streamfit.schemas;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One record of the labels topic (design.md, "Delayed labels"): the truth of some objects of one
 * timestep of a series, and possibly its sum target, arriving apart from (usually after) the
 * features. The lean in-memory form {@link LabelsValue} decodes JSON and Avro into.
 *
 * @param series    series id from the value, or {@code null} (the record key wins anyway)
 * @param timestep  the timestep whose features these labels belong to
 * @param objects   the labelled objects, any subset of the timestep's, in record order (may be empty)
 * @param sumTarget {@code null} when absent; one value for regression, one per class for classifiers
 */
public record Labels(String series, long timestep, List<ObjectLabel> objects, double[] sumTarget) {

    public Labels {
        Objects.requireNonNull(objects, "objects");
        objects = List.copyOf(objects);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Labels l && timestep == l.timestep && Objects.equals(series, l.series)
                && objects.equals(l.objects) && Arrays.equals(sumTarget, l.sumTarget);
    }

    @Override
    public int hashCode() {
        return Objects.hash(series, timestep, objects) * 31 + Arrays.hashCode(sumTarget);
    }

    @Override
    public String toString() {
        return "Labels{series=" + series + ", timestep=" + timestep + ", objects=" + objects + ", sumTarget="
                + Arrays.toString(sumTarget) + "}";
    }

    /**
     * The truth of one object.
     *
     * @param id     object id, as in the features record
     * @param target regression target, or {@code null}
     * @param label  class index (classification), or {@code null}
     */
    public record ObjectLabel(String id, Double target, Integer label) {
        public ObjectLabel {
            Objects.requireNonNull(id, "id");
        }
    }
}
