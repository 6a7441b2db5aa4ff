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
}
