package io.streamfit.app.processor;

import java.nio.ByteBuffer;
import java.util.Map;

import io.streamfit.model.ModelSpec;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.avro.ModelCheckpoint;

/**
 * The model store's value, written and read in one place: the stream processor checkpoints
 * through it after every micro-batch, and {@code backfill} writes its trained models through it
 * into the same changelog, so that {@code run} starts from either without telling them apart.
 */
public final class ModelCheckpoints {

    /** Version of the checkpoint's layout ({@link ModelCheckpoint#getFormatVersion()}). */
    public static final int FORMAT = 1;

    private ModelCheckpoints() {
    }

    /**
     * A checkpoint of {@code model}'s whole state.
     *
     * @param metrics       the processor's named running numbers (prequential sums, threshold state)
     * @param lastTimesteps last timestep per series that the model has learned from
     * @param records       input records the model has processed
     * @param nowMs         wall-clock time of the checkpoint, epoch milliseconds
     */
    public static ModelCheckpoint of(String key, ModelSpec spec, OnlineModel model, Map<String, Double> metrics,
                                     Map<String, Long> lastTimesteps, long records, long nowMs) {
        return of(key, spec, model, metrics, lastTimesteps, records, nowMs, null);
    }

    /**
     * A checkpoint of {@code model}'s whole state and, for {@code seq-autoencoder}, its anomaly
     * threshold.
     *
     * @param threshold the model's anomaly threshold, or null for the kinds without one
     */
    public static ModelCheckpoint of(String key, ModelSpec spec, OnlineModel model, Map<String, Double> metrics,
                                     Map<String, Long> lastTimesteps, long records, long nowMs,
                                     StreamingQuantile threshold) {
        return ModelCheckpoint.newBuilder()
                .setFormatVersion(FORMAT)
                .setModelKey(key)
                .setSpecFingerprint(spec.fingerprint())
                .setModelVersion(model.version())
                .setModelState(ByteBuffer.wrap(model.exportState()))
                .setMetrics(Map.copyOf(metrics))
                .setLastTimesteps(Map.copyOf(lastTimesteps))
                .setRecords(records)
                .setUpdatedAtMs(nowMs)
                .setThreshold(threshold == null ? null : ThresholdState.write(threshold))
                .build();
    }

    /**
     * Loads {@code cp} into {@code model}.
     *
     * @return the size of the model state in bytes
     * @throws ModelMismatchException when the checkpoint was trained under another model spec
     */
    public static int restore(ModelCheckpoint cp, ModelSpec spec, OnlineModel model) {
        if (!spec.fingerprint().equals(cp.getSpecFingerprint())) {
            throw new ModelMismatchException("The checkpoint of model '" + cp.getModelKey() + "' was trained as "
                    + cp.getSpecFingerprint() + " but the configuration now says " + spec.fingerprint()
                    + ". Use a new application.id for a different model, or reset the application.");
        }
        ByteBuffer buf = cp.getModelState().duplicate();
        byte[] state = new byte[buf.remaining()];
        buf.get(state);
        model.importState(state);
        return state.length;
    }

    /** The model state's size in bytes. */
    public static int stateBytes(ModelCheckpoint cp) {
        return cp.getModelState().remaining();
    }
}
