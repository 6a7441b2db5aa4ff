package io.streamfit.app.kind;

import io.streamfit.schemas.Timestep;

/**
 * One validated timestep on its way into a model's micro-batch: what a kind needs to assemble the
 * batch and to address the outputs. The stream processor's pending timesteps and backfill's
 * samples are both batch items, so the two feed a model through the same code.
 */
public interface BatchItem {

    /** The series (record key, else the record's {@code series}). */
    String series();

    /** The decoded record, checked by the kind's {@link Supervision}. */
    Timestep timestep();

    /** The record timestamp, epoch milliseconds, carried to the outputs. */
    long timestamp();

    /**
     * For a timestep whose labels came after it was predicted: what was served for it then. The
     * model trains on the timestep and the metrics score what was served; nothing is emitted, and
     * its features do not enter the feature statistics again. {@code null} for a timestep that is
     * predicted now (every other one).
     */
    default Served served() {
        return null;
    }
}
