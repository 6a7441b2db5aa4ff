package io.streamfit.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * streamfit against the broker users run: the official {@code apache/kafka} image (the version of
 * the clients the app is built with, as in deploy/docker-compose.yml) in Docker via Testcontainers,
 * with the app in this JVM using the compose stack's properties. Skipped where there is no Docker.
 */
@Slow
class ContainerIT {

    private static final int RECORDS = 2_000;

    @TempDir
    Path dir;

    @Test
    void appLearnsAgainstKafkaInDocker() throws Exception {
        assumeTrue(dockerAvailable(), "no Docker engine reachable (DOCKER_HOST or /var/run/docker.sock): ContainerIT "
                + "runs apache/kafka:" + AppInfoParser.getVersion() + " in Docker and is skipped without one");
        DockerImageName image = DockerImageName.parse("apache/kafka:" + AppInfoParser.getVersion());
        try (KafkaContainer kafka = new KafkaContainer(image)
                // One broker: the transaction log must accept writes with one replica (exactly-once).
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")) {
            kafka.start();
            StreamfitConfig config = TestConfigs.from(DeployFiles.properties(DeployFiles.APP_PROPERTIES))
                    .kafka(kafka.getBootstrapServers()).app("container-it").stateDir(dir.resolve("state"))
                    .with("http.host", "127.0.0.1").with("http.port", 0).toConfig();
            PrometheusMeterRegistry registry = Registries.prometheus();
            StreamfitMetrics metrics = new StreamfitMetrics(registry);
            StreamfitApp app = new StreamfitApp(config, metrics);
            app.start();
            try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
                String topic = config.getString(StreamfitConfig.TOPIC_FEATURES);
                SyntheticStream stream = new SyntheticStream(4, config.features(), 0.2, 5, 1);
                var json = StreamfitSerdes.timestep().serializer();
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", kafka.getBootstrapServers(), "acks", "all"),
                        new StringSerializer(), new ByteArraySerializer())) {
                    for (int i = 0; i < RECORDS; i++) {
                        Timestep ts = stream.next();
                        producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
                    }
                }
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> metrics.recordsTotal() >= RECORDS);
                assertThat(metrics.deadLetters()).isZero();
                assertThat(metrics.updatesTotal()).isEqualTo(RECORDS);

                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);

                // The committed sum predictions: one per input record.
                Map<String, Object> consumerProps = Map.of("bootstrap.servers", kafka.getBootstrapServers(),
                        "group.id", "container-it-reader", "auto.offset.reset", "earliest",
                        "isolation.level", "read_committed");
                int sums = 0;
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
                    consumer.subscribe(List.of(config.getString(StreamfitConfig.TOPIC_SUM_PREDICTIONS)));
                    long deadline = System.currentTimeMillis() + 60_000;
                    while (sums < RECORDS && System.currentTimeMillis() < deadline) {
                        sums += consumer.poll(Duration.ofSeconds(1)).count();
                    }
                }
                assertThat(sums).isEqualTo(RECORDS);
            } finally {
                app.close();
            }
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
