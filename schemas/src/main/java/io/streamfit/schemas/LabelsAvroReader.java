package io.streamfit.schemas;

import io.streamfit.schemas.avro.LabelsRecord;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.SchemaNormalization;

/**
 * Reads Avro single-object encoding of {@link LabelsRecord} straight into {@link Labels}, within
 * {@link TimestepLimits} (object count, id length, {@code sumTarget} length), for the reasons and
 * with the checks of {@link TimestepAvroReader}: every declared length and count is checked against
 * the bytes left before anything is allocated, so a corrupt value cannot make the reader allocate
 * more than a few times its own bytes, whatever Avro's {@code org.apache.avro.limits.*} are.
 *
 * <p>It refuses what {@link LabelsJson} refuses, with the same reasons: no object labels and no
 * {@code sumTarget} ({@code missing-field} at {@code objects}), an object with neither
 * {@code target} nor {@code label} ({@code missing-field} at {@code objects[i].target}).
 *
 * <p>Only the exact writer schema of {@code LabelsRecord.avsc} (its fingerprint) is read, anything
 * else is {@code unknown-schema}; {@code LabelsAvroReaderTest} pins the layout and compares this
 * reader with Avro's on random records. One instance per value; not thread-safe.
 */
final class LabelsAvroReader extends BoundedAvroReader {

    /** CRC-64-AVRO fingerprint of the one writer schema this reader knows. */
    static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(LabelsRecord.getClassSchema());

    private static final String TYPE = LabelsRecord.class.getSimpleName();
    /** The smallest object: empty id, null target, null label. */
    private static final int MIN_OBJECT_BYTES = 3;

    private LabelsAvroReader(byte[] data, TimestepLimits limits) {
        super(data, limits, TYPE);
    }

    /**
     * Decodes one value.
     *
     * @throws InvalidRecordException {@code empty}, {@code unknown-schema}, {@code unparsable} (malformed,
     *                                truncated, trailing bytes, malformed UTF-8), {@code missing-field},
     *                                or a limit's code ({@code too-many-objects}, {@code too-large},
     *                                {@code wrong-feature-count})
     */
    static Labels read(byte[] data, TimestepLimits limits) {
        checkFingerprint(data, TYPE, FINGERPRINT);
        return new LabelsAvroReader(data, limits).record();
    }

    private Labels record() {
        at("series");
        String series = unionIndex(2) == 0 ? null : id();
        at("timestep");
        long timestep = readLong();
        List<Labels.ObjectLabel> objects = objects();
        double[] sumTarget = sumTarget();
        atEnd();
        if (objects.isEmpty() && sumTarget == null) {
            throw new InvalidRecordException(InvalidRecordException.MISSING_FIELD, "objects",
                    "no object labels and no sumTarget: the record labels nothing");
        }
        return new Labels(series, timestep, objects, sumTarget);
    }

    private List<Labels.ObjectLabel> objects() {
        List<Labels.ObjectLabel> objects = new ArrayList<>();
        for (long count = objectBlock(0, MIN_OBJECT_BYTES); count > 0;
                count = objectBlock(objects.size(), MIN_OBJECT_BYTES)) {
            for (long k = 0; k < count; k++) {
                object = objects.size();
                objects.add(object());
            }
            object = -1;
        }
        return objects;
    }

    private Labels.ObjectLabel object() {
        at("id");
        String id = id();
        at("target");
        Double target = unionIndex(2) == 0 ? null : readDouble();
        at("label");
        Integer label = unionIndex(2) == 0 ? null : readInt();
        if (target == null && label == null) {
            at("target");
            throw error(InvalidRecordException.MISSING_FIELD, "neither target nor label is given");
        }
        return new Labels.ObjectLabel(id, target, label);
    }
}
