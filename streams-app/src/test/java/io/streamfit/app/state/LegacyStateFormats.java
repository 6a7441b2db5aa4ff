package io.streamfit.app.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * The state stores' values as streamfit wrote them before every store value became an Avro
 * record (up to commit 8e6b234): copies of that code, kept as the reference the codecs must still
 * read. Not to be "fixed": these bytes are in existing changelogs.
 */
final class LegacyStateFormats {

    /** {@code schemas/src/main/avro/ModelCheckpoint.avsc} as it was: no {@code threshold} field. */
    static final Schema MODEL_CHECKPOINT_SCHEMA = new Schema.Parser().parse("""
            {
              "type": "record",
              "name": "ModelCheckpoint",
              "namespace": "io.streamfit.schemas.avro",
              "fields": [
                {"name": "formatVersion", "type": "int"},
                {"name": "modelKey", "type": "string"},
                {"name": "specFingerprint", "type": "string"},
                {"name": "modelVersion", "type": "long"},
                {"name": "modelState", "type": "bytes"},
                {"name": "metrics", "type": {"type": "map", "values": "double"}},
                {"name": "lastTimesteps", "type": {"type": "map", "values": "long"}},
                {"name": "records", "type": "long"},
                {"name": "updatedAtMs", "type": "long"}
              ]
            }
            """);

    private LegacyStateFormats() {
    }

    /** {@code PendingTimestep.encode()}: the pending store's value. */
    static byte[] pending(long timestamp, String series, byte[] rawValue) {
        byte[] s = series.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + 4 + s.length + rawValue.length);
        buf.putLong(timestamp).putInt(s.length).put(s).put(rawValue);
        return buf.array();
    }

    /** {@code ObjectWindow.encode()}: the window store's value. */
    static byte[] window(long count, int window, int features, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(8 + 4 + 4 + 4 * values.length);
        buf.putLong(count).putInt(window).putInt(features);
        buf.asFloatBuffer().put(values);
        return buf.array();
    }

    /** {@code ThresholdState.write(q, metrics)}: the threshold's window in the checkpoint's metrics. */
    static void threshold(StreamingQuantile q, Map<String, Double> metrics) {
        ByteBuffer state = ByteBuffer.wrap(q.exportState()).order(ByteOrder.LITTLE_ENDIAN);
        // exportState's layout: magic, q, capacity, minCount, seen, n, n scores oldest first.
        state.position(4 + 8 + 4 + 4);
        state.getLong(); // seen: only informative
        int n = state.getInt();
        metrics.put("anomaly.size", (double) n);
        for (int i = 0; i < n; i++) {
            metrics.put("anomaly.score." + i, state.getDouble());
        }
    }

    /**
     * {@code StreamfitSerdes.modelCheckpoint().encode(cp)} with the schema above: the model
     * store's value ({@code cp}'s threshold field, which that schema lacks, is not written).
     */
    static byte[] checkpoint(ModelCheckpoint cp) {
        GenericRecord old = new GenericData.Record(MODEL_CHECKPOINT_SCHEMA);
        old.put("formatVersion", cp.getFormatVersion());
        old.put("modelKey", cp.getModelKey());
        old.put("specFingerprint", cp.getSpecFingerprint());
        old.put("modelVersion", cp.getModelVersion());
        old.put("modelState", cp.getModelState().duplicate());
        old.put("metrics", cp.getMetrics());
        old.put("lastTimesteps", cp.getLastTimesteps());
        old.put("records", cp.getRecords());
        old.put("updatedAtMs", cp.getUpdatedAtMs());
        try {
            ByteBuffer b = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), MODEL_CHECKPOINT_SCHEMA).encode(old);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
