package io.streamfit.bench;

import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.cli.StreamfitCli;

/**
 * {@code streamfit run --config FILE} in a child JVM, as a benchmark measures a service: its own
 * resident set ({@code /proc/PID/status}), its {@code /metrics} and a full GC on demand
 * ({@code jcmd PID GC.run}). Output goes to a log file.
 */
final class ServiceChild implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceChild(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts the service with {@code config} (plus its HTTP port) written to {@code dir}, in a JVM
     * with {@code jvmOptions}, on this JVM's class path.
     */
    static ServiceChild start(Map<String, String> config, List<String> jvmOptions, Path dir, String name)
            throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Properties p = new Properties();
        p.putAll(config);
        p.put("http.host", "127.0.0.1");
        p.put("http.port", String.valueOf(port));
        Path file = dir.resolve(name + ".properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, "benchmarks: " + name);
        }
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), StreamfitCli.class.getName(), "run",
                "--config", file.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
        // As the launcher, the image and the Kubernetes manifest run the service.
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        return new ServiceChild(pb.start(), log, port);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** Waits until {@code /metrics} answers; fails when the child dies first or after {@code timeout}. */
    void awaitServing(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            ensureAlive();
            try {
                metrics();
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the service did not serve /metrics within " + timeout + "\n" + logTail());
    }

    /** {@code GET /metrics}. */
    PromText metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("/metrics answered " + r.statusCode());
        }
        return PromText.parse(r.body());
    }

    /** A line of {@code /proc/PID/status} (e.g. {@code VmRSS}) in KiB, or -1. */
    long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** A full GC in the child ({@code jcmd PID GC.run}); false when jcmd is missing or failed. */
    boolean fullGc() throws InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    void ensureAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException("the service died (exit " + process.exitValue() + "); log " + log + ":\n"
                    + logTail());
        }
    }

    /** The last 40 lines of the log. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGTERM, then SIGKILL after 60 s. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
