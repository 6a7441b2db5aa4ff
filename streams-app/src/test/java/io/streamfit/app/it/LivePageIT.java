package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live page ({@code GET /}) in a real browser: headless Chromium loads it from a running
 * service that learns a synthetic stream (in-JVM KRaft broker), and the DOM it leaves shows charts
 * that hold data: learning curves of every model with the noise floor, predictions against targets,
 * the models table, and the dead letters by reason. It also saves a screenshot, to
 * {@code target/live-page.png} and, with {@code -Dlivepage.screenshot=PATH}, to PATH (the docs'
 * {@code docs/live-page.png} was made so).
 *
 * <p>Skipped, saying so, where no {@code chromium} is on the PATH ({@code .ci/run} installs Debian's).
 */
class LivePageIT {

    private static final int SERIES = 3;
    private static final int M = 4;
    private static final double SIGMA = 0.2;
    /** Virtual time the page runs for in the browser: some ten polls at {@code ?every=1000}. */
    private static final int VIRTUAL_MS = 10_000;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @Test
    void thePageShowsChartsWithDataInAHeadlessBrowser() throws Exception {
        Optional<Path> chromium = chromium();
        Assumptions.assumeTrue(chromium.isPresent(),
                "no chromium on the PATH: LivePageIT needs a browser (Debian: apt-get install chromium)");

        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("live-page-it")
                .stateDir(dir.resolve("state")).partitions(2).with("optimizer.learning.rate", 0.01).toConfig();
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        SyntheticStream stream = new SyntheticStream(SERIES, M, SIGMA, 5, 1);
        // As the demo publishes it, so that the curves get their dashed floor.
        Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sigma).tag("target", "object")
                .register(registry);
        Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sumNoiseFloor).tag("target", "sum")
                .register(registry);
        StreamfitApp app = new StreamfitApp(config, metrics);
        app.start();
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(stream, producing), "live-page-it-producer");
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
            producer.start();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> metrics.recordsTotal() >= 200 && metrics.deadLetters() >= 2);
            String url = "http://127.0.0.1:" + http.port() + "/?every=1000";

            String dom = run(chromium.get(), List.of("--dump-dom", url));
            // Every model of the stream is drawn, with more than one point, next to the noise floor.
            Map<String, String> curves = attributes(dom, "curves");
            assertThat(Integer.parseInt(curves.get("data-models"))).isEqualTo(SERIES);
            assertThat(Integer.parseInt(curves.get("data-points"))).isGreaterThanOrEqualTo(3);
            assertThat(Double.parseDouble(curves.get("data-noise-floor"))).isEqualTo(SIGMA);
            Map<String, String> predictions = attributes(dom, "predictions");
            assertThat(Integer.parseInt(predictions.get("data-points"))).isGreaterThanOrEqualTo(10);
            assertThat(predictions.get("data-series")).startsWith("series-");
            assertThat(Integer.parseInt(attributes(dom, "models").get("data-models"))).isEqualTo(SERIES);
            Map<String, String> deadLetters = attributes(dom, "dead-letters");
            assertThat(deadLetters.get("data-reasons")).isEqualTo("1");
            assertThat(Integer.parseInt(deadLetters.get("data-total"))).isGreaterThanOrEqualTo(2);
            assertThat(dom).contains("<td>unparsable</td>");
            assertThat(Integer.parseInt(attributes(dom, "status").get("data-polls"))).isGreaterThanOrEqualTo(3);
            // uPlot draws on canvases: one per chart.
            assertThat(Pattern.compile("<canvas").matcher(dom).results().count()).isEqualTo(3);

            Path shot = Path.of("target", "live-page.png").toAbsolutePath();
            Files.deleteIfExists(shot);
            run(chromium.get(), List.of("--screenshot=" + shot, "--hide-scrollbars", url));
            byte[] png = Files.readAllBytes(shot);
            assertThat(png.length).isGreaterThan(10_000);
            assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
            String copyTo = System.getProperty("livepage.screenshot");
            if (copyTo != null && !copyTo.isBlank()) {
                Files.copy(shot, Path.of(copyTo), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            producing.set(false);
            producer.join(10_000);
            app.close();
        }
    }

    /** Synthetic timesteps at about 300 a second until told to stop, and two records that are no JSON. */
    private static void produce(SyntheticStream stream, AtomicBoolean producing) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "linger.ms", 5);
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("features", "series-0", "not json".getBytes(StandardCharsets.UTF_8)));
            producer.send(new ProducerRecord<>("features", "series-1", "{".getBytes(StandardCharsets.UTF_8)));
            while (producing.get()) {
                for (int i = 0; i < 30; i++) {
                    Timestep ts = stream.next();
                    producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Runs headless Chromium on the page for {@link #VIRTUAL_MS} of virtual time; its stdout. */
    private static String run(Path chromium, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--window-size=1280,940",
                "--user-data-dir=" + dir.resolve("chromium-profile"), "--virtual-time-budget=" + VIRTUAL_MS));
        command.addAll(args);
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Path err = Files.createTempFile(dir, "chromium", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(err));
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("chromium exit code; stderr: %s", Files.readString(err)).isZero();
        return stdout;
    }

    /** The attributes of the element with id {@code id} in the dumped DOM. */
    private static Map<String, String> attributes(String dom, String id) {
        Matcher tag = Pattern.compile("<[a-z]+ id=\"" + Pattern.quote(id) + "\"([^>]*)>").matcher(dom);
        assertThat(tag.find()).as("element #%s in the DOM:%n%s", id, dom).isTrue();
        Map<String, String> attrs = new HashMap<>();
        Matcher a = Pattern.compile("([a-z-]+)=\"([^\"]*)\"").matcher(tag.group(1));
        while (a.find()) {
            attrs.put(a.group(1), a.group(2));
        }
        return attrs;
    }

    /** {@code chromium} (Debian) or {@code chromium-browser} on the PATH. */
    static Optional<Path> chromium() {
        for (String dirName : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : new String[] {"chromium", "chromium-browser"}) {
                Path candidate = Path.of(dirName, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
