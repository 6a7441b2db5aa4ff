package io.streamfit.app.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.app.cli.StreamfitCli;
import io.streamfit.app.testing.TestConfigs;

/**
 * {@code streamfit run} in a child JVM, so that a test can kill it with SIGKILL like a crash does
 * (no shutdown hook, no commit, no leave-group), or hold it to a heap of its own. Its stdout and
 * stderr go to a log file.
 */
final class ChildApp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The JVM options of {@link #start(Map, Path, Path, int)}. */
    static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx1g");

    private final Process process;
    private final Path log;
    private final int httpPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ChildApp(Process process, Path log, int httpPort) {
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
    }

    /**
     * Starts {@code streamfit run --config} with {@code config} (written to {@code dir}) in a JVM
     * with {@link #DEFAULT_JVM_OPTIONS}; the log of this start is appended to {@code log}.
     */
    static ChildApp start(Map<String, String> config, Path dir, Path log, int httpPort) throws IOException {
        return start(config, dir, log, httpPort, DEFAULT_JVM_OPTIONS);
    }

    /**
     * As {@link #start(Map, Path, Path, int)}, in a JVM with {@code jvmOptions} instead of the
     * defaults (e.g. {@code -Xmx256m -XX:+ExitOnOutOfMemoryError}: a small heap, and the launcher's
     * exit on an out-of-memory error, so that one shows as a dead child).
     */
    static ChildApp start(Map<String, String> config, Path dir, Path log, int httpPort, List<String> jvmOptions)
            throws IOException {
        return start(config, dir, log, httpPort, jvmOptions, Map.of());
    }

    /** As {@link #start(Map, Path, Path, int, List)}, with {@code env} added to the child's environment. */
    static ChildApp start(Map<String, String> config, Path dir, Path log, int httpPort, List<String> jvmOptions,
            Map<String, String> env) throws IOException {
        Path file = TestConfigs.from(config).with("http.port", httpPort).with("http.host", "127.0.0.1")
                .writeTo(dir.resolve("child-" + System.nanoTime() + ".properties"));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classpath, StreamfitCli.class.getName(), "run", "--config", file.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new ChildApp(pb.start(), log, httpPort);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: the JVM stops where it is. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the shutdown hook closes the app cleanly; returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child did not stop within 60 s of SIGTERM; log: " + log);
        }
        return process.exitValue();
    }

    /** An answer of the child's HTTP server. */
    record Reply(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /**
     * {@code GET path} on the child's HTTP port.
     *
     * @throws IOException when the request fails (not serving, refused, timed out)
     */
    Reply get(String path, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** {@code GET /models} (up to 1000 models) as JSON, or {@code null} while the child is not serving yet. */
    JsonNode models() {
        try {
            // One page holds them all: the tests that ask run far fewer models than the largest page.
            Reply r = get("/models?limit=1000", Duration.ofSeconds(2));
            return r.status() == 200 ? r.json() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Input records the child's live models have processed, per {@code /models} (0 when not serving). */
    long recordsProcessed() {
        JsonNode m = models();
        long n = 0;
        if (m != null) {
            for (JsonNode model : m.path("models")) {
                n += model.path("records").asLong();
            }
        }
        return n;
    }

    /** The version of one model per {@code /models}, or -1. */
    long version(String key) {
        JsonNode m = models();
        if (m != null) {
            for (JsonNode model : m.path("models")) {
                if (key.equals(model.path("key").asText())) {
                    return model.path("version").asLong();
                }
            }
        }
        return -1;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The last 80 lines of a child's log, for a failure message. */
    static String logTail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** A port that was free a moment ago, for a child's HTTP server. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
