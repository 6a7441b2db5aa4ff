package io.streamfit.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.http.HttpSettings;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The HTTP surface with many models and hostile clients, in one JVM (run it with the heap the
 * service has, e.g. -Xmx1g): (1) a walk through every page of {@code GET /models} with N live
 * models: time per page and the heap it took; (2) {@code /health} latency on fresh connections
 * while S slow clients hold connections with unfinished requests; (3) the same while C clients
 * also keep every worker busy with the largest pages (and the queue full: they get 503s).
 * The models are published into the live directory as the processor publishes them; no Kafka.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "GET /models pages with many models; /health latency under slow and greedy clients.")
public final class HttpBench implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--models", description = "Live models (default ${DEFAULT-VALUE}).")
    int models = 300_000;

    @Option(names = "--limit", description = "Page size of the walk (default ${DEFAULT-VALUE}, the default maximum).")
    int limit = 1000;

    @Option(names = "--slow", description = "Slow clients holding an unfinished request (default ${DEFAULT-VALUE}).")
    int slow = 50;

    @Option(names = "--greedy", description = "Clients fetching the largest pages back to back (default ${DEFAULT-VALUE}).")
    int greedy = 8;

    @Option(names = "--probes", description = "/health requests per phase (default ${DEFAULT-VALUE}).")
    int probes = 200;

    public static void main(String[] args) {
        System.exit(new CommandLine(new HttpBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        for (int i = 0; i < models; i++) {
            String key = "series-" + Integer.toString(i * 7919 % models, 36) + "-" + i;
            metrics.publish(new ModelInfo(key, "m=8,hidden=64", i, 10L * i, 0.5, 1.5, 0.6, 1.6, 20_000, 1L, i));
        }
        StreamfitApp app = new StreamfitApp(new StreamfitConfig(Map.of("model.features", "8")), metrics);
        HttpSettings settings = new HttpSettings(HttpSettings.DEFAULTS.threads(), HttpSettings.DEFAULTS.queueSize(),
                HttpSettings.DEFAULTS.readTimeoutMs(), HttpSettings.DEFAULTS.idleTimeoutMs(),
                HttpSettings.DEFAULTS.defaultLimit(), Math.max(limit, HttpSettings.DEFAULTS.maxLimit()));
        System.out.printf(Locale.ROOT, "HttpBench: %,d models, max heap %d MB, %d cores, %s%n", models,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors(), settings);
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry, settings)) {
            walk(http.port());
            List<Socket> held = holdSlowConnections(http.port());
            try {
                System.out.println(probe(http.port(), slow + " slow connections"));
                greedyPhase(http.port());
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
        return 0;
    }

    private void walk(int port) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        System.gc();
        long heapBefore = heapUsed();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        List<Long> pageNanos = new ArrayList<>();
        long bytes = 0;
        int seen = 0;
        String after = "";
        long start = System.nanoTime();
        while (after != null) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/models?limit=" + limit + "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            pageNanos.add(System.nanoTime() - t0);
            if (r.statusCode() != 200) {
                throw new IllegalStateException("page after '" + after + "': " + r.statusCode() + " " + r.body());
            }
            bytes += r.body().length();
            JsonNode page = JSON.readTree(r.body());
            seen += page.path("models").size();
            after = page.path("next").isNull() ? null : page.path("next").asText();
        }
        double totalS = (System.nanoTime() - start) / 1e9;
        long peak = heapPeak();
        System.out.printf(Locale.ROOT, "walk: %,d models in %d pages of %d in %.1f s; per page p50 %.1f ms, p99 %.1f ms,"
                        + " max %.1f ms; %,d bytes a page; heap %d MB before, peak %d MB during (all pools' peaks)%n",
                seen, pageNanos.size(), limit, totalS, pct(pageNanos, 50), pct(pageNanos, 99), pct(pageNanos, 100),
                bytes / Math.max(1, pageNanos.size()), heapBefore >> 20, peak >> 20);
        if (seen != models) {
            throw new IllegalStateException("the walk saw " + seen + " models of " + models);
        }
    }

    private List<Socket> holdSlowConnections(int port) throws IOException {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < slow; i++) {
            Socket s = new Socket("127.0.0.1", port);
            s.getOutputStream().write(("GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-" + i + ": ")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            held.add(s);
        }
        return held;
    }

    private void greedyPhase(int port) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong served = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(greedy);
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < greedy; i++) {
            pool.submit(() -> {
                while (!stop.get()) {
                    try {
                        int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/models?limit=100000")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                        (status == 503 ? refused : served).incrementAndGet();
                    } catch (IOException e) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            });
        }
        Thread.sleep(1000);
        String line = probe(port, slow + " slow connections and " + greedy + " clients fetching the largest pages");
        stop.set(true);
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
        System.out.printf(Locale.ROOT, "%s; the greedy clients got %,d pages and %,d 503s%n", line, served.get(),
                refused.get());
    }

    /** /health on a fresh connection each time, sequentially; the latency percentiles. */
    private String probe(int port, String under) throws IOException {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < probes; i++) {
            long t0 = System.nanoTime();
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(12);
                in.readAllBytes();
                if (head.length < 12) {
                    throw new IOException("no answer to /health");
                }
            }
            nanos.add(System.nanoTime() - t0);
        }
        return String.format(Locale.ROOT, "/health under %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d probes)", under,
                pct(nanos, 50), pct(nanos, 99), pct(nanos, 100), probes);
    }

    private static double pct(List<Long> nanos, int p) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        int i = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long heapPeak() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}
