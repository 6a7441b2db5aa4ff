package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP server under slow and greedy clients, over real sockets: slow clients hold no worker and
 * lose their connection at the read timeout, /health answers while they hold connections and while
 * every worker is busy, and a full queue is answered 503 at once.
 *
 * <p>The app is not started (no Kafka): /health answers 503 with status DOWN, which is still an
 * answer from the health endpoint; a refusal for load says "busy" instead.
 */
class HttpUnderLoadTest {

    /** What Kubernetes' probes allow by default is 1 s; a healthy pod must answer well within it. */
    private static final long PROBE_BOUND_MS = 1000;

    private final PrometheusMeterRegistry registry = Registries.prometheus();
    private final StreamfitMetrics metrics = new StreamfitMetrics(registry);
    private final List<Socket> sockets = new ArrayList<>();
    private final ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-drip");
        t.setDaemon(true);
        return t;
    });
    private HttpApi http;

    private void start(HttpSettings settings) throws IOException {
        StreamfitApp app = new StreamfitApp(new StreamfitConfig(Map.of("model.features", "2")), metrics);
        http = HttpApi.start("127.0.0.1", 0, app, registry, settings);
    }

    @AfterEach
    void stop() throws IOException {
        drip.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
        if (http != null) {
            http.close();
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", http.port());
        sockets.add(s);
        return s;
    }

    /** Sends one more byte of a never-ending header every {@code everyMs} until the connection breaks. */
    private void dripInto(Socket s, long everyMs) {
        drip.scheduleAtFixedRate(() -> {
            try {
                s.getOutputStream().write('a');
                s.getOutputStream().flush();
            } catch (IOException closed) {
                throw new RuntimeException(closed); // ends this drip only
            }
        }, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    @Test
    void healthAnswersWithinASecondWhileFiftySlowClientsHoldConnections() throws Exception {
        // Two workers, as the JDK server had; the read timeout is long so that the slow clients
        // keep their connections for the whole test.
        start(new HttpSettings(2, 4, 120_000, 120_000, 100, 1000));
        for (int i = 0; i < 50; i++) {
            Socket s = open();
            RawHttp.send(s, "GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-" + i + ": ");
            if (i % 2 == 0) {
                dripInto(s, 100); // byte by byte; the others never send another byte
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> http.connectionsAwaitingRequest() >= 50);

        for (int i = 0; i < 20; i++) {
            RawHttp.Answer health = RawHttp.get(http.port(), "/health", 10_000);
            assertThat(health.body()).as("probe %d", i).contains("\"status\" : \"DOWN\"");
            assertThat(health.millis()).as("probe %d answered after %d ms", i, health.millis())
                    .isLessThan(PROBE_BOUND_MS);
        }
        // The workers are not held either: the other endpoints answer too.
        assertThat(RawHttp.get(http.port(), "/metrics", 10_000).status()).isEqualTo(200);
        assertThat(RawHttp.get(http.port(), "/models", 10_000).status()).isEqualTo(200);
        // ... and not by dropping the slow clients to make room: they are all still waiting.
        assertThat(http.connectionsAwaitingRequest()).isGreaterThanOrEqualTo(50);
    }

    @Test
    void slowConnectionsAreClosedAfterTheReadTimeout() throws Exception {
        int readTimeoutMs = 500;
        // A long idle timeout: the read timeout alone must close them, even the one that keeps sending.
        start(new HttpSettings(2, 4, readTimeoutMs, 120_000, 100, 1000));
        long opened = System.nanoTime(); // before the server sees any of them open
        Socket silent = open();
        Socket partial = open();
        RawHttp.send(partial, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: ");
        Socket dripping = open();
        RawHttp.send(dripping, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Byte-By-Byte: ");
        dripInto(dripping, 50);
        for (Socket s : List.of(silent, partial, dripping)) {
            s.setSoTimeout(10_000);
            assertThat(RawHttp.closedByServer(s)).as("closed within 10 s").isTrue();
        }
        long closedAfterMs = (System.nanoTime() - opened) / 1_000_000;
        assertThat(closedAfterMs).as("not before the read timeout").isGreaterThanOrEqualTo(readTimeoutMs - 50);

        // A served connection kept alive: closed a read timeout after its response, not before.
        Socket keepAlive = open();
        keepAlive.setSoTimeout(10_000);
        RawHttp.send(keepAlive, RawHttp.request("/health", false));
        assertThat(RawHttp.read(keepAlive.getInputStream()).body()).contains("\"status\"");
        long answered = System.nanoTime();
        assertThat(RawHttp.closedByServer(keepAlive)).isTrue();
        assertThat((System.nanoTime() - answered) / 1_000_000).isGreaterThanOrEqualTo(readTimeoutMs - 50);

        assertThat(registry.get("streamfit.http.timeouts").counter().count()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void theReadTimeoutRunsPerRequestNotPerConnection() throws Exception {
        int readTimeoutMs = 500;
        start(new HttpSettings(2, 4, readTimeoutMs, 120_000, 100, 1000));
        Socket s = open();
        s.setSoTimeout(10_000);
        // Six requests 200 ms apart: the connection lives well past one read timeout.
        for (int i = 0; i < 6; i++) {
            RawHttp.send(s, RawHttp.request("/health", false));
            assertThat(RawHttp.read(s.getInputStream()).body()).as("request %d", i).contains("\"status\"");
            Thread.sleep(200);
        }
        // Pipelined: the second request is parsed as soon as the first is answered.
        RawHttp.send(s, RawHttp.request("/health", false) + RawHttp.request("/metrics", false));
        assertThat(RawHttp.read(s.getInputStream()).body()).contains("\"status\"");
        assertThat(RawHttp.read(s.getInputStream()).body()).contains("streamfit_records_total");
        assertThat(registry.get("streamfit.http.timeouts").counter().count()).isZero();
    }

    @Test
    void aFullQueueIsAnswered503AtOnceWhileHealthStillAnswers() throws Exception {
        // A gauge that blocks the scrape holds the one worker for as long as the test wants.
        CountDownLatch scraping = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Gauge.builder("test.slow.gauge", () -> {
            scraping.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        }).register(registry);
        start(new HttpSettings(1, 1, 120_000, 120_000, 100, 1000));
        try {
            CompletableFuture<RawHttp.Answer> first = CompletableFuture.supplyAsync(() -> get("/metrics"));
            assertThat(scraping.await(10, TimeUnit.SECONDS)).as("the worker is scraping").isTrue();
            CompletableFuture<RawHttp.Answer> queued = CompletableFuture.supplyAsync(() -> get("/metrics"));
            await().atMost(Duration.ofSeconds(10)).until(() -> http.queuedRequests() == 1);

            RawHttp.Answer refused = RawHttp.get(http.port(), "/metrics", 10_000);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.body()).contains("busy");
            RawHttp.Answer refusedModels = RawHttp.get(http.port(), "/models", 10_000);
            assertThat(refusedModels.status()).isEqualTo(503);
            // Answered without waiting for the worker, which is still blocked.
            assertThat(first).isNotDone();

            RawHttp.Answer health = RawHttp.get(http.port(), "/health", 10_000);
            assertThat(health.body()).contains("\"status\" : \"DOWN\"").doesNotContain("busy");
            assertThat(health.millis()).isLessThan(PROBE_BOUND_MS);
            assertThat(registry.get("streamfit.http.rejected").tag("pool", "workers").counter().count())
                    .isEqualTo(2);

            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(queued.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aClientThatDoesNotReadItsAnswerHoldsItsWorkerOnlyUntilTheIdleTimeout() throws Exception {
        for (int i = 0; i < 5_000; i++) {
            metrics.publish(new ModelInfo("series-" + i, "spec", i, i, 0.5, 0.5, 0.5, 0.5, 1, 1, i));
        }
        // One worker, no queue: while it is held, every other request of the workers is refused.
        start(new HttpSettings(1, 0, 120_000, 500, 100, 5_000));
        Socket greedy = new Socket();
        sockets.add(greedy);
        greedy.setReceiveBufferSize(4096); // a small window, so the server's writes stall at once
        greedy.connect(new java.net.InetSocketAddress("127.0.0.1", http.port()));
        greedy.setSoTimeout(10_000);
        RawHttp.send(greedy, RawHttp.request("/models?limit=5000", false)); // a page of ~3 MB
        assertThat(new String(greedy.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200");
        // The worker is stuck writing to a client that does not read ...
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> get("/metrics").status() == 503);
        // ... until the idle timeout gives up on that client and frees it.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/metrics").status() == 200);
        assertThat(RawHttp.closedByServer(greedy)).isTrue();
    }

    private RawHttp.Answer get(String path) {
        try {
            return RawHttp.get(http.port(), path, 30_000);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
