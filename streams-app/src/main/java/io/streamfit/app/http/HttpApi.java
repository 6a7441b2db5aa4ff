package io.streamfit.app.http;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.metrics.ModelDirectory;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.RecentPredictions;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.runtime.StreamfitApp;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The read-only HTTP surface: {@code GET /metrics} (Prometheus text), {@code GET /health} (200 only
 * while the Streams client is RUNNING or REBALANCING: status UP, or DEGRADED with the count of
 * quarantined model keys; 503 DOWN otherwise, or STALLED while an input partition does not move), {@code GET /models?limit=N&after=KEY} (a page of the
 * live models in key order, with the cursor of the next) and {@code GET /models/{key}} (version,
 * updates, prequential metrics, last checkpoint), {@code GET /recent?limit=N} (the newest sum
 * predictions with their targets) and {@code GET /} (the live page for people, {@link LivePage},
 * which reads only these endpoints).
 *
 * <p>Only GET and HEAD are served (405 otherwise), without a request body (413) and with a URI of
 * at most {@link #MAX_URI_CHARS} characters (414). Nothing here changes state; an endpoint that
 * does must not be added without authentication. Bind to 127.0.0.1 (the default) unless the port
 * must be reachable from elsewhere, e.g. 0.0.0.0 inside a container.
 *
 * <p>Under load: Jetty reads and parses requests on its selector without holding a thread, so a
 * slow or stalled client costs a socket, not a worker; {@link RequestDeadline} closes a connection
 * that has not delivered its request head within {@link HttpSettings#readTimeoutMs()}, and Jetty's
 * idle timeout one on which nothing moves ({@link HttpSettings#idleTimeoutMs()}). {@code /metrics}
 * and {@code /models} run on a fixed pool with a bounded queue; a request that finds the queue full
 * is answered 503 with {@code Retry-After} at once. {@code /health} has its own thread, so a
 * Kubernetes probe is answered while every worker is busy.
 */
public final class HttpApi implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Longest request URI served (414 beyond): model keys are short, and the only parameters are a page's. */
    public static final int MAX_URI_CHARS = 2048;

    /** Health requests that may wait for the health thread; each takes microseconds. */
    static final int HEALTH_QUEUE = 32;

    /** Jetty's own threads: the selector (which also accepts) and the completion of asynchronous writes. */
    private static final int IO_THREADS = 4;

    private static final List<String> ENDPOINTS = List.of("/", "/metrics", "/health", "/models", "/models/{key}",
            "/models/{key}/versions", "/recent");

    /** {@code GET /recent}: entries returned without {@code limit}. */
    static final int RECENT_LIMIT_DEFAULT = 100;
    private static final String VERSIONS_SUFFIX = "/versions";

    /**
     * Model keys are arbitrary strings: a key may hold '/', '%', ';' or "..", which a client
     * percent-encodes. Jetty refuses such paths by default as ambiguous (they matter to servlet
     * path mapping and file serving, neither of which is here); this server decodes the raw path
     * itself, so it allows them. Malformed percent-encoding and UTF-8 are still refused (400).
     */
    private static final UriCompliance KEY_PATHS = UriCompliance.from(EnumSet.of(
            UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT, UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
            UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR, UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER,
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING, UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS));

    private final Server server;
    private final ServerConnector connector;
    private final ThreadPoolExecutor workers;
    private final ThreadPoolExecutor health;
    private final RequestDeadline deadline;

    private HttpApi(Server server, ServerConnector connector, ThreadPoolExecutor workers, ThreadPoolExecutor health,
                    RequestDeadline deadline) {
        this.server = server;
        this.connector = connector;
        this.workers = workers;
        this.health = health;
        this.deadline = deadline;
    }

    /**
     * Starts serving with the {@code http.*} settings of the app's configuration.
     *
     * @param host bind address (127.0.0.1 keeps it local)
     * @param port port, 0 for any free one
     */
    public static HttpApi start(String host, int port, StreamfitApp app, PrometheusMeterRegistry registry)
            throws IOException {
        return start(host, port, app, registry, HttpSettings.from(app.config()));
    }

    /**
     * Starts serving.
     *
     * @param host     bind address (127.0.0.1 keeps it local)
     * @param port     port, 0 for any free one
     * @param settings pool, queue, timeouts and page sizes
     */
    public static HttpApi start(String host, int port, StreamfitApp app, PrometheusMeterRegistry registry,
                                HttpSettings settings) throws IOException {
        QueuedThreadPool io = new QueuedThreadPool(IO_THREADS, 1);
        io.setName("streamfit-http-io");
        io.setDaemon(true);
        io.setReservedThreads(0);
        Server server = new Server(io);
        server.setStopTimeout(0);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setUriCompliance(KEY_PATHS);
        ScheduledExecutorScheduler timer = new ScheduledExecutorScheduler("streamfit-http-timer", true);
        // acceptors 0: the one selector thread accepts too, so no thread blocks in accept().
        ServerConnector connector = new ServerConnector(server, null, timer, null, 0, 1,
                new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(settings.idleTimeoutMs());
        RequestDeadline deadline = new RequestDeadline(timer, settings.readTimeoutMs(),
                counter(registry, "streamfit.http.timeouts",
                        "Connections closed for not sending a whole request head within http.read.timeout.ms"));
        connector.addEventListener(deadline);
        server.addConnector(connector);

        ThreadPoolExecutor workers = pool("streamfit-http", settings.threads(), settings.queueSize());
        ThreadPoolExecutor health = pool("streamfit-http-health", 1, HEALTH_QUEUE);
        server.setHandler(new Router(app, registry, settings, deadline, workers, health,
                rejected(registry, "workers"), rejected(registry, "health")));
        HttpApi api = new HttpApi(server, connector, workers, health, deadline);
        try {
            server.start();
        } catch (Exception e) {
            api.close();
            throw e instanceof IOException io2 ? io2 : new IOException("HTTP server did not start on " + host + ":"
                    + port + ": " + e.getMessage(), e);
        }
        return api;
    }

    private static Counter rejected(MeterRegistry registry, String pool) {
        return Counter.builder("streamfit.http.rejected").tag("pool", pool)
                .description("HTTP requests answered 503 at once: every thread of their pool busy, its queue full")
                .register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    /** A fixed pool whose queue holds {@code queue} tasks; it refuses (throws) beyond. */
    private static ThreadPoolExecutor pool(String name, int threads, int queue) {
        BlockingQueue<Runnable> q = queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue);
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, q, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** UP, DEGRADED (running, some model keys quarantined) or DOWN; only DOWN answers 503. */
    static String healthStatus(boolean running, int quarantined) {
        return !running ? "DOWN" : quarantined > 0 ? "DEGRADED" : "UP";
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Connections whose request-head deadline is running (for tests). */
    int connectionsAwaitingRequest() {
        return deadline.armedCount();
    }

    /** Requests of /metrics and /models waiting for a worker (for tests). */
    int queuedRequests() {
        return workers.getQueue().size();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // Stopping closes the sockets; nothing is left to do if it fails halfway.
        }
        workers.shutdownNow();
        health.shutdownNow();
    }

    private record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {

        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }
    }

    private interface Endpoint {
        Reply serve() throws IOException;
    }

    /**
     * Routes each request: the refusals (405, 413, 414, 404) are answered on Jetty's thread at
     * once; {@code /health} goes to its own thread, {@code /metrics} and {@code /models} to the
     * workers. It never blocks, so Jetty may call it on the selector.
     */
    private static final class Router extends Handler.Abstract.NonBlocking {

        private final StreamfitApp app;
        private final PrometheusMeterRegistry registry;
        private final HttpSettings settings;
        private final RequestDeadline deadline;
        private final ThreadPoolExecutor workers;
        private final ThreadPoolExecutor health;
        private final Counter workersRejected;
        private final Counter healthRejected;

        Router(StreamfitApp app, PrometheusMeterRegistry registry, HttpSettings settings, RequestDeadline deadline,
               ThreadPoolExecutor workers, ThreadPoolExecutor health, Counter workersRejected, Counter healthRejected) {
            this.app = app;
            this.registry = registry;
            this.settings = settings;
            this.deadline = deadline;
            this.workers = workers;
            this.health = health;
            this.workersRejected = workersRejected;
            this.healthRejected = healthRejected;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Connection connection = request.getConnectionMetaData().getConnection();
            deadline.disarm(connection);
            Callback done = Callback.from(() -> {
                deadline.arm(connection);
                callback.succeeded();
            }, x -> {
                deadline.arm(connection);
                callback.failed(x);
            });
            String method = request.getMethod();
            String path = request.getHttpURI().getPath();
            boolean body = hasBody(request);
            if (body) {
                // Its body is never read, so the connection cannot serve another request: say so, or
                // a client that keeps it alive sends its next request into a connection Jetty closes.
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                send(response, done, withHeader(json(405, Map.of("error", "method not allowed; this API is read-only")),
                        "Allow", "GET, HEAD"));
            } else if (request.getHttpURI().getPathQuery().length() > MAX_URI_CHARS) {
                send(response, done, json(414, Map.of("error", "URI longer than " + MAX_URI_CHARS + " characters")));
            } else if (body) {
                // Nothing here reads a body; refusing one keeps a client from making us buffer it.
                send(response, done, json(413, Map.of("error", "request bodies are not accepted")));
            } else if ("/health".equals(path)) {
                dispatch(health, healthRejected, response, done, false, this::health);
            } else if ("/metrics".equals(path)) {
                dispatch(workers, workersRejected, response, done, true, () -> new Reply(200,
                        "text/plain; version=0.0.4; charset=utf-8", registry.scrape().getBytes(StandardCharsets.UTF_8)));
            } else if (LivePage.serves(path)) {
                // The page's files are in memory since start: answered here, without a worker.
                LivePage.Asset asset = LivePage.asset(path);
                send(response, done, new Reply(200, asset.contentType(), asset.bytes(), LivePage.HEADERS));
            } else if ("/recent".equals(path)) {
                String query = request.getHttpURI().getQuery();
                dispatch(workers, workersRejected, response, done, true, () -> recent(query));
            } else if ("/models".equals(path) || path.startsWith("/models/")) {
                String query = request.getHttpURI().getQuery();
                dispatch(workers, workersRejected, response, done, true, () -> models(path, query));
            } else {
                send(response, done, json(404, Map.of("error", "not found", "endpoints", ENDPOINTS)));
            }
            return true;
        }

        /**
         * Runs an endpoint on {@code pool}, or answers 503 at once when its queue is full. A worker
         * writes its reply blocking, so the replies in memory are bounded by the workers (a client
         * that does not read holds one until the idle timeout); the health thread writes without
         * waiting, so no client can hold it.
         */
        private void dispatch(ThreadPoolExecutor pool, Counter rejected, Response response, Callback done,
                              boolean blocking, Endpoint endpoint) {
            try {
                pool.execute(() -> {
                    Reply r;
                    try {
                        r = endpoint.serve();
                    } catch (IOException | RuntimeException e) {
                        r = json(500, Map.of("error", e.getClass().getSimpleName()));
                    }
                    if (blocking) {
                        sendAndWait(response, done, r);
                    } else {
                        send(response, done, r);
                    }
                });
            } catch (RejectedExecutionException e) {
                rejected.increment();
                send(response, done, withHeader(json(503, Map.of("error",
                        "busy: every worker is taken and " + pool.getQueue().size() + " requests wait; retry later")),
                        "Retry-After", "1"));
            }
        }

        private Reply health() {
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
        }

        /** The models to list: the model stores of the running service, else those published in memory. */
        private ModelDirectory directory() {
            ModelDirectory stored = app.models();
            return stored != null ? stored : new LiveModelDirectory(app.metrics());
        }

        /**
         * {@code GET /recent?limit=N}: the newest sum predictions this instance emitted, with their
         * targets, oldest first (at most {@link RecentPredictions#CAPACITY}; see there for what they are).
         */
        private Reply recent(String query) {
            Map<String, String> params;
            try {
                params = queryParameters(query);
            } catch (IllegalArgumentException e) {
                return json(400, Map.of("error", "malformed percent-encoding in the query"));
            }
            int limit = RECENT_LIMIT_DEFAULT;
            String raw = params.get("limit");
            if (raw != null) {
                try {
                    limit = Integer.parseInt(raw.trim());
                } catch (NumberFormatException e) {
                    limit = 0;
                }
                if (limit < 1) {
                    return json(400, Map.of("error", "limit must be a whole number from 1 to "
                            + RecentPredictions.CAPACITY));
                }
                limit = Math.min(limit, RecentPredictions.CAPACITY);
            }
            RecentPredictions recent = app.metrics().recentPredictions();
            List<Map<String, Object>> out = new ArrayList<>();
            for (RecentPredictions.Entry e : recent.latest(limit)) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("series", e.series());
                p.put("timestep", e.timestep());
                p.put("prediction", finite(e.prediction()));
                p.put("sumTarget", finite(e.target()));
                p.put("modelVersion", e.modelVersion());
                p.put("variant", e.variant());
                p.put("atMs", e.atMs());
                out.add(p);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("predictions", out);
            body.put("limit", limit);
            body.put("total", recent.total());
            return json(200, body);
        }

        /** {@code GET /models/{key}/versions}: the model's kept versions, oldest first. */
        private Reply versions(String rawKey) {
            String key;
            try {
                key = URLDecoder.decode(rawKey, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return json(400, Map.of("error", "malformed percent-encoding in the model key"));
            }
            List<ModelDirectory.VersionInfo> kept = directory().versions(key);
            if (kept == null) {
                return json(404, Map.of("error", "no model '" + key + "' in this instance"));
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (ModelDirectory.VersionInfo v : kept) {
                Map<String, Object> d = describe(v.model());
                Map<String, Object> version = new LinkedHashMap<>();
                version.put("version", d.get("version"));
                version.put("generation", v.generation());
                version.put("keptAtMs", v.keptAtMs());
                version.put("atTimestep", v.atTimestep());
                version.put("inputOffsets", new java.util.TreeMap<>(v.inputOffsets()));
                version.put("records", d.get("records"));
                version.put("prequential", d.get("prequential"));
                out.add(version);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("key", key);
            body.put("versions", out);
            return json(200, body);
        }

        private Reply models(String path, String query) {
            String rest = path.length() > "/models/".length() ? path.substring("/models/".length()) : "";
            if (rest.endsWith(VERSIONS_SUFFIX) && rest.length() > VERSIONS_SUFFIX.length()) {
                return versions(rest.substring(0, rest.length() - VERSIONS_SUFFIX.length()));
            }
            if (!rest.isEmpty()) {
                String key;
                try {
                    key = URLDecoder.decode(rest, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return json(400, Map.of("error", "malformed percent-encoding in the model key"));
                }
                ModelInfo info = directory().model(key);
                if (info == null) {
                    return json(404, Map.of("error", "no model '" + key + "' in this instance"));
                }
                Map<String, Object> body = describe(info);
                ModelDirectory.Variants variants = directory().variants(key);
                if (variants != null) {
                    body.put("leader", variants.leader());
                    Map<String, Object> each = new LinkedHashMap<>();
                    variants.models().forEach((name, m) -> {
                        Map<String, Object> d = describe(m);
                        Map<String, Object> v = new LinkedHashMap<>();
                        v.put("role", name.equals(variants.leader()) ? "champion" : "challenger");
                        v.put("version", d.get("version"));
                        v.put("prequential", d.get("prequential"));
                        v.put("spec", d.get("spec"));
                        each.put(name, v);
                    });
                    body.put("variants", each);
                }
                return json(200, body);
            }
            Map<String, String> params;
            try {
                params = queryParameters(query);
            } catch (IllegalArgumentException e) {
                return json(400, Map.of("error", "malformed percent-encoding in the query"));
            }
            int limit = settings.defaultLimit();
            String rawLimit = params.get("limit");
            if (rawLimit != null) {
                try {
                    limit = Integer.parseInt(rawLimit.trim());
                } catch (NumberFormatException e) {
                    limit = 0;
                }
                if (limit < 1) {
                    return json(400, Map.of("error", "limit must be a whole number from 1 to " + settings.maxLimit()));
                }
                limit = Math.min(limit, settings.maxLimit());
            }
            ModelDirectory directory = directory();
            List<ModelInfo> page = new ArrayList<>(directory.page(params.get("after"), limit + 1));
            String next = null;
            if (page.size() > limit) {
                page.subList(limit, page.size()).clear();
                next = page.get(limit - 1).key();
            }
            Map<String, Object> models = new LinkedHashMap<>();
            page.forEach(m -> models.put(m.key(), describe(m)));
            ModelDirectory.Total total = directory.total();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("models", models);
            body.put("limit", limit);
            body.put("next", next);
            body.put("total", total.count());
            body.put("totalExact", total.exact());
            if (!directory.complete()) {
                // A task is restoring or moving: its models are missing from this answer.
                body.put("complete", false);
            }
            return json(200, body);
        }
    }

    /** Query parameters, the first of each name; form-decoded. */
    static Map<String, String> queryParameters(String query) {
        Map<String, String> params = new HashMap<>();
        if (query == null || query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static Map<String, Object> describe(ModelInfo m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", m.key());
        out.put("version", m.version());
        out.put("generation", m.generation());
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
        if (m.labels() != null) {
            out.put("labels", m.labels());
        }
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

    private static Reply json(int status, Object body) {
        try {
            return new Reply(status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
        } catch (IOException e) {
            // Maps of strings and numbers always serialize; this is a bug, not a client's doing.
            throw new IllegalStateException("cannot write JSON reply", e);
        }
    }

    private static Reply withHeader(Reply r, String name, String value) {
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        headers.put(name, value);
        return new Reply(r.status(), r.contentType(), r.body(), headers);
    }

    private static boolean hasBody(Request request) {
        String length = request.getHeaders().get(HttpHeader.CONTENT_LENGTH);
        return request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
                || (length != null && !length.trim().equals("0"));
    }

    private static void prepare(Response response, Reply r) {
        response.setStatus(r.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, r.contentType());
        // Jetty sends the length and, for HEAD, leaves the body out.
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, r.body().length);
        r.headers().forEach((name, value) -> response.getHeaders().put(name, value));
    }

    /** Writes without waiting; {@code done} completes the exchange when the bytes are out. */
    private static void send(Response response, Callback done, Reply r) {
        prepare(response, r);
        response.write(true, ByteBuffer.wrap(r.body()), done);
    }

    /** Writes and waits until the bytes are out (or the idle timeout gives up on the client). */
    private static void sendAndWait(Response response, Callback done, Reply r) {
        prepare(response, r);
        try (Blocker.Callback written = Blocker.callback()) {
            response.write(true, ByteBuffer.wrap(r.body()), written);
            written.block();
        } catch (IOException | RuntimeException e) {
            done.failed(e);
            return;
        }
        done.succeeded();
    }
}
