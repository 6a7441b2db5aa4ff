package io.streamfit.app.kind;

import io.streamfit.model.InputScaling;
import io.streamfit.schemas.avro.ModelCheckpoint;

/**
 * State that a kind keeps per model besides the network, the prequential statistics and the
 * counters (e.g. the autoencoder's anomaly threshold). It lives with the model in memory and is
 * written into the same checkpoint, so exactly-once covers it too.
 */
public interface ModelExtras {

    /** Adds this state to a checkpoint being written. */
    void save(ModelCheckpoint.Builder checkpoint);

    /** Replaces this state with the one in {@code checkpoint}; a checkpoint without it leaves it empty. */
    void restore(ModelCheckpoint checkpoint);

    /**
     * How the model's features are transformed before its network sees them, for an export that
     * takes raw features ({@code streamfit export}); null when they reach it as they are.
     */
    default InputScaling inputScaling() {
        return null;
    }

    /** An estimate of the heap this state holds, bytes, for the models' memory budget. */
    default long memoryBytes() {
        return 0;
    }

    /** No extra state. */
    ModelExtras NONE = new ModelExtras() {
        @Override
        public void save(ModelCheckpoint.Builder checkpoint) {
        }

        @Override
        public void restore(ModelCheckpoint checkpoint) {
        }
    };
}
