package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service end to end against a real (in-JVM KRaft) broker: it learns the synthetic ground
 * truth to within 1.5x the noise floor in 20,000 timesteps, and a stopped and restarted app (with
 * its local state wiped, so the model comes back from the changelog) continues the model.
 */
@Slow
class LearningIT {

    private static final double SIGMA = 0.2;
    private static final int SERIES = 4;
    private static final int M = 8;
    private static final int TIMESTEPS = 20_000;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitConfig config(Path stateDir) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("learning-it").stateDir(stateDir)
                .partitions(4).with("http.port", 0)
                // The demo's settings: the series share one ground truth, so one global model learns it.
                .with("model.scope", "global").with("optimizer.learning.rate", 0.003)
                .toConfig();
    }

    private static void produce(SyntheticStream stream, int n) {
        Map<String, Object> props = Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", broker.bootstrapServers(), "linger.ms", 20,
                "acks", "all");
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                Timestep ts = stream.next();
                producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
            }
        }
    }

    @Test
    void learnsTheGroundTruthAndContinuesAfterARestart() throws Exception {
        SyntheticStream stream = new SyntheticStream(SERIES, M, SIGMA, 11, 1);
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        StreamfitApp app = new StreamfitApp(config(dir.resolve("state-1")), metrics);
        app.start();
        Map<String, Long> versionsAtStop = new HashMap<>();
        double rmseAtStop;
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
            produce(stream, TIMESTEPS);
            await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> metrics.recordsTotal() >= TIMESTEPS);
            rmseAtStop = Math.sqrt(metrics.meanOver(ModelInfo::objectMse));
            assertThat(rmseAtStop).as("windowed prequential object RMSE after %d timesteps", TIMESTEPS)
                    .isLessThanOrEqualTo(1.5 * SIGMA);
            assertThat(metrics.deadLetters()).isZero();
            metrics.models().forEach(m -> versionsAtStop.put(m.key(), m.version()));
            assertThat(versionsAtStop).containsOnlyKeys("global");
            assertThat(versionsAtStop.get("global")).isEqualTo(TIMESTEPS);

            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> health = get(client, http, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> scrape = get(client, http, "/metrics");
            assertThat(scrape.body()).contains("streamfit_records_total{", "outcome=\"trained\"",
                    "streamfit_prequential_mse{", "streamfit_model_updates_total", "streamfit_update_seconds_bucket",
                    "streamfit_checkpoint_bytes", "kafka_stream", "jvm_memory_used_bytes");
            HttpResponse<String> model = get(client, http, "/models/global");
            assertThat(model.statusCode()).isEqualTo(200);
            assertThat(model.body()).contains("\"version\" : " + TIMESTEPS);
            assertThat(get(client, http, "/models/nope").statusCode()).isEqualTo(404);
            assertThat(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/health"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(405);
        } finally {
            app.close();
        }

        // A new instance with empty local state: the models come back from the changelog.
        StreamfitMetrics metrics2 = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app2 = new StreamfitApp(config(dir.resolve("state-2")), metrics2);
        app2.start();
        try {
            int more = 2_000;
            produce(stream, more);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> metrics2.recordsTotal() >= more);
            assertThat(metrics2.model("global").version()).isEqualTo(TIMESTEPS + more);
        } finally {
            app2.close();
        }

        // The committed outputs: versions never go back, and the error after the restart is that of a trained model.
        List<SumPrediction> sums = readAll("sum-predictions", StreamfitSerdes.sumPrediction().deserializer(),
                TIMESTEPS + 2_000);
        // Every record trained the one model exactly once: the versions are 0..N-1, each once,
        // and rise along every series.
        Map<String, Long> lastVersion = new HashMap<>();
        java.util.BitSet seen = new java.util.BitSet();
        for (SumPrediction s : sums) {
            Long prev = lastVersion.put(s.getSeries(), s.getModelVersion());
            if (prev != null) {
                assertThat(s.getModelVersion()).as("version of %s", s.getSeries()).isGreaterThan(prev);
            }
            assertThat(seen.get((int) s.getModelVersion())).as("version %d seen twice", s.getModelVersion()).isFalse();
            seen.set((int) s.getModelVersion());
        }
        assertThat(seen.cardinality()).isEqualTo(TIMESTEPS + 2_000);
        List<ObjectPrediction> objects = readAll("object-predictions", StreamfitSerdes.objectPrediction().deserializer(),
                -1);
        double sq = 0;
        int n = 0;
        for (ObjectPrediction o : objects) {
            if (o.getModelVersion() >= TIMESTEPS) {
                double e = o.getPrediction() - o.getTarget();
                sq += e * e;
                n++;
            }
        }
        assertThat(n).isGreaterThan(1000);
        assertThat(Math.sqrt(sq / n)).as("object RMSE after the restart").isLessThanOrEqualTo(1.5 * SIGMA);
    }

    private static HttpResponse<String> get(HttpClient client, HttpApi http, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static <T> List<T> readAll(String topic, org.apache.kafka.common.serialization.Deserializer<T> d, int expected) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "reader-" + topic,
                "auto.offset.reset", "earliest", "isolation.level", "read_committed", "enable.auto.commit", "false");
        List<T> out = new java.util.ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, new StringDeserializer(), d)) {
            consumer.subscribe(List.of(topic));
            long idle = 0;
            while (idle < 5 && (expected < 0 || out.size() < expected)) {
                var records = consumer.poll(Duration.ofSeconds(1));
                idle = records.isEmpty() ? idle + 1 : 0;
                for (ConsumerRecord<String, T> r : records) {
                    out.add(r.value());
                }
            }
        }
        if (expected >= 0) {
            assertThat(out).hasSize(expected);
        }
        return out;
    }
}
