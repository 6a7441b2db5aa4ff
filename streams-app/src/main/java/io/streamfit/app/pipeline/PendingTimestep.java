package io.streamfit.app.pipeline;

import java.util.List;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.Served;
import io.streamfit.app.state.PendingCodec;
import io.streamfit.schemas.Timestep;

/**
 * A validated timestep waiting for its micro-batch. Its bytes live in the pending store (logged,
 * so that with exactly-once a record whose input offset was committed is either in the model or
 * still pending, never lost); the decoded form lives in memory.
 *
 * @param series       the series (record key or the record's {@code series})
 * @param timestep     the decoded record; joined with its labels when {@code join} says so
 * @param origin       the input record as it arrived (value, key, headers, timestamp) and where it
 *                     came from: a restart decodes the value again, and a failed model call
 *                     dead-letters the record with all of it. For a label joined to waiting
 *                     features, the label record.
 * @param arrivedNanos when this instance buffered it ({@link System#nanoTime()}), for {@code batch.max.wait.ms}
 * @param join         the delayed-labels part ({@link LabelJoin}), or {@code null} for a record as it came
 */
record PendingTimestep(String series, Timestep timestep, Origin origin, long arrivedNanos, Join join)
        implements BatchItem {

    /**
     * How a timestep met its labels.
     *
     * @param served   for a label joined to features that were predicted before: what was served
     *                 then ({@link BatchItem#served}); {@code null} for features predicted now
     * @param features with {@code served}: the features record (kept until the batch runs); else null
     * @param labels   the label records joined into {@link #timestep} (those that came before the
     *                 features, or the one that came after)
     */
    record Join(Served served, Origin features, List<Origin> labels) {
        Join {
            labels = List.copyOf(labels);
        }
    }

    /** A record as it came. */
    PendingTimestep(String series, Timestep timestep, Origin origin, long arrivedNanos) {
        this(series, timestep, origin, arrivedNanos, null);
    }

    /** The record timestamp, carried to the outputs. */
    @Override
    public long timestamp() {
        return origin.timestamp();
    }

    @Override
    public Served served() {
        return join == null ? null : join.served();
    }

    /**
     * Whether the features, once predicted, wait for labels: they came without any truth (targets,
     * labels, sum target), though labels that came first may have given them some.
     */
    boolean awaitsLabels() {
        if (join != null) {
            return join.served() == null;
        }
        return !LabelJoin.hasTruth(timestep);
    }

    /** The original value bytes. */
    byte[] rawValue() {
        return origin.value();
    }

    /**
     * The pending store's value: a record as it came in {@link PendingCodec}'s form (series and the
     * whole input record); a timestep joined with labels in {@link io.streamfit.app.state.LabelCodec}'s.
     */
    byte[] encode() {
        if (join == null || (join.served() == null && join.labels().isEmpty())) {
            return PendingCodec.encode(series, origin);
        }
        return LabelJoin.encodePending(this);
    }

    /** The fields of a pending store value, not yet decoded into a timestep. */
    record Stored(String series, Origin origin) {
        /** Reads any form {@link PendingCodec} accepts (this version's, the previous one, the legacy layout). */
        static Stored decode(byte[] bytes) {
            var stored = PendingCodec.decode(bytes);
            return new Stored(stored.getSeries(), PendingCodec.origin(stored));
        }
    }
}
