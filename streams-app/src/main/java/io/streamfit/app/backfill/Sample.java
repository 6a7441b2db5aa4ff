package io.streamfit.app.backfill;

import io.streamfit.app.kind.BatchItem;
import io.streamfit.schemas.Timestep;

/**
 * One history record that passed every check of the stream processor, ready to train on.
 *
 * @param modelKey  the model it trains: the series, or {@code global} for {@code model.scope=global}
 * @param series    the series (record key, else the value's {@code series})
 * @param partition the partition of the model's task, so of its changelog record: the input
 *                  partition for {@code model.scope=series}, 0 for {@code global}
 * @param timestep  the decoded, validated record; for a label, the features it joined with the label's truths
 * @param label     whether a label record that came after its features made it (the features were a
 *                  sample of their own already): it trains, but is not a record of the features topic
 */
public record Sample(String modelKey, String series, int partition, Timestep timestep, boolean label)
        implements BatchItem {

    /** A record of the features topic. */
    public Sample(String modelKey, String series, int partition, Timestep timestep) {
        this(modelKey, series, partition, timestep, false);
    }

    /** History records are trained, not emitted: their timestamp is not needed. */
    @Override
    public long timestamp() {
        return 0L;
    }
}
