package io.streamfit.app.pipeline;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.streamfit.app.kind.BatchItem;
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

    /** The pending store's value: timestamp, series and the original value bytes. */
    byte[] encode() {
        byte[] s = series.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + 4 + s.length + rawValue.length);
        buf.putLong(timestamp).putInt(s.length).put(s).put(rawValue);
        return buf.array();
    }

    /** The fields of a pending store value, not yet decoded into a timestep. */
    record Stored(long timestamp, String series, byte[] rawValue) {
        static Stored decode(byte[] bytes) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            long timestamp = buf.getLong();
            byte[] s = new byte[buf.getInt()];
            buf.get(s);
            byte[] raw = new byte[buf.remaining()];
            buf.get(raw);
            return new Stored(timestamp, new String(s, StandardCharsets.UTF_8), raw);
        }
    }
}
