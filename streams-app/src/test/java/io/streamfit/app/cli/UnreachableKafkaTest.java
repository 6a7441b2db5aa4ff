package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bootstrap address where no broker listens (a closed port) stops {@code streamfit run} within
 * {@code kafka.connect.timeout.ms} (30 s by default) with one line that names the address, exit code
 * 2, and none of the clients' warnings about each failed connection.
 */
class UnreachableKafkaTest {

    @TempDir
    Path dir;

    /** A port that was free a moment ago: nothing listens there. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    private Path config(int port, String extra) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:" + port + "\nmodel.features=4\nhttp.port=0\n"
                + "state.dir=" + dir.resolve("state") + "\n" + extra);
        return file;
    }

    private static String expected(int port, Path file, String within) {
        return "streamfit run: cannot reach Kafka at 127.0.0.1:" + port + " (bootstrap.servers from file " + file
                + "): no broker answered within " + within + " (kafka.connect.timeout.ms); check that the brokers "
                + "run and the host and port are right";
    }

    @Test
    void runStopsWithinTheDefaultTimeoutWithOneLineAndNoWarnings() throws Exception {
        int port = closedPort();
        Path file = config(port, "");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), StreamfitCli.class.getName(), "run", "--config", file.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        // The service's log levels as a user gets them.
        pb.environment().keySet().removeIf(k -> k.startsWith("STREAMFIT_"));
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        double seconds = (System.nanoTime() - t0) / 1e9;

        assertThat(p.exitValue()).as(err).isEqualTo(2);
        assertThat(seconds).as(err).isLessThan(35);
        List<String> ours = err.lines().filter(l -> l.startsWith("streamfit")).toList();
        assertThat(ours).as(err).containsExactly(expected(port, file, "30s"));
        assertThat(err.lines().filter(l -> l.contains(" WARN "))).as(err).isEmpty();
    }

    @Test
    void dryRunReportsTheSameWithinItsConfiguredTimeout() throws Exception {
        int port = closedPort();
        Path file = config(port, "kafka.connect.timeout.ms=2000\n");
        long t0 = System.nanoTime();
        CliErrorsTest.Outcome o = CliErrorsTest.run("run", "--dry-run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(expected(port, file, "2s"));
        assertThat(o.out()).isEmpty();
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
    }
}
