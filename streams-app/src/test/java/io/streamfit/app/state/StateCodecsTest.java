package io.streamfit.app.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.errors.Origin;
import io.streamfit.model.seq.StreamingQuantile;
import io.streamfit.schemas.AvroSerde;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.PendingTimestep;
import io.streamfit.schemas.avro.ThresholdState;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The codecs' current form: round trips, version checks and what they refuse. */
class StateCodecsTest {

    private static ModelCheckpoint checkpoint(Map<String, Double> metrics, ThresholdState threshold) {
        return ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("s").setSpecFingerprint("f")
                .setModelVersion(1).setModelState(ByteBuffer.wrap(new byte[] {1})).setMetrics(metrics)
                .setLastTimesteps(Map.of()).setRecords(1).setUpdatedAtMs(2).setThreshold(threshold).build();
    }

    @Test
    void pendingValuesAreAvroAndRoundTripWithTheWholeInputRecord() {
        byte[] raw = "{\"timestep\":3,\"objects\":[]}".getBytes(StandardCharsets.UTF_8);
        byte[] key = {'k', 0, (byte) 0xff};
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        headers.add("empty", null);
        headers.add("streamfit.origin.topic", "forged".getBytes(StandardCharsets.UTF_8));
        headers.add("trace", "second".getBytes(StandardCharsets.UTF_8));
        Origin origin = new Origin("features", 4, 1234L, key, raw, headers, 1_700_000_000_123L);

        byte[] value = PendingCodec.encode("plant-\u00e9", origin);
        PendingTimestep back = PendingCodec.decode(value);
        Origin restored = PendingCodec.origin(back);

        assertThat(AvroSerde.isSingleObjectEncoded(value)).isTrue();
        assertThat(back.getFormatVersion()).isEqualTo(PendingCodec.FORMAT).isEqualTo(2);
        assertThat(back.getTimestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(back.getSeries()).isEqualTo("plant-\u00e9");
        assertThat(PendingCodec.rawValue(back)).isEqualTo(raw);
        assertThat(restored.topic()).isEqualTo("features");
        assertThat(restored.partition()).isEqualTo(4);
        assertThat(restored.offset()).isEqualTo(1234L);
        assertThat(restored.key()).isEqualTo(key);
        assertThat(restored.value()).isEqualTo(raw);
        assertThat(restored.timestamp()).isEqualTo(1_700_000_000_123L);
        // In their order, a header without a value kept as such, streamfit's own left out.
        assertThat(restored.headers().toArray()).extracting(Header::key).containsExactly("trace", "empty", "trace");
        assertThat(restored.headers().toArray()[1].value()).isNull();
        assertThat(restored.headers().lastHeader("trace").value()).isEqualTo("second".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aPendingRecordWithoutAKeyKeepsItsKeyNull() {
        Origin origin = new Origin("features", 0, 0L, null, new byte[] {'{', '}'}, new RecordHeaders(), 5L);

        Origin restored = PendingCodec.origin(PendingCodec.decode(PendingCodec.encode("from-the-value", origin)));

        assertThat(restored.key()).isNull();
        assertThat(restored.headers().toArray()).isEmpty();
    }

    @Test
    void windowValuesAreAvroAndRoundTripBitForBit() {
        float[] values = {1.5f, -0.0f, Float.NaN, Float.MIN_VALUE, Float.POSITIVE_INFINITY, 3e38f};

        byte[] value = WindowCodec.encode(7, 3, 2, values);
        ObjectWindowState back = WindowCodec.decode(value);
        float[] copied = new float[values.length];
        WindowCodec.copyValues(back, copied);

        assertThat(AvroSerde.isSingleObjectEncoded(value)).isTrue();
        assertThat(back.getFormatVersion()).isEqualTo(WindowCodec.FORMAT);
        assertThat(back.getCount()).isEqualTo(7);
        assertThat(back.getWindow()).isEqualTo(3);
        assertThat(back.getFeatures()).isEqualTo(2);
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits(copied[i])).as("value %d", i).isEqualTo(Float.floatToRawIntBits(values[i]));
        }
        assertThatThrownBy(() -> WindowCodec.encode(7, 3, 2, new float[5])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAvroWindowWhoseValuesDoNotFitItsShapeIsRefused() {
        byte[] value = StreamfitSerdes.objectWindowState().encode(
                new ObjectWindowState(WindowCodec.FORMAT, 1L, 2, 2, List.of(1f, 2f, 3f)));

        assertThatThrownBy(() -> WindowCodec.decode(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 x 2 with 3 values");
    }

    @Test
    void valuesOfAnUnknownFormatVersionAreRefused() {
        byte[] pending = StreamfitSerdes.pendingTimestep().encode(
                new PendingTimestep(3, 1L, "s", ByteBuffer.wrap(new byte[] {'{'}), null, List.of(), "", -1, -1L));
        byte[] window = StreamfitSerdes.objectWindowState().encode(new ObjectWindowState(2, 1L, 1, 1, List.of(1f)));
        ModelCheckpoint cp = checkpoint(Map.of(), new ThresholdState(2, 0.9, 10, 1, 1L, List.of(1.0)));

        assertThatThrownBy(() -> PendingCodec.decode(pending)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("format version 3").hasMessageContaining("versions 1 to 2");
        assertThatThrownBy(() -> WindowCodec.decode(window)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("format version 2");
        assertThatThrownBy(() -> ThresholdCodec.scores(cp)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("format version 2");
    }

    @Test
    void aCorruptAvroValueIsAnInvalidRecordNotAGuess() {
        byte[] value = PendingCodec.encode("s", new Origin("t", 0, 0L, null, new byte[] {'{', '}'}, null, 1L));
        byte[] truncated = java.util.Arrays.copyOf(value, value.length - 1);

        assertThatThrownBy(() -> PendingCodec.decode(truncated)).isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void theThresholdRoundTripsThroughTheCheckpointAndRebuildsTheSameVerdicts() {
        Random r = new Random(3);
        StreamingQuantile q = new StreamingQuantile(0.9, 20, 5);
        for (int i = 0; i < 37; i++) {
            q.add(r.nextDouble());
        }
        ThresholdState record = ThresholdCodec.toRecord(q);
        ModelCheckpoint cp = StreamfitSerdes.modelCheckpoint().decode(
                StreamfitSerdes.modelCheckpoint().encode(checkpoint(Map.of(), record)));

        assertThat(cp.getThreshold().getQuantile()).isEqualTo(0.9);
        assertThat(cp.getThreshold().getCapacity()).isEqualTo(20);
        assertThat(cp.getThreshold().getWarmup()).isEqualTo(5);
        assertThat(cp.getThreshold().getSeen()).isEqualTo(37);
        assertThat(ThresholdCodec.scores(cp)).containsExactly(q.scores());
        StreamingQuantile restored = new StreamingQuantile(0.9, 20, 5);
        ThresholdCodec.restore(cp, restored);
        for (int i = 0; i < 30; i++) {
            double s = r.nextDouble() * 1.1;
            assertThat(restored.observe(s)).isEqualTo(q.observe(s));
        }
    }

    @Test
    void aSmallerConfiguredWindowKeepsTheNewestScores() {
        StreamingQuantile q = new StreamingQuantile(0.5, 10, 1);
        for (int i = 1; i <= 10; i++) {
            q.add(i);
        }
        StreamingQuantile smaller = new StreamingQuantile(0.5, 3, 1);

        ThresholdCodec.restore(checkpoint(Map.of(), ThresholdCodec.toRecord(q)), smaller);

        assertThat(smaller.scores()).containsExactly(8.0, 9.0, 10.0);
    }

    @Test
    void theFieldWinsOverLegacyEntriesAndNeitherMeansNoThreshold() {
        StreamingQuantile q = new StreamingQuantile(0.5, 10, 1);
        q.add(4.0);
        Map<String, Double> legacy = Map.of("anomaly.size", 1.0, "anomaly.score.0", 99.0);

        assertThat(ThresholdCodec.scores(checkpoint(legacy, ThresholdCodec.toRecord(q)))).containsExactly(4.0);
        assertThat(ThresholdCodec.scores(checkpoint(legacy, null))).containsExactly(99.0);
        assertThat(ThresholdCodec.scores(checkpoint(Map.of("prequential.total.objects", 3.0), null))).isNull();
        StreamingQuantile empty = new StreamingQuantile(0.5, 10, 1);
        ThresholdCodec.restore(checkpoint(Map.of(), null), empty);
        assertThat(empty.size()).isZero();
    }

    @Test
    void incompleteOrImplausibleLegacyEntriesAreRefused() {
        Map<String, Double> missing = new HashMap<>(Map.of("anomaly.size", 2.0, "anomaly.score.0", 1.0));
        Map<String, Double> huge = Map.of("anomaly.size", 1e9, "anomaly.score.0", 1.0);

        assertThatThrownBy(() -> ThresholdCodec.scores(checkpoint(missing, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("lacks anomaly.score.1 of 2");
        assertThatThrownBy(() -> ThresholdCodec.scores(checkpoint(huge, null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("size 1.0E9");
    }
}
