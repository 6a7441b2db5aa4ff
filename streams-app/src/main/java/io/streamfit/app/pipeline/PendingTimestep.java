package io.streamfit.app.pipeline;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.state.PendingCodec;
import io.streamfit.schemas.Timestep;

/**
 * A validated timestep waiting for its micro-batch. Its bytes live in the pending store (logged,
 * so that with exactly-once a record whose input offset was committed is either in the model or
 * still pending, never lost); the decoded form lives in memory.
 *
 * @param series       the series (record key or the record's {@code series})
 * @param timestep     the decoded record
 * @param origin       the input record as it arrived (value, key, headers, timestamp) and where it
 *                     came from: a restart decodes the value again, and a failed model call
 *                     dead-letters the record with all of it
 * @param arrivedNanos when this instance buffered it ({@link System#nanoTime()}), for {@code batch.max.wait.ms}
 */
record PendingTimestep(String series, Timestep timestep, Origin origin, long arrivedNanos) implements BatchItem {

    /** The record timestamp, carried to the outputs. */
    @Override
    public long timestamp() {
        return origin.timestamp();
    }

    /** The original value bytes. */
    byte[] rawValue() {
        return origin.value();
    }

    /** The pending store's value ({@link PendingCodec}): series and the whole input record. */
    byte[] encode() {
        return PendingCodec.encode(series, origin);
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
