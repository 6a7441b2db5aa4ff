package io.streamfit.schemas;

import io.streamfit.schemas.avro.LabelsRecord;
import io.streamfit.schemas.avro.ObjectLabelRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Conversions between the Avro twin of the labels record, {@link LabelsRecord}, and the lean
 * {@link Labels}, and its single-object encoding. Reading goes through {@link LabelsValue}, which
 * decodes Avro values with the bounded {@link LabelsAvroReader}, not with Avro's reader. A
 * one-element {@code sumTarget} is written as the plain double branch of the union, as
 * {@link TimestepAvro} does.
 */
public final class LabelsAvro {

    static final AvroSerde<LabelsRecord> SERDE = AvroSerde.of(LabelsRecord.class);

    private LabelsAvro() {
    }

    /** The record in Avro single-object encoding. */
    public static byte[] toBytes(Labels labels) {
        return SERDE.encode(toRecord(labels));
    }

    /** The Avro form of {@code labels}. */
    public static LabelsRecord toRecord(Labels labels) {
        List<ObjectLabelRecord> objects = new ArrayList<>(labels.objects().size());
        for (Labels.ObjectLabel o : labels.objects()) {
            objects.add(new ObjectLabelRecord(o.id(), o.target(), o.label()));
        }
        double[] sum = labels.sumTarget();
        Object sumTarget;
        if (sum == null) {
            sumTarget = null;
        } else if (sum.length == 1) {
            sumTarget = sum[0];
        } else {
            List<Double> values = new ArrayList<>(sum.length);
            for (double v : sum) {
                values.add(v);
            }
            sumTarget = values;
        }
        return new LabelsRecord(labels.series(), labels.timestep(), objects, sumTarget);
    }

    /** The lean form of a record Avro's own reader decoded (tests compare it with {@link LabelsAvroReader}). */
    static Labels fromRecord(LabelsRecord record) {
        List<Labels.ObjectLabel> objects = new ArrayList<>();
        for (ObjectLabelRecord o : record.getObjects()) {
            objects.add(new Labels.ObjectLabel(o.getId(), o.getTarget(), o.getLabel()));
        }
        Object sum = record.getSumTarget();
        double[] sumTarget = null;
        if (sum instanceof Double d) {
            sumTarget = new double[] {d};
        } else if (sum instanceof List<?> list) {
            sumTarget = list.stream().mapToDouble(v -> (Double) v).toArray();
        }
        return new Labels(record.getSeries(), record.getTimestep(), objects, sumTarget);
    }
}
