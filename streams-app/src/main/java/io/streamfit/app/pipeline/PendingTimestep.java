package io.streamfit.app.pipeline;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.state.PendingCodec;
import io.streamfit.schemas.Timestep;

/**
 * A validated timestep waiting for its micro-batch. Its bytes live in the pending store (logged,
 * so that with exactly-once a record whose input offset was committed is either in the model or
 * still pending, never lost); the decoded form lives in memory.
 *
 * @param series    the series (record key or the record's {@code series})
 * @param timestep  the decoded record
 * @param timestamp the record timestamp, carried to the outputs
 * @param rawValue  the original value bytes, kept so that a restart can decode the record again
 * @param arrivedNanos when this instance buffered it ({@link System#nanoTime()}), for {@code batch.max.wait.ms}
 */
record PendingTimestep(String series, Timestep timestep, long timestamp, byte[] rawValue, long arrivedNanos)
        implements BatchItem {

    /** The pending store's value: timestamp, series and the original value bytes ({@link PendingCodec}). */
    byte[] encode() {
        return PendingCodec.encode(timestamp, series, rawValue);
    }

    /** The fields of a pending store value, not yet decoded into a timestep. */
    record Stored(long timestamp, String series, byte[] rawValue) {
        /** Reads either form {@link PendingCodec} accepts (this version's Avro record or the legacy layout). */
        static Stored decode(byte[] bytes) {
            var stored = PendingCodec.decode(bytes);
            return new Stored(stored.getTimestamp(), stored.getSeries(), PendingCodec.rawValue(stored));
        }
    }
}
