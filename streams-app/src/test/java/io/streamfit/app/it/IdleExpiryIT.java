package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
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
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.http.HttpSettings;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.idle.ttl} through a real broker: of 120 series, those that stop sending
 * leave {@code /models} (paged) and end in tombstones on the model store's changelog, while the
 * active ones stay.
 */
@Slow
class IdleExpiryIT {

    private static final String APP = "idle-expiry";
    private static final int SERIES = 120;
    private static final int ACTIVE = 20;
    private static final long TTL = 5_000;
    /** Now: outputs keep their input's timestamp, and the broker deletes segments older than its 7-day retention. */
    private static final long T0 = System.currentTimeMillis();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private final HttpClient client = HttpClient.newHttpClient();

    private static String key(int i) {
        return String.format("series-%03d", i);
    }

    private static Timestep record(String series, long t) {
        List<Timestep.ObjectInput> objs = List.of(
                new Timestep.ObjectInput("a", new FeatureVector.Dense(new float[] {0.1f * t, 0.5f}), 1.0, null));
        return new Timestep(series, t, objs, null);
    }

    /** Every model key that {@code GET /models} lists, page by page through {@code next}. */
    private TreeSet<String> listed(HttpApi http) throws Exception {
        TreeSet<String> keys = new TreeSet<>();
        String after = null;
        int pages = 0;
        do {
            String query = "/models?limit=40" + (after == null ? "" : "&after=" + URLEncoder.encode(after,
                    StandardCharsets.UTF_8));
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port()
                    + query)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(query).isEqualTo(200);
            JsonNode page = JSON.readTree(r.body());
            page.path("models").fieldNames().forEachRemaining(keys::add);
            after = page.path("next").isTextual() ? page.path("next").asText() : null;
            assertThat(++pages).as("pages").isLessThan(SERIES);
        } while (after != null);
        return keys;
    }

    @Test
    void idleSeriesLeaveModelsAndEndInTombstonesOnTheChangelog() throws Exception {
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app = new StreamfitApp(TestConfigs.regressor(2).kafka(broker.bootstrapServers()).app(APP)
                .stateDir(dir).partitions(2).with("model.hidden", "").with("model.idle.ttl", "PT5S")
                .with("model.idle.scan.keys", 100).toConfig(), metrics);
        TreeSet<String> active = new TreeSet<>();
        TreeSet<String> idle = new TreeSet<>();
        for (int i = 0; i < SERIES; i++) {
            (i < SERIES - ACTIVE ? idle : active).add(key(i));
        }
        var json = StreamfitSerdes.timestep().serializer();
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, Registries.prometheus(),
                new HttpSettings(2, 16, 5_000, 10_000, 100, 500));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     broker.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
            app.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.state() == KafkaStreams.State.RUNNING);
            for (int i = 0; i < SERIES; i++) {
                producer.send(new ProducerRecord<>("features", null, T0 + i, key(i), json.serialize("features",
                        record(key(i), 0))));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(90)).until(() -> metrics.models().size() == SERIES);
            assertThat(listed(http)).hasSize(SERIES);
            assertThat(metrics.expiredTotal()).as("nothing idle yet").isZero();

            // Record time moves past the TTL of every series that stays silent; the active ones send
            // well within it (a step of 3 s against a TTL of 5 s), so none of them is idle at any point.
            for (int step = 1; step <= 3; step++) {
                for (String s : active) {
                    producer.send(new ProducerRecord<>("features", null, T0 + step * 3_000L, s,
                            json.serialize("features", record(s, step))));
                }
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics.expiredTotal() >= idle.size()
                    && metrics.recordsTotal() == SERIES + 3L * ACTIVE);
            assertThat(metrics.expiredTotal()).as("expired: the idle series, no active one").isEqualTo(idle.size());
            assertThat(listed(http)).isEqualTo(active);
            assertThat(metrics.models()).hasSize(ACTIVE);
        } finally {
            app.close();
        }

        Map<String, ConsumerRecord<byte[], byte[]>> last = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                APP + "-" + Names.MODEL_STORE + "-changelog")) {
            last.put(new String(r.key(), StandardCharsets.UTF_8), r);
        }
        List<String> notTombstoned = new ArrayList<>();
        idle.forEach(s -> {
            if (!last.containsKey(s) || last.get(s).value() != null) {
                notTombstoned.add(s);
            }
        });
        assertThat(notTombstoned).as("idle series whose changelog does not end in a tombstone").isEmpty();
        active.forEach(s -> assertThat(StreamfitSerdes.modelCheckpoint().deserializer().deserialize("",
                last.get(s).value()).getModelVersion()).as("checkpoint of %s", s).isEqualTo(4));
    }
}
