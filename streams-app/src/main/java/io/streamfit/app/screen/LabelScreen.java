package io.streamfit.app.screen;

import java.util.HashSet;
import java.util.Set;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.kind.Supervision;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsValue;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TimestepLimits;

/**
 * The checks every record of the labels topic passes before it may join its features, as
 * {@link RecordScreen} does for the features: a value at all, at most {@code max.record.bytes},
 * a key (the series) of well-formed UTF-8 and at most {@code max.id.bytes}, decodable within the
 * limits ({@link LabelsValue}: JSON or Avro), a series, each object id at most once, and the kind's
 * {@link Supervision} for each object's truth and the sum target. Whether the labels fit their
 * features (ids among the features' objects, not labelled before) is the join's to check.
 */
public final class LabelScreen {

    /** A record that passed ({@code rejection} null) or why not. */
    public record Outcome(String series, Labels labels, Rejection rejection) {
    }

    /** Features of no value: the supervision checks look only at an object's truth. */
    private static final FeatureVector NO_FEATURES = new FeatureVector.Dense(new float[0]);

    private final Supervision supervision;
    private final int maxRecordBytes;
    private final int maxIdBytes;
    private final TimestepLimits limits;

    /**
     * @param supervision    the kind's rules for targets, labels and sums
     * @param maxObjects     the most objects a record may have ({@code max.objects})
     * @param maxRecordBytes larger record values are rejected unparsed ({@code max.record.bytes})
     * @param maxIdBytes     the longest key, series or object id in UTF-8 bytes ({@code max.id.bytes})
     * @param maxSumTargets  the most {@code sumTarget} values (1, or the classes of a classifier)
     */
    public LabelScreen(Supervision supervision, int maxObjects, int maxRecordBytes, int maxIdBytes, int maxSumTargets) {
        this.supervision = supervision;
        this.maxRecordBytes = maxRecordBytes;
        this.maxIdBytes = maxIdBytes;
        this.limits = new TimestepLimits(maxObjects, maxIdBytes, 0, Math.max(1, maxSumTargets));
    }

    public Outcome screen(byte[] key, byte[] value) {
        if (value == null) {
            return reject(Rejection.NULL_VALUE, "label value is null (a tombstone)");
        }
        if (value.length > maxRecordBytes) {
            return reject(Rejection.TOO_LARGE, "label value has " + value.length + " bytes, more than max.record.bytes="
                    + maxRecordBytes);
        }
        RecordKey screenedKey = RecordKey.screen(key, maxIdBytes);
        if (screenedKey.rejection() != null) {
            return new Outcome(null, null, screenedKey.rejection());
        }
        String keySeries = screenedKey.series();
        Labels labels;
        try {
            labels = LabelsValue.decode(value, limits);
        } catch (InvalidRecordException e) {
            return reject(e.reason(), e.getMessage());
        } catch (io.streamfit.schemas.SchemaRegistry.RegistryUnavailableException e) {
            throw e; // not the record's fault: never a dead letter
        } catch (RuntimeException e) {
            return reject(Rejection.UNPARSABLE, String.valueOf(e.getMessage()));
        }
        String series = keySeries != null ? keySeries : labels.series();
        if (series == null || series.isEmpty()) {
            return reject(Rejection.MISSING_SERIES, "neither the record key nor 'series' is set");
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < labels.objects().size(); i++) {
            Labels.ObjectLabel o = labels.objects().get(i);
            if (!ids.add(o.id())) {
                return new Outcome(series, labels, new Rejection(Rejection.LABEL_DUPLICATE,
                        "objects[" + i + "] labels object '" + o.id() + "' a second time in one record"));
            }
            Rejection r = supervision.checkObject(i, new Timestep.ObjectInput(o.id(), NO_FEATURES, o.target(),
                    o.label()));
            if (r != null) {
                return new Outcome(series, labels, r);
            }
        }
        return new Outcome(series, labels, supervision.checkSum(labels.sumTarget()));
    }

    private static Outcome reject(String reason, String message) {
        return new Outcome(null, null, new Rejection(reason, message));
    }
}
