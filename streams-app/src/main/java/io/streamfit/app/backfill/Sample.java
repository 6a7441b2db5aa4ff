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
 * @param timestep  the decoded, validated record
 */
public record Sample(String modelKey, String series, int partition, Timestep timestep) implements BatchItem {

    /** History records are trained, not emitted: their timestamp is not needed. */
    @Override
    public long timestamp() {
        return 0L;
    }
}
