package io.streamfit.app.state;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.errors.Origin;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.LabelHeader;
import io.streamfit.schemas.avro.LabelInput;
import io.streamfit.schemas.avro.LabelWait;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The delayed-labels join's values ({@code LabelWait.avsc}, Avro single-object encoding, format
 * version 1): in the labels store, and in the pending store beside {@link PendingCodec}'s values,
 * from which they are told apart by their schema fingerprint ({@link #isLabelWait}).
 */
public final class LabelCodec {

    /** {@code formatVersion} this build writes and reads. */
    public static final int FORMAT = 1;

    /** Labels that came before their features wait (labels store). */
    public static final int LABELS_WAIT = 1;
    /** Features without targets wait for their labels, with what was served for them (labels store). */
    public static final int FEATURES_WAIT = 2;
    /** Every object got its label: the flags stay against duplicates until a bound passes (labels store). */
    public static final int LABELLED = 3;
    /** Features that met the labels that came first, waiting for their micro-batch (pending store). */
    public static final int PENDING_FEATURES = 4;
    /** A label joined to waiting features, waiting for its micro-batch (pending store). */
    public static final int PENDING_LABEL = 5;

    private LabelCodec() {
    }

    public static byte[] encode(LabelWait value) {
        return StreamfitSerdes.labelWait().encode(value);
    }

    /**
     * @throws IllegalStateException for a format version this build does not know
     * @throws io.streamfit.schemas.InvalidRecordException for bytes that are not a {@code LabelWait}
     */
    public static LabelWait decode(byte[] value) {
        LabelWait w = StreamfitSerdes.labelWait().decode(value);
        FormatVersion.require("labels store value", w.getFormatVersion(), FORMAT);
        return w;
    }

    /** Whether a pending store value is a {@code LabelWait} (else a {@link PendingCodec} value). */
    public static boolean isLabelWait(byte[] value) {
        return AvroSerde.isSingleObjectEncoded(value) && StreamfitSerdes.labelWait().reads(value);
    }

    /** A new value of {@code stage}, with no records, served predictions or flags yet. */
    public static LabelWait.Builder builder(int stage, String series, long timestep) {
        // Every field set here: the generated builder's defaults would look classes up by name,
        // which Avro's class security check refuses (see CompiledClassesData in the schemas module).
        return LabelWait.newBuilder().setFormatVersion(FORMAT).setStage(stage).setSeries(series)
                .setTimestep(timestep).setFeatures(null).setLabels(new ArrayList<>()).setModelVersion(-1)
                .setPredictions(new ArrayList<>()).setProbabilities(new ArrayList<>()).setSumPrediction(0)
                .setExpectedCounts(new ArrayList<>()).setLabelled(new ArrayList<>()).setSumLabelled(false)
                .setMatched(0);
    }

    /** An input record as the join keeps it. */
    public static LabelInput input(Origin origin) {
        List<LabelHeader> headers = new ArrayList<>();
        for (Header h : origin.headers()) {
            if (!Origin.isInternal(h.key())) {
                headers.add(new LabelHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
            }
        }
        byte[] value = origin.value() == null ? new byte[0] : origin.value();
        return new LabelInput(origin.timestamp(), ByteBuffer.wrap(value),
                origin.key() == null ? null : ByteBuffer.wrap(origin.key()), headers, origin.topic(),
                origin.partition(), origin.offset());
    }

    /** The input record {@code in} holds. */
    public static Origin origin(LabelInput in) {
        RecordHeaders headers = new RecordHeaders();
        for (LabelHeader h : in.getHeaders()) {
            headers.add(h.getKey(), h.getValue() == null ? null : bytes(h.getValue()));
        }
        return new Origin(in.getTopic(), in.getPartition(), in.getOffset(),
                in.getKey() == null ? null : bytes(in.getKey()), bytes(in.getRawValue()), headers, in.getTimestamp());
    }

    /** {@code values} as a list for a field of floats. */
    public static List<Float> floats(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) {
            out.add(v);
        }
        return out;
    }

    /** A field of floats as an array. */
    public static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
