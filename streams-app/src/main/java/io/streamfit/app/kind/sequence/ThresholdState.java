package io.streamfit.app.kind.sequence;

import io.streamfit.app.state.ThresholdCodec;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.avro.ModelCheckpoint;

/**
 * Keeps a model's anomaly threshold ({@link StreamingQuantile}) in its checkpoint's
 * {@code threshold} field, so that it is written with the model in the same store put
 * (exactly-once); checkpoints without it (every kind but {@code seq-autoencoder}) stay as they
 * were, and those of earlier versions, which kept it in the {@code metrics} map, are still read.
 * The format is {@link ThresholdCodec}'s.
 */
final class ThresholdState {

    private ThresholdState() {
    }

    /** The checkpoint's {@code threshold} field for {@code q}. */
    static io.streamfit.schemas.avro.ThresholdState write(StreamingQuantile q) {
        return ThresholdCodec.toRecord(q);
    }

    /**
     * Restores the threshold state of {@code cp} into {@code q} (a quantile of the configured q,
     * window and warm-up); leaves {@code q} empty when {@code cp} has none. A smaller configured
     * window keeps the newest scores.
     */
    static void read(ModelCheckpoint cp, StreamingQuantile q) {
        ThresholdCodec.restore(cp, q);
    }
}
