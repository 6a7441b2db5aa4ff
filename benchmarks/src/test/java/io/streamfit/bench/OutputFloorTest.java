package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

class OutputFloorTest {

    private static final int K = 32;
    private static final Pattern PREDICTION = Pattern.compile("\"prediction\":(-?[0-9.]+)[,}]");

    @Test
    void perObjectValuesAreKObjectPredictionsOfTheContractAndTheSum() {
        OutputFloor.Values values = OutputFloor.Values.of(K, "per-object", 4);
        OutputFloor.Values.Variant first = values.variants().get(0);

        assertThat(first.objects()).hasSize(K);
        for (int i = 0; i < K; i++) {
            ObjectPrediction p = StreamfitSerdes.objectPrediction().deserializer().deserialize("t", first.objects().get(i));
            assertThat(p.getObject()).isEqualTo("obj-" + i);
            assertThat(p.getTarget()).as("a 4-decimal target").isNotNull()
                    .satisfies(t -> assertThat(Math.round(t * 10_000) / 10_000.0).isEqualTo(t));
            // A float32 prediction, written as the float's shortest decimal (at most 9 digits), as the service does.
            Matcher m = PREDICTION.matcher(new String(first.objects().get(i), StandardCharsets.UTF_8));
            assertThat(m.find()).isTrue();
            assertThat(m.group(1).replaceAll("[^0-9]", "").replaceFirst("^0+", "")).hasSizeLessThanOrEqualTo(9);
        }
        SumPrediction sum = StreamfitSerdes.sumPrediction().deserializer().deserialize("t", first.sum());
        assertThat(sum.getObjects()).isEqualTo(K);
        // The size of what streamfit writes for one such input: about 150 bytes an object.
        assertThat(values.bytes()).isBetween(K * 120, K * 200);
    }

    @Test
    void perTimestepValueIsOneRecordOfEveryObject() {
        OutputFloor.Values values = OutputFloor.Values.of(K, "per-timestep", 4);

        assertThat(values.variants().get(0).objects()).hasSize(1);
        TimestepPredictions t = StreamfitSerdes.timestepPredictions().deserializer().deserialize("t",
                values.variants().get(0).objects().get(0));
        assertThat(t.getObjects()).hasSize(K);
        assertThat(t.getObjects().get(K - 1).getId()).isEqualTo("obj-" + (K - 1));
        assertThat(values.bytes()).isLessThan(OutputFloor.Values.of(K, "per-object", 4).bytes());
    }

    @Test
    void inputsCycleThroughVariantsThatCompressLikeTheServicesOutputsNotLikeOneRecordRepeated() {
        OutputFloor.Values values = OutputFloor.Values.of(K, "per-object");
        assertThat(values.variants()).hasSize(OutputFloor.Values.VARIANTS);
        ObjectPrediction a = StreamfitSerdes.objectPrediction().deserializer().deserialize("t",
                values.variants().get(0).objects().get(5));
        ObjectPrediction b = StreamfitSerdes.objectPrediction().deserializer().deserialize("t",
                values.variants().get(1).objects().get(5));
        assertThat(b.getTimestep()).isEqualTo(a.getTimestep() + 1);
        assertThat(b.getPrediction()).isNotEqualTo(a.getPrediction());

        // What the floor writes for 800 inputs' first object (about one producer batch), through a
        // fast general-purpose compressor: as different as real predictions, not one record
        // repeated, which compresses to almost nothing and would make the floor's producer
        // (LZ4 by default) unrealistically cheap.
        java.io.ByteArrayOutputStream cycled = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream repeated = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 800; i++) {
            cycled.writeBytes(values.variants().get(i).objects().get(0));
            repeated.writeBytes(values.variants().get(0).objects().get(0));
        }
        assertThat(compressedShare(cycled.toByteArray())).isGreaterThan(0.10);
        assertThat(compressedShare(repeated.toByteArray())).as("the check tells them apart").isLessThan(0.05);
    }

    private static double compressedShare(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        deflater.setInput(data);
        deflater.finish();
        byte[] out = new byte[data.length + 1024];
        int n = 0;
        while (!deflater.finished()) {
            n += deflater.deflate(out, n, out.length - n);
        }
        deflater.end();
        return (double) n / data.length;
    }

    @Test
    void anUnknownLayoutIsRefused() {
        assertThatThrownBy(() -> OutputFloor.Values.of(K, "per-series"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("per-series");
    }

    @Test
    void eachInputGetsItsObjectRecordsThenItsSumUnderItsOwnKey() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "floor-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver = new TopologyTestDriver(
                OutputFloor.topology("in", "objects", "sums", 4, "per-object"), props)) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("in", new ByteArraySerializer(),
                    new ByteArraySerializer());
            TestOutputTopic<byte[], byte[]> objects = driver.createOutputTopic("objects", new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            TestOutputTopic<byte[], byte[]> sums = driver.createOutputTopic("sums", new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            in.pipeInput(bytes("series-1"), bytes("{}"));
            in.pipeInput(bytes("series-2"), bytes("{}"));

            List<KeyValue<byte[], byte[]>> objectRecords = objects.readKeyValuesToList();
            assertThat(objectRecords).hasSize(8);
            assertThat(objectRecords.subList(0, 4)).allSatisfy(kv -> assertThat(kv.key).isEqualTo(bytes("series-1")));
            assertThat(objectRecords.subList(4, 8)).allSatisfy(kv -> assertThat(kv.key).isEqualTo(bytes("series-2")));
            assertThat(sums.readKeyValuesToList()).extracting(kv -> new String(kv.key, StandardCharsets.UTF_8))
                    .containsExactly("series-1", "series-2");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
