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
 * (no shutdown hook, no commit, no leave-group). Its stdout and stderr go to a log file.
 */
final class ChildApp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

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
     * Starts {@code streamfit run --config} with {@code config} (written to {@code dir}); the
     * log of this start is appended to {@code log}.
     */
    static ChildApp start(Map<String, String> config, Path dir, Path log, int httpPort) throws IOException {
        Path file = TestConfigs.from(config).with("http.port", httpPort).with("http.host", "127.0.0.1")
                .writeTo(dir.resolve("child-" + System.nanoTime() + ".properties"));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", classpath, StreamfitCli.class.getName(), "run", "--config", file.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
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

    /** {@code GET /models} as JSON, or {@code null} while the child is not serving yet. */
    JsonNode models() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/models")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
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
}
