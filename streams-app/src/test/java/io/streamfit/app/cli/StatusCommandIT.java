package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streamfit status} and {@code streamfit models} against a running service (in-JVM KRaft
 * broker, real HTTP): the lines a person reads, the JSON a script reads, the pages of the model
 * list, one model with its versions, and the one-line errors (exit 2) when nothing listens or a
 * model is not there.
 */
class StatusCommandIT {

    private static final int M = 4;
    private static final int RECORDS = 60;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitApp app;
    private static StreamfitMetrics metrics;
    private static HttpApi http;
    private static String url;
    /** Records produced per series key. */
    private static final Map<String, Integer> perSeries = new TreeMap<>();

    @BeforeAll
    static void startAServiceThatLearnedSixtyRecordsAndDeadLetteredTwo() throws Exception {
        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("status-it")
                .stateDir(dir.resolve("state")).partitions(2).with("model.versions.every", 10).toConfig();
        PrometheusMeterRegistry registry = Registries.prometheus();
        metrics = new StreamfitMetrics(registry);
        app = new StreamfitApp(config, metrics);
        app.start();
        http = HttpApi.start("127.0.0.1", 0, app, registry);
        url = "http://127.0.0.1:" + http.port();
        SyntheticStream stream = new SyntheticStream(2, M, 0.1, 7, 0);
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                Timestep ts = stream.next();
                perSeries.merge(ts.series(), 1, Integer::sum);
                producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
            }
            producer.send(new ProducerRecord<>("features", "series-0", "not json".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>("features", "series-1", "{".getBytes(StandardCharsets.UTF_8)));
        }
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> metrics.recordsTotal() >= RECORDS + 2);
        // The records are counted as they are processed; the models are listed from the tasks'
        // stores, which a rebalance can take away for a moment: wait until both are listed.
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> CliErrorsTest.run("models", "--url", url).out().contains("2 of 2 models"));
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private static String rmse(java.util.function.ToDoubleFunction<ModelInfo> mse) {
        return String.format(Locale.ROOT, "%.3f", Math.sqrt(metrics.meanOver(mse)));
    }

    @Test
    void statusShowsStateRecordsErrorDeadLettersModelsAndLag() {
        CliErrorsTest.Outcome o = CliErrorsTest.run("status", "--url", url, "--interval", "300ms");
        assertThat(o.code()).as(o.err()).isZero();
        List<String> lines = o.out().lines().toList();
        assertThat(lines).hasSize(9);
        assertThat(lines.get(0)).isEqualTo("streamfit at " + url);
        assertThat(lines.get(1)).isEqualTo("state:        UP (Kafka Streams RUNNING)");
        // Whole seconds; a zero part is left out ("13m" in a fork that had run the other ITs for 13 minutes).
        assertThat(lines.get(2)).matches("uptime:       (?=\\d)(\\d+h)?(\\d+m)?(\\d+s)?");
        // Nothing is produced any more: nothing is processed in the interval.
        assertThat(lines.get(3)).isEqualTo("records/s:    0");
        assertThat(lines.get(4)).isEqualTo("records:      62 (60 trained, 0 predicted only, 2 dead letters)");
        assertThat(lines.get(5)).isEqualTo("prequential:  object RMSE " + rmse(ModelInfo::objectMse) + ", sum RMSE "
                + rmse(ModelInfo::sumMse) + " (windowed, mean over models)");
        assertThat(lines.get(6)).isEqualTo("dead letters: 2 (unparsable 2)");
        assertThat(lines.get(7)).isEqualTo("models:       2");
        // Each partition's lag is a meter once Micrometer's binder has picked it up (it looks for new
        // Kafka metrics now and then), so shortly after the start it may not be there yet.
        assertThat(lines.get(8)).matches("lag:          (\\d+ records \\(behind the end of this instance's input "
                + "partitions\\)|not known yet)");
    }

    @Test
    void statusJsonIsForScripts() throws Exception {
        CliErrorsTest.Outcome o = CliErrorsTest.run("status", "--url", url + "/", "--json", "--interval", "200ms");
        assertThat(o.code()).as(o.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(o.out());
        assertThat(s.path("url").asText()).isEqualTo(url);
        assertThat(s.path("status").asText()).isEqualTo("UP");
        assertThat(s.path("records").path("trained").asLong()).isEqualTo(RECORDS);
        assertThat(s.path("deadLetters").path("unparsable").asLong()).isEqualTo(2);
        assertThat(s.path("models").asLong()).isEqualTo(2);
        assertThat(s.path("uptimeSeconds").asDouble()).isPositive();
        assertThat(s.path("prequential").path("objectMse").asDouble())
                .isCloseTo(metrics.meanOver(ModelInfo::objectMse), org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void modelsListsAPageAndSaysHowToGetTheNext() {
        CliErrorsTest.Outcome all = CliErrorsTest.run("models", "--url", url);
        assertThat(all.code()).as(all.err()).isZero();
        List<String> lines = all.out().lines().toList();
        assertThat(lines.get(0)).startsWith("KEY ").contains(" VERSION ", " RECORDS ", " OBJECT RMSE ", " SUM RMSE ");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(1)).matches("series-0 +" + perSeries.get("series-0") + " +0 +" + perSeries.get("series-0")
                + " +\\d\\.\\d{3} +\\d+\\.\\d{3} regressor\\|m=4\\|.*");
        assertThat(lines.get(2)).startsWith("series-1 ");
        assertThat(lines.get(3)).isEqualTo("2 of 2 models");

        CliErrorsTest.Outcome first = CliErrorsTest.run("models", "--url", url, "--limit", "1");
        assertThat(first.out().lines().toList()).hasSize(3);
        assertThat(first.out().lines().toList().get(1)).startsWith("series-0 ");
        assertThat(first.out().lines().toList().get(2))
                .isEqualTo("1 of 2 models; next page: streamfit models --after series-0 --limit 1");
        CliErrorsTest.Outcome next = CliErrorsTest.run("models", "--url", url, "--limit", "1", "--after", "series-0");
        assertThat(next.out().lines().toList().get(1)).startsWith("series-1 ");
        assertThat(next.out().lines().toList().get(2)).isEqualTo("1 of 2 models");
    }

    @Test
    void modelsKeyShowsOneModelWithItsVersions() throws Exception {
        int n = perSeries.get("series-1");
        CliErrorsTest.Outcome o = CliErrorsTest.run("models", "series-1", "--url", url);
        assertThat(o.code()).as(o.err()).isZero();
        List<String> lines = o.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("model series-1");
        assertThat(lines.get(1)).isEqualTo("version:     " + n + " (generation 0, " + n + " updates)");
        assertThat(lines.get(2)).startsWith("records:     " + n + ", last timestep ");
        assertThat(lines.get(3)).startsWith("prequential: object RMSE ");
        assertThat(lines).contains("divergence:  0 rollbacks, learning-rate scale 1.0");
        assertThat(lines).anyMatch(l -> l.startsWith("spec:        regressor|m=4|"));
        // model.versions.every=10: one version per ten updates.
        assertThat(lines).contains("versions:    " + (n / 10) + " kept, oldest first:");
        assertThat(lines).anyMatch(l -> l.startsWith("  v10  generation 0, timestep "));

        JsonNode json = new ObjectMapper().readTree(CliErrorsTest.run("models", "series-1", "--url", url, "--json").out());
        assertThat(json.path("key").asText()).isEqualTo("series-1");
        assertThat(json.path("version").asLong()).isEqualTo(n);
        assertThat(json.path("versions")).hasSize(n / 10);
    }

    @Test
    void anUnknownModelIsOneLineAndExit2() {
        CliErrorsTest.Outcome o = CliErrorsTest.run("models", "nope", "--url", url);
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit models: no model 'nope' at " + url + ": 'streamfit models' lists the keys");
    }

    @Test
    void nothingListeningIsOneLineAndExit2AtOnce() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        CliErrorsTest.Outcome o = CliErrorsTest.run("status", "--url", "http://127.0.0.1:" + closed);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err().lines()).containsExactly("streamfit status: no streamfit instance answers at http://127.0.0.1:"
                + closed + " (option --url): nothing listens there; start one (streamfit run, streamfit demo) or pass "
                + "--url with its HTTP address");

        // Without --url: localhost and the port of the instance's configuration, named with its source.
        Path file = dir.resolve("instance.properties");
        Files.writeString(file, "model.features=4\nhttp.port=" + closed + "\n");
        CliErrorsTest.Outcome fromFile = CliErrorsTest.run("models", "--config", file.toString());
        assertThat(fromFile.code()).isEqualTo(2);
        assertThat(fromFile.err().lines()).containsExactly("streamfit models: no streamfit instance answers at "
                + "http://localhost:" + closed + " (http.port from file " + file + "): nothing listens there; start one "
                + "(streamfit run, streamfit demo) or pass --url with its HTTP address");
    }

    @Test
    void aPortThatIsNotStreamfitsIsSaidSo() throws Exception {
        CliErrorsTest.Outcome o = CliErrorsTest.run("status", "--url", url + "/nothing-here");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).hasSize(1);
        assertThat(o.err()).startsWith("streamfit status: " + url + "/nothing-here/health answered 404");
    }
}
