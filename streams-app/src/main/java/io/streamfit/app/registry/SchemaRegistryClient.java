package io.streamfit.app.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.SchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a schema registry's Confluent-compatible REST API ({@code GET /schemas/ids/{id}},
 * {@code POST /subjects/{subject}/versions}), on the JDK's HTTP client and Jackson.
 *
 * <p>Writer schemas are cached by id in a bounded LRU cache (ids are immutable in a registry, so an
 * entry never goes stale), unknown ids too: the registry is asked once per id while it stays cached.
 *
 * <p>When the registry cannot be asked (unreachable, a timeout, a 5xx answer, or credentials it
 * refuses), a lookup does not fail the record: it waits and retries with exponential backoff (up to
 * {@code schema.registry.retry.backoff.max.ms}), for at most {@code lookupTimeout}
 * ({@code schema.registry.unavailable.max.ms}), so that a short outage only delays the input. Past
 * that it throws {@link SchemaRegistry.RegistryUnavailableException}, an instance fault: nothing is
 * dead-lettered, the open transaction aborts, the instance stops, and its records are read again at
 * the next start. Why not dead letters: every good record of the outage would go there, from where
 * nothing replays them. Why not wait indefinitely, like a consumer in a broker outage: the thread
 * holds an open transaction, which the broker aborts after {@code transaction.timeout.ms} (10 s in
 * Kafka Streams under exactly-once), and a thread that wakes after that is fenced with its outputs
 * in a transaction that never completes (seen in SchemaRegistryIT: the task made no progress for
 * minutes). {@link #close()} ends any wait at once. At start ({@link #id}) the wait is bounded by
 * {@code startTimeout}, so that a wrong URL stops the service with a clear message.
 */
public final class SchemaRegistryClient implements SchemaRegistry, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long LOG_EVERY_MS = 60_000;

    private final URI base;
    private final String authorization;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final long maxBackoffMs;
    private final Duration startTimeout;
    private final Duration lookupTimeout;
    private final ObjectMapper json = new ObjectMapper();
    /** By id: the writer schema, or the reason it is unknown (a String). */
    private final Map<Integer, Object> byId;
    private final Map<String, Integer> registered = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;
    private final Object sleeper = new Object();

    /** What the client needs: see {@code StreamfitConfig.schemaRegistry()} for the keys. */
    public record Settings(String url, String basicAuthUserInfo, String bearerToken, String truststoreLocation,
            String truststorePassword, String truststoreType, int cacheCapacity, Duration requestTimeout,
            long maxBackoffMs, Duration startTimeout, Duration lookupTimeout) {
    }

    public SchemaRegistryClient(Settings s) {
        String url = s.url().endsWith("/") ? s.url().substring(0, s.url().length() - 1) : s.url();
        this.base = URI.create(url + "/");
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new IllegalArgumentException("schema.registry.url must be an http:// or https:// URL, not '"
                    + url + "'");
        }
        if (notEmpty(s.basicAuthUserInfo()) && notEmpty(s.bearerToken())) {
            throw new IllegalArgumentException("set schema.registry.basic.auth.user.info or "
                    + "schema.registry.bearer.auth.token, not both");
        }
        if (notEmpty(s.basicAuthUserInfo())) {
            if (s.basicAuthUserInfo().indexOf(':') < 0) {
                throw new IllegalArgumentException("schema.registry.basic.auth.user.info must be user:password");
            }
            authorization = "Basic " + Base64.getEncoder().encodeToString(
                    s.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
        } else if (notEmpty(s.bearerToken())) {
            authorization = "Bearer " + s.bearerToken();
        } else {
            authorization = null;
        }
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(s.requestTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (notEmpty(s.truststoreLocation())) {
            builder.sslContext(trusting(s.truststoreLocation(), s.truststorePassword(), s.truststoreType()));
        }
        this.http = builder.build();
        this.requestTimeout = s.requestTimeout();
        this.maxBackoffMs = Math.max(FIRST_BACKOFF_MS, s.maxBackoffMs());
        this.startTimeout = s.startTimeout();
        this.lookupTimeout = s.lookupTimeout();
        int capacity = s.cacheCapacity();
        this.byId = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Object> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The registry's address, for messages. */
    public String url() {
        return base.toString();
    }

    @Override
    public Schema writerSchema(int id) {
        Object cached;
        synchronized (byId) {
            cached = byId.get(id);
        }
        if (cached == null) {
            cached = fetch(id);
            synchronized (byId) {
                byId.put(id, cached);
            }
        }
        if (cached instanceof Schema schema) {
            return schema;
        }
        throw new InvalidRecordException(InvalidRecordException.UNKNOWN_SCHEMA, "$", (String) cached);
    }

    /** The schema of {@code id}, or why it is unknown; waits out an unavailable registry. */
    private Object fetch(int id) {
        Answer a = call(HttpRequest.newBuilder(base.resolve("schemas/ids/" + Integer.toUnsignedString(id))).GET(),
                "schema id " + id, System.nanoTime() + lookupTimeout.toNanos());
        if (a.status == 404) {
            return "the schema registry has no schema of id " + Integer.toUnsignedString(id);
        }
        if (a.status != 200) {
            return "the schema registry answered " + a.status + " for schema id " + id + ": " + a.message();
        }
        String type = a.body.path("schemaType").asText("AVRO");
        if (!"AVRO".equalsIgnoreCase(type)) {
            return "schema id " + id + " is a " + type + " schema, not Avro";
        }
        try {
            return new Schema.Parser().setValidateDefaults(false).parse(a.body.path("schema").asText());
        } catch (SchemaParseException e) {
            return "schema id " + id + " is not a valid Avro schema: " + e.getMessage();
        }
    }

    /**
     * The registry's subjects ({@code GET /subjects}): a read that tells whether it can be asked with
     * streamfit's credentials, for {@code run --dry-run}. Waits as a start does.
     *
     * @throws RegistryUnavailableException when it cannot be asked, or answers something else than a list
     */
    public List<String> subjects() {
        Answer a = call(HttpRequest.newBuilder(base.resolve("subjects")).GET(), "its subjects",
                System.nanoTime() + startTimeout.toNanos());
        if (a.status != 200 || !a.body.isArray()) {
            throw new RegistryUnavailableException("the schema registry at " + base + " answered " + a.status
                    + " for its subjects: " + a.message(), null);
        }
        List<String> out = new ArrayList<>();
        a.body.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Override
    public int id(String subject, Schema schema) {
        String key = subject + '\u0000' + schema.toString();
        Integer known = registered.get(key);
        if (known != null) {
            return known;
        }
        String body;
        try {
            body = json.writeValueAsString(Map.of("schema", schema.toString()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen: a string map is JSON", e);
        }
        Answer a = call(HttpRequest.newBuilder(base.resolve("subjects/" + URLEncoder.encode(subject,
                StandardCharsets.UTF_8) + "/versions")).header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body)), "subject " + subject,
                System.nanoTime() + startTimeout.toNanos());
        if (a.status != 200 || !a.body.path("id").canConvertToInt()) {
            throw new RegistryUnavailableException("the schema registry at " + base + " refused streamfit's schema "
                    + schema.getName() + " under subject " + subject + " (" + a.status + "): " + a.message()
                    + "; a subject whose compatibility rules reject it needs another topic name or its rules "
                    + "changed", null);
        }
        int id = a.body.path("id").asInt();
        registered.put(key, id);
        LOG.info("Output schema {} is id {} under subject {} of {}", schema.getFullName(), id, subject, base);
        return id;
    }

    private record Answer(int status, JsonNode body) {
        String message() {
            return body.path("message").asText("(no message)");
        }
    }

    /**
     * One request, repeated with backoff while the registry cannot be asked: until it answers, until
     * {@code deadlineNanos} or until {@link #close()}.
     */
    private Answer call(HttpRequest.Builder request, String what, long deadlineNanos) {
        request.timeout(requestTimeout).header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpRequest built = request.build();
        long backoff = FIRST_BACKOFF_MS;
        long loggedAt = 0;
        long outageStart = 0;
        while (true) {
            String problem;
            try {
                HttpResponse<byte[]> r = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
                int status = r.statusCode();
                if (status == 401 || status == 403) {
                    problem = "it refuses streamfit's credentials (HTTP " + status + "; check "
                            + "schema.registry.basic.auth.user.info or schema.registry.bearer.auth.token)";
                } else if (status >= 500 || status == 408 || status == 429) {
                    problem = "it answered HTTP " + status;
                } else {
                    if (outageStart != 0) {
                        LOG.info("Schema registry {} answers again after {} s; input goes on", base,
                                (System.nanoTime() - outageStart) / 1_000_000_000L);
                    }
                    return new Answer(status, parse(r.body()));
                }
            } catch (IOException e) {
                problem = "it cannot be reached (" + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryUnavailableException("interrupted while asking the schema registry at " + base
                        + " for " + what, e);
            }
            long now = System.nanoTime();
            if (outageStart == 0) {
                outageStart = now;
            }
            if (closed || now - deadlineNanos > 0) {
                throw new RegistryUnavailableException("the schema registry at " + base + " cannot be asked for "
                        + what + ": " + problem, null);
            }
            if (loggedAt == 0 || now - loggedAt > LOG_EVERY_MS * 1_000_000L) {
                LOG.warn("Schema registry {} cannot be asked for {}: {}. Input waits and retries (nothing is "
                        + "dead-lettered for it)", base, what, problem);
                loggedAt = now;
            }
            synchronized (sleeper) {
                try {
                    if (!closed) {
                        sleeper.wait(backoff);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryUnavailableException("interrupted while waiting for the schema registry at "
                            + base, e);
                }
            }
            backoff = Math.min(maxBackoffMs, backoff * 2);
        }
    }

    private JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? json.createObjectNode() : json.readTree(body);
        } catch (IOException e) {
            return json.createObjectNode().put("message", "a body that is not JSON");
        }
    }

    /** Ends every wait for the registry (see the class comment); lookups from the cache go on. */
    @Override
    public void close() {
        closed = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    private static SSLContext trusting(String location, String password, String type) {
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            KeyStore store = KeyStore.getInstance(type == null || type.isBlank() ? "PKCS12" : type);
            store.load(in, password == null ? null : password.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read schema.registry.ssl.truststore.location " + location
                    + ": " + e.getMessage(), e);
        }
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    @Override
    public String toString() {
        return "SchemaRegistryClient[" + base + "]";
    }
}
