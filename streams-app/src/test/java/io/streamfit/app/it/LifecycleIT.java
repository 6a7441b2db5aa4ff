package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.http.HttpSettings;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.pipeline.ModelVersions;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ModelVersion;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The model lifecycle through a real broker, as an operator uses it: versions listed over HTTP
 * ({@code GET /models/{key}/versions}), a rollback command written to {@code model-commands} with
 * a Kafka producer, its event read from {@code model-events}, the model's weights afterwards equal
 * to the kept version's own checkpoint (both read from their changelogs), predictions going on
 * from that version in the next generation, and a command that cannot apply in the dead letters.
 */
@Slow
class LifecycleIT {

    private static final String APP = "lifecycle-it";
    private static final String SERIES = "turbine-park-1";
    private static final int M = 3;
    private static final long T0 = System.currentTimeMillis();

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private final HttpClient client = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private static Timestep timestep(long t, Random rnd) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            float[] x = new float[M];
            double target = 0;
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
                target += (j + 1) * x[j];
            }
            objs.add(new Timestep.ObjectInput("t" + i, new FeatureVector.Dense(x), target, null));
        }
        return new Timestep(SERIES, t, objs, null);
    }

    private JsonNode get(HttpApi http, String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    @Test
    void anOperatorListsVersionsRollsBackWithAKafkaCommandAndTheModelGoesOnFromThatVersion() throws Exception {
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app = new StreamfitApp(TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(APP)
                .stateDir(dir).partitions(2).with("model.hidden", 8).with("batch.timesteps", 1)
                .with("model.versions.every", 50).with("model.versions.keep", 4)
                .with("processing.guarantee", "exactly_once_v2").with("commit.interval.ms", 100).toConfig(), metrics);
        var serializer = StreamfitSerdes.timestep().serializer();
        Random rnd = new Random(11);
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, Registries.prometheus(), HttpSettings.DEFAULTS);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     broker.bootstrapServers(), "acks", "all", "max.in.flight.requests.per.connection", 1),
                     new StringSerializer(), new ByteArraySerializer())) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.state() == KafkaStreams.State.RUNNING);
            for (int t = 0; t < 260; t++) {
                producer.send(new ProducerRecord<>("features", null, T0 + t, SERIES,
                        serializer.serialize("features", timestep(t, rnd))));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(120)).until(() -> metrics.recordsTotal() >= 260);

            String key = URLEncoder.encode(SERIES, StandardCharsets.UTF_8);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(get(http, "/models/" + key + "/versions").path("versions")).hasSize(4));
            JsonNode versions = get(http, "/models/" + key + "/versions");
            List<Long> listed = new ArrayList<>();
            versions.path("versions").forEach(v -> listed.add(v.path("version").asLong()));
            assertThat(listed).as("every 50 updates, the last 4").containsExactly(100L, 150L, 200L, 250L);
            JsonNode v150 = versions.path("versions").get(1);
            assertThat(v150.path("generation").asInt()).isZero();
            assertThat(v150.path("inputOffsets").size()).isEqualTo(1);
            assertThat(v150.path("prequential").path("objectMse").isNumber()).isTrue();

            // The operator's commands: one that cannot apply, then the rollback.
            producer.send(new ProducerRecord<>("model-commands", null, T0 + 300, SERIES,
                    "{\"command\":\"rollback\",\"toVersion\":60}".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>("model-commands", null, T0 + 301, SERIES,
                    "{\"command\":\"rollback\",\"toVersion\":150}".getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            var events = StreamfitSerdes.modelEvent().deserializer();
            List<ModelEvent> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                seen.clear();
                for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), "model-events")) {
                    seen.add(events.deserialize("", r.value()));
                }
                return !seen.isEmpty();
            });
            assertThat(seen).singleElement().satisfies(e -> {
                assertThat(e.getModel()).isEqualTo(SERIES);
                assertThat(e.getEvent()).isEqualTo("rolled-back");
                assertThat(e.getReason()).isEqualTo("command");
                assertThat(e.getFromVersion()).isEqualTo(260L);
                assertThat(e.getToVersion()).isEqualTo(150L);
                assertThat(e.getGeneration()).isEqualTo(1);
            });
            List<ConsumerRecord<byte[], byte[]>> dead = Topics.readCommitted(broker.bootstrapServers(), "dead-letters");
            assertThat(dead).singleElement().satisfies(r -> {
                Header reason = r.headers().lastHeader(TopicRegistry.HEADER_ERROR_REASON);
                assertThat(new String(reason.value(), StandardCharsets.UTF_8)).isEqualTo("version-unknown");
            });

            // The model's checkpoint now holds version 150's weights and optimizer state, bit for bit.
            ModelVersion kept = null;
            for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                    APP + "-versions-store-changelog")) {
                if (r.value() != null) {
                    ModelVersion v = StreamfitSerdes.modelVersion().deserializer().deserialize("", r.value());
                    if (v.getModelVersion() == 150) {
                        kept = v;
                    }
                }
            }
            assertThat(kept).isNotNull();
            ModelCheckpoint now = null;
            for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                    APP + "-model-store-changelog")) {
                if (r.value() != null) {
                    now = StreamfitSerdes.modelCheckpoint().deserializer().deserialize("", r.value());
                }
            }
            assertThat(now.getModelVersion()).isEqualTo(150L);
            assertThat(bytes(now.getModelState())).isEqualTo(bytes(ModelVersions.checkpointOf(kept).getModelState()));
            assertThat(now.getMetrics()).containsEntry("lifecycle.generation", 1.0);
            assertThat(metrics.modelEventsTotal("rolled-back")).isEqualTo(1);

            // The stream goes on from version 150 of generation 1.
            producer.send(new ProducerRecord<>("features", null, T0 + 400, SERIES,
                    serializer.serialize("features", timestep(260, rnd))));
            producer.flush();
            await().atMost(Duration.ofSeconds(60)).until(() -> metrics.recordsTotal() >= 261);
            var sums = StreamfitSerdes.sumPrediction().deserializer();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                SumPrediction last = null;
                for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                        "sum-predictions")) {
                    last = sums.deserialize("", r.value());
                }
                assertThat(last).isNotNull();
                assertThat(last.getTimestep()).isEqualTo(260L);
                assertThat(last.getModelVersion()).isEqualTo(150L);
            });
            assertThat(get(http, "/models/" + key).path("version").asLong()).isEqualTo(151L);
        } finally {
            app.close();
        }
    }

    @Test
    void aChallengerWithAGoodLearningRateIsPromotedOverAChampionWithATinyOneAndTheEmittedErrorFalls()
            throws Exception {
        String app = "lifecycle-race";
        String series = "race-1";
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp streamfit = new StreamfitApp(TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app)
                .stateDir(dir.resolve("race")).partitions(2).topicPrefix("race-").with("model.hidden", 8)
                .with("batch.timesteps", 1).with("optimizer.learning.rate", 1e-5).with("metrics.window", 100)
                .with("challengers", "fast").with("challenger.fast.optimizer.learning.rate", 0.01)
                .with("challenger.promote.after", 300)
                .with("processing.guarantee", "exactly_once_v2").with("commit.interval.ms", 100).toConfig(), metrics);
        var serializer = StreamfitSerdes.timestep().serializer();
        Random rnd = new Random(21);
        int n = 1_500;
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, streamfit, Registries.prometheus(), HttpSettings.DEFAULTS);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     broker.bootstrapServers(), "acks", "all", "max.in.flight.requests.per.connection", 1),
                     new StringSerializer(), new ByteArraySerializer())) {
            streamfit.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> streamfit.state() == KafkaStreams.State.RUNNING);
            for (int t = 0; t < n; t++) {
                Timestep ts = timestep(t, rnd);
                producer.send(new ProducerRecord<>("race-features", null, T0 + t, series,
                        serializer.serialize("features", new Timestep(series, t, ts.objects(), null))));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(180)).until(() -> metrics.recordsTotal() >= n);

            var events = StreamfitSerdes.modelEvent().deserializer();
            List<ModelEvent> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                seen.clear();
                for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                        "race-model-events")) {
                    seen.add(events.deserialize("", r.value()));
                }
                return !seen.isEmpty();
            });
            assertThat(seen).singleElement().satisfies(e -> {
                assertThat(e.getEvent()).isEqualTo("promoted");
                assertThat(e.getChallenger()).isEqualTo("fast");
                assertThat(e.getReason()).isEqualTo("better");
                assertThat(e.getGeneration()).isEqualTo(1);
            });
            long at = seen.get(0).getAtTimestep() + 1;

            var sums = StreamfitSerdes.sumPrediction().deserializer();
            List<SumPrediction> out = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                out.clear();
                for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                        "race-sum-predictions")) {
                    out.add(sums.deserialize("", r.value()));
                }
                return out.size() >= n;
            });
            assertThat(out).hasSize(n);
            double before = 0;
            double after = 0;
            int nb = 0;
            int na = 0;
            for (SumPrediction p : out) {
                double e = p.getPrediction() - p.getSumTarget();
                if (p.getTimestep() < at) {
                    assertThat(p.getVariant()).hasToString("champion");
                    if (p.getTimestep() >= at - 200) {
                        before += e * e;
                        nb++;
                    }
                } else {
                    assertThat(p.getVariant()).hasToString("fast");
                    assertThat(p.getGeneration()).isEqualTo(1);
                    after += e * e;
                    na++;
                }
            }
            System.out.printf("[LifecycleIT] promoted at timestep %d; emitted sum MSE: last 200 before %.4f, after %.4f%n",
                    at, before / nb, after / na);
            assertThat(after / na).as("emitted error after the promotion").isLessThan(0.5 * before / nb);

            // Both variants, side by side, with the leader.
            JsonNode model = get(http, "/models/" + series);
            assertThat(model.path("leader").asText()).isEqualTo("fast");
            assertThat(model.path("generation").asInt()).isEqualTo(1);
            assertThat(model.path("variants").path("fast").path("role").asText()).isEqualTo("champion");
            assertThat(model.path("variants").path("champion").path("role").asText()).isEqualTo("challenger");
            assertThat(model.path("variants").path("fast").path("version").asLong()).isEqualTo(n);
            JsonNode list = get(http, "/models");
            assertThat(list.path("models").size()).as("the challenger is not a model of its own").isEqualTo(1);
        } finally {
            streamfit.close();
        }
    }
}
