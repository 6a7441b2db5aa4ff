package io.streamfit.app.state;

import java.nio.ByteBuffer;
import java.util.Map;

import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OnlineModel;
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
        return builder(key, spec, model, metrics, lastTimesteps, records, nowMs).build();
    }

    /** {@link #of}'s checkpoint, still open for a kind to add its own state. */
    public static ModelCheckpoint.Builder builder(String key, ModelSpec spec, OnlineModel model,
                                                  Map<String, Double> metrics, Map<String, Long> lastTimesteps,
                                                  long records, long nowMs) {
        return builder(key, spec.fingerprint(), model, metrics, lastTimesteps, records, nowMs);
    }

    /**
     * {@link #builder(String, ModelSpec, OnlineModel, Map, Map, long, long)} with the spec's
     * {@link ModelSpec#fingerprint()} computed once by the caller (it formats every setting; with a
     * checkpoint per micro-batch JFR put it at 1.5% of the stream thread's samples).
     */
    public static ModelCheckpoint.Builder builder(String key, String specFingerprint, OnlineModel model,
                                                  Map<String, Double> metrics, Map<String, Long> lastTimesteps,
                                                  long records, long nowMs) {
        return ModelCheckpoint.newBuilder()
                .setFormatVersion(FORMAT)
                .setModelKey(key)
                .setSpecFingerprint(specFingerprint)
                .setModelVersion(model.version())
                .setModelState(ByteBuffer.wrap(model.exportState()))
                .setMetrics(Map.copyOf(metrics))
                .setLastTimesteps(Map.copyOf(lastTimesteps))
                .setRecords(records)
                .setUpdatedAtMs(nowMs);
    }

    /**
     * Loads {@code cp} into {@code model}, as the champion of an application whose id the
     * message leaves out ({@link #restore(ModelCheckpoint, ModelSpec, OnlineModel, String,
     * SettingsChange.Variant)}).
     */
    public static int restore(ModelCheckpoint cp, ModelSpec spec, OnlineModel model) {
        return restore(cp, spec, model, null, SettingsChange.Variant.CHAMPION);
    }

    /**
     * Loads {@code cp} into {@code model}. A checkpoint trained under other settings of the same
     * shape loads: its weights, and its optimizer state when the same optimizer wrote it; the
     * configured settings apply from the next update ({@link SettingsChange}).
     *
     * @param applicationId named in the refusal; null: "this application.id"
     * @param variant       whose model it is, for the keys the refusal names
     * @return the size of the model state in bytes
     * @throws ModelMismatchException when the checkpoint was trained under settings that shape
     *                                the weights otherwise: one line with the settings and the
     *                                ways out ({@link SettingsChange#refusal})
     */
    public static int restore(ModelCheckpoint cp, ModelSpec spec, OnlineModel model, String applicationId,
                              SettingsChange.Variant variant) {
        refuseOtherShape(cp, spec, applicationId, variant);
        ByteBuffer buf = cp.getModelState().duplicate();
        byte[] state = new byte[buf.remaining()];
        buf.get(state);
        model.importState(state);
        return state.length;
    }

    /**
     * @throws ModelMismatchException when {@code cp} was trained under settings that shape the
     *                                weights otherwise than {@code spec}'s
     */
    public static void refuseOtherShape(ModelCheckpoint cp, ModelSpec spec, String applicationId,
                                        SettingsChange.Variant variant) {
        SettingsChange change = SettingsChange.of(cp.getSpecFingerprint(), spec);
        if (change != null && change.reshapes()) {
            throw new ModelMismatchException(change.refusal(applicationId, variant));
        }
    }

    /** The model state's size in bytes. */
    public static int stateBytes(ModelCheckpoint cp) {
        return cp.getModelState().remaining();
    }
}
