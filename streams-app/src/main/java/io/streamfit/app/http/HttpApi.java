package io.streamfit.app.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.runtime.StreamfitApp;

/**
 * The read-only HTTP surface: {@code GET /metrics} (Prometheus text), {@code GET /health} (200 only
 * while the Streams client is RUNNING or REBALANCING: status UP, or DEGRADED with the count of
 * quarantined model keys; 503 DOWN otherwise), {@code GET /models} and
 * {@code GET /models/{key}} (version, updates, prequential metrics, last checkpoint).
 *
 * <p>Only GET and HEAD are served (405 otherwise), without a request body (413) and with a URI of
 * at most {@link #MAX_URI_CHARS} characters (414). Nothing here changes state; an endpoint that
 * does must not be added without authentication. Bind to 127.0.0.1 (the default) unless the port
 * must be reachable from elsewhere, e.g. 0.0.0.0 inside a container.
 */
public final class HttpApi implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Longest request URI served (414 beyond): model keys are short, and nothing else takes parameters. */
    public static final int MAX_URI_CHARS = 2048;

    private final HttpServer server;
    private final ExecutorService executor;

    private HttpApi(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving.
     *
     * @param host bind address (127.0.0.1 keeps it local)
     * @param port port, 0 for any free one
     */
    public static HttpApi start(String host, int port, StreamfitApp app, PrometheusMeterRegistry registry)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "streamfit-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> handle(ex, () ->
                new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())));
        server.createContext("/health", ex -> handle(ex, () -> {
            Map<String, Object> body = new LinkedHashMap<>();
            int quarantined = app.metrics().quarantined().size();
            // DEGRADED stays 200: a restart cannot repair a corrupt checkpoint, so a liveness probe
            // that failed here would only restart the instance in a loop and stop the healthy keys.
            var stalls = app.stalls();
            // STALLED answers 503: a stuck task is cured by a restart (see ProgressWatch).
            body.put("status", stalls.isEmpty() ? healthStatus(app.healthy(), quarantined) : "STALLED");
            body.put("streams", String.valueOf(app.state()));
            if (!stalls.isEmpty()) {
                body.put("stalledPartitions", stalls.stream().map(st -> Map.of("partition", st.partition().toString(),
                        "committed", st.committed(), "end", st.end(), "seconds", st.since().toSeconds())).toList());
            }
            if (quarantined > 0) {
                body.put("quarantinedModels", quarantined);
            }
            if (app.fatalError() != null) {
                // An access error can be wrapped deep in a Streams error; say it plainly.
                String access = KafkaAccess.explain(app.fatalError());
                body.put("error", access != null ? access : String.valueOf(app.fatalError().getMessage()));
            }
            return json(app.healthy() && stalls.isEmpty() ? 200 : 503, body);
        }));
        server.createContext("/models", ex -> handle(ex, () -> models(ex, app)));
        server.createContext("/", ex -> handle(ex, () -> json(404, Map.of("error", "not found",
                "endpoints", java.util.List.of("/metrics", "/health", "/models", "/models/{key}")))));
        server.start();
        return new HttpApi(server, executor);
    }

    /** UP, DEGRADED (running, some model keys quarantined) or DOWN; only DOWN answers 503. */
    static String healthStatus(boolean running, int quarantined) {
        return !running ? "DOWN" : quarantined > 0 ? "DEGRADED" : "UP";
    }

    private static Response models(HttpExchange ex, StreamfitApp app) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String rest = path.length() > "/models".length() ? path.substring("/models".length() + 1) : "";
        if (rest.isEmpty()) {
            Map<String, Object> all = new LinkedHashMap<>();
            app.metrics().models().stream().sorted(java.util.Comparator.comparing(ModelInfo::key))
                    .forEach(m -> all.put(m.key(), describe(m)));
            return json(200, Map.of("models", all));
        }
        String key = URLDecoder.decode(rest, StandardCharsets.UTF_8);
        ModelInfo info = app.metrics().model(key);
        if (info == null) {
            return json(404, Map.of("error", "no live model '" + key + "' in this instance"));
        }
        return json(200, describe(info));
    }

    private static Map<String, Object> describe(ModelInfo m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", m.key());
        out.put("version", m.version());
        out.put("updates", m.version());
        out.put("records", m.records());
        out.put("lastTimestep", m.lastTimestep());
        Map<String, Object> divergence = new LinkedHashMap<>();
        divergence.put("rollbacks", m.rollbacks());
        divergence.put("learningRateScale", m.learningRateScale());
        out.put("divergence", divergence);
        Map<String, Object> preq = new LinkedHashMap<>();
        preq.put("objectMse", finite(m.objectMse()));
        preq.put("objectRmse", finite(Math.sqrt(m.objectMse())));
        preq.put("sumMse", finite(m.sumMse()));
        preq.put("sumRmse", finite(Math.sqrt(m.sumMse())));
        preq.put("runningObjectMse", finite(m.runningObjectMse()));
        preq.put("runningSumMse", finite(m.runningSumMse()));
        if (!Double.isNaN(m.runningAccuracy())) {
            preq.put("accuracy", finite(m.accuracy()));
            preq.put("logLoss", finite(m.logLoss()));
            preq.put("runningAccuracy", finite(m.runningAccuracy()));
            preq.put("runningLogLoss", finite(m.runningLogLoss()));
        }
        out.put("prequential", preq);
        Map<String, Object> cp = new LinkedHashMap<>();
        cp.put("bytes", m.checkpointBytes());
        cp.put("atMs", m.checkpointAtMs());
        out.put("lastCheckpoint", cp);
        out.put("spec", m.spec());
        return out;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static Response json(int status, Object body) throws IOException {
        return new Response(status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
    }

    private interface Handler {
        Response get() throws IOException;
    }

    private record Response(int status, String contentType, String body) {
    }

    private static void handle(HttpExchange ex, Handler handler) throws IOException {
        try (ex) {
            Response r;
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "GET, HEAD");
                r = json(405, Map.of("error", "method not allowed; this API is read-only"));
            } else if (ex.getRequestURI().toString().length() > MAX_URI_CHARS) {
                r = json(414, Map.of("error", "URI longer than " + MAX_URI_CHARS + " characters"));
            } else if (hasBody(ex)) {
                // Nothing here reads a body; refusing one keeps a client from making us buffer it.
                r = json(413, Map.of("error", "request bodies are not accepted"));
            } else {
                try {
                    r = handler.get();
                } catch (RuntimeException e) {
                    r = json(500, Map.of("error", e.getClass().getSimpleName()));
                }
            }
            byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", r.contentType());
            boolean head = "HEAD".equals(ex.getRequestMethod());
            ex.sendResponseHeaders(r.status(), head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(bytes);
                }
            }
        }
    }

    private static boolean hasBody(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        return ex.getRequestHeaders().containsKey("Transfer-Encoding")
                || (length != null && !length.trim().equals("0"));
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
