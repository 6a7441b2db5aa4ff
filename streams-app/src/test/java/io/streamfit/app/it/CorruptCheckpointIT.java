package io.streamfit.app.it;

import static io.streamfit.app.it.Topics.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.errors.FaultClass;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corrupt checkpoint is the fault of its model key ({@link FaultClass#MODEL_KEY}), end to end: a
 * checkpoint whose model state has one byte flipped (it fails its CRC) reaches the model store
 * through its changelog, as bit rot or a bad repair would put it there. After the restart that
 * restores it, that key's records go to the dead letters with reason {@code model-quarantined},
 * its checkpoint stays as it is for a person to look at, {@code /health} answers 200 DEGRADED,
 * and every other key, the ones in the same task included, learns on exactly once.
 */
@Slow
class CorruptCheckpointIT {

    private static final int M = 6;
    /** series-0 to series-3 hash to partition 1 of 2, series-4 to partition 0. */
    private static final int SERIES = 5;
    private static final int BATCH = 4;
    private static final int BEFORE = 20;
    private static final int TIMESTEPS = 40;
    private static final String APP = "corrupt";
    private static final String CORRUPT = "series-1";

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @TempDir
    Path dir;

    @Test
    void aCorruptCheckpointQuarantinesItsKeyAndTheOtherKeysLearnOn() throws Exception {
        TestConfigs.Builder config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(APP)
                .stateDir(dir.resolve("state")).partitions(2).topicPrefix(APP + "-")
                .with("model.hidden", 8)
                .with("batch.timesteps", BATCH)
                .with("batch.max.wait.ms", Duration.ofHours(1).toMillis())
                .with("batch.flush.when.idle", false)
                .with("commit.interval.ms", 100);
        FaultStream input = FaultStream.create(broker, APP, SERIES, M, TIMESTEPS, 2);

        try (StreamfitApp first = new StreamfitApp(config.toConfig(), new StreamfitMetrics(new SimpleMeterRegistry()))) {
            first.start();
            input.produce(0, BEFORE);
            awaitCommitted(input, SERIES * BEFORE, first);
        }

        // One flipped bit in the last weights of series-1's stored model state (bit rot: the value
        // still decodes, its model state fails its CRC), written where a restore reads it.
        String changelog = APP + "-" + Names.MODEL_STORE + "-changelog";
        ConsumerRecord<byte[], byte[]> latest = latestCheckpoint(changelog, CORRUPT);
        byte[] corrupt = latest.value().clone();
        java.nio.ByteBuffer state = StreamfitSerdes.modelCheckpoint().deserializer().deserialize(changelog, corrupt)
                .getModelState();
        byte[] blob = new byte[state.remaining()];
        state.duplicate().get(blob);
        int at = indexOf(corrupt, blob);
        assertThat(at).as("where the model state sits in the stored value").isNotNegative();
        corrupt[at + blob.length - 8] ^= 0x10; // the last value before the CRC-32
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(changelog, latest.partition(), latest.key(), corrupt)).get();
        }

        PrometheusMeterRegistry registry = Registries.prometheus();
        try (StreamfitApp second = new StreamfitApp(config.toConfig(), new StreamfitMetrics(registry));
             HttpApi http = startHttp(second, registry)) {
            second.start();
            input.produce(BEFORE, TIMESTEPS);
            int others = (SERIES - 1) * TIMESTEPS + BEFORE;
            awaitCommitted(input, others, second);
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters().size() >= TIMESTEPS - BEFORE);

            assertThat(second.state()).isEqualTo(KafkaStreams.State.RUNNING);
            JsonNode health = get(http, "/health", 200);
            assertThat(health.path("status").asText()).isEqualTo("DEGRADED");
            assertThat(health.path("quarantinedModels").asInt()).isEqualTo(1);
            assertThat(second.metrics().quarantined()).containsOnlyKeys(CORRUPT);
        }

        // The quarantined key: every record of it after the restart is a dead letter, and nothing else is.
        List<ConsumerRecord<byte[], byte[]>> dead = deadLetters();
        assertThat(dead).hasSize(TIMESTEPS - BEFORE).allSatisfy(r -> {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(CORRUPT);
            assertThat(header(r, "error.reason")).isEqualTo(FaultClass.MODEL_QUARANTINED);
            assertThat(header(r, "error.message")).contains(CORRUPT);
        });
        // Its checkpoint is left for a person to inspect, not overwritten by a new model.
        assertThat(latestCheckpoint(changelog, CORRUPT).value()).isEqualTo(corrupt);

        // The other keys, the three in the quarantined key's task too: every timestep once, learned in order.
        Map<String, TreeMap<Long, Long>> versions = new HashMap<>();
        var de = StreamfitSerdes.sumPrediction().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), APP + "-sum-predictions")) {
            SumPrediction p = de.deserialize("t", r.value());
            assertThat(versions.computeIfAbsent(p.getSeries(), s -> new TreeMap<>()).put(p.getTimestep(),
                    p.getModelVersion())).as("duplicate sum prediction of %s@%d", p.getSeries(), p.getTimestep()).isNull();
        }
        assertThat(versions).hasSize(SERIES);
        versions.forEach((series, byTimestep) -> {
            int expected = series.equals(CORRUPT) ? BEFORE : TIMESTEPS;
            assertThat(byTimestep.keySet()).as("timesteps of %s predicted", series).hasSize(expected)
                    .containsExactlyElementsOf(range(1, expected));
            byTimestep.forEach((t, v) -> assertThat(v).as("version that predicted %s@%d", series, t)
                    .isEqualTo((t - 1) / BATCH));
        });
        var cp = StreamfitSerdes.modelCheckpoint().deserializer();
        for (int s = 0; s < SERIES; s++) {
            String series = "series-" + s;
            if (!series.equals(CORRUPT)) {
                ModelCheckpoint model = cp.deserialize(changelog, latestCheckpoint(changelog, series).value());
                assertThat(model.getModelVersion()).as("final version of %s", series).isEqualTo(TIMESTEPS / BATCH);
            }
        }
    }

    private static void awaitCommitted(FaultStream input, int sums, StreamfitApp app) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
                .until(() -> app.fatalError() != null || input.committedSums() >= sums);
        assertThat(app.fatalError()).as("the app failed").isNull();
    }

    private static HttpApi startHttp(StreamfitApp app, PrometheusMeterRegistry registry) throws Exception {
        return HttpApi.start("127.0.0.1", 0, app, registry);
    }

    private static JsonNode get(HttpApi http, String path, int status) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("status of %s: %s", path, r.body()).isEqualTo(status);
        return new ObjectMapper().readTree(r.body());
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters() {
        return Topics.readCommitted(broker.bootstrapServers(), APP + "-dead-letters");
    }

    /** The last committed record of {@code key} in the changelog. */
    private static ConsumerRecord<byte[], byte[]> latestCheckpoint(String changelog, String key) {
        ConsumerRecord<byte[], byte[]> last = null;
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), changelog)) {
            if (key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                last = r;
            }
        }
        assertThat(last).as("checkpoint of %s in %s", key, changelog).isNotNull();
        assertThat(last.value()).as("checkpoint of %s (not a tombstone)", key).isNotNull();
        return last;
    }
    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long t = from; t <= to; t++) {
            out.add(t);
        }
        return out;
    }
}
