package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.StringWriter;
import java.util.List;

import io.streamfit.app.cli.StreamfitCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./streamfit} (this module's command line) offers every command of the service image's
 * command line, unchanged, plus the dev tools; the service's has none of the dev tools.
 */
class DevCliTest {

    private static final List<String> SERVICE = List.of("run", "export", "backfill", "reset", "status", "models",
            "completion", "help");
    private static final List<String> DEV = List.of("broker", "demo", "produce", "optimizers-bench");

    @Test
    void theServiceHasItsCommandsOnlyAndTheDevCliAddsTheDevTools() {
        assertThat(StreamfitCli.commandLine().getSubcommands().keySet()).containsExactlyElementsOf(SERVICE);
        assertThat(DevCli.commandLine().getSubcommands().keySet())
                .containsExactly("run", "export", "backfill", "reset", "status", "models", "completion", "broker",
                        "demo", "produce", "optimizers-bench", "help");
    }

    @Test
    void theServiceCommandsReadTheSameInBoth() {
        CommandLine service = StreamfitCli.commandLine();
        CommandLine dev = DevCli.commandLine();
        assertThat(dev.getCommandSpec().version()).isEqualTo(service.getCommandSpec().version());
        assertThat(dev.getCommandSpec().usageMessage().description())
                .isEqualTo(service.getCommandSpec().usageMessage().description());
        for (String name : SERVICE) {
            assertThat(dev.getSubcommands().get(name).getUsageMessage())
                    .as("usage of %s", name).isEqualTo(service.getSubcommands().get(name).getUsageMessage());
        }
    }

    @Test
    void topLevelHelpListsEveryCommandAndHelpNamesTheDevTools() {
        StringWriter out = new StringWriter();
        int code = DevCli.commandLine().setOut(new PrintWriter(out)).execute("--help");
        assertThat(code).isZero();
        assertThat(out.toString()).contains(SERVICE).contains(DEV);

        StringWriter demo = new StringWriter();
        assertThat(DevCli.commandLine().setOut(new PrintWriter(demo)).execute("help", "demo")).isZero();
        assertThat(demo.toString()).startsWith("Usage: streamfit demo ").contains("--duration", "--series", "--seed");
    }

    @Test
    void theSyntheticDataOptionsAreSharedWithTheirDefaults() {
        for (String name : List.of("demo", "produce", "optimizers-bench")) {
            CommandLine.Model.CommandSpec spec = DevCli.commandLine().getSubcommands().get(name).getCommandSpec();
            assertThat(spec.findOption("--series").defaultValue()).as(name).isEqualTo("4");
            assertThat(spec.findOption("--features").defaultValue()).as(name).isEqualTo("8");
            assertThat(spec.findOption("--noise").defaultValue()).as(name).isEqualTo("0.2");
            assertThat(spec.findOption("--seed").defaultValue()).as(name).isEqualTo("7");
        }
    }

    @Test
    void produceRefusesImpossibleStreamsBeforeConnecting() {
        StringWriter err = new StringWriter();
        int code = DevCli.commandLine().setErr(new PrintWriter(err))
                .execute("produce", "--bootstrap-servers", "127.0.0.1:1", "--series", "0", "--http-port", "-1");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines())
                .containsExactly("streamfit produce: --series must be >= 1, got 0 (see 'streamfit produce --help')");
    }

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = DevCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @TempDir
    Path dir;

    @Test
    void noCommandIsAUsageError() {
        Outcome o = run();
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).startsWith("Usage: streamfit ").contains("demo", "produce");
    }

    @Test
    void demoOptionsOutOfRangeAreOneLineNamingTheOption() {
        String data = dir.resolve("data").toString();
        assertThat(run("demo", "--data-dir", data, "--rate", "-5").err().lines())
                .containsExactly("streamfit demo: --rate must be a number > 0, got -5.0 (see 'streamfit demo --help')");
        assertThat(run("demo", "--data-dir", data, "--series", "0").err().lines())
                .containsExactly("streamfit demo: --series must be >= 1, got 0 (see 'streamfit demo --help')");
        assertThat(run("demo", "--data-dir", data, "--noise", "-1").err().lines())
                .containsExactly("streamfit demo: --noise must be a number >= 0, got -1.0 (see 'streamfit demo --help')");
        assertThat(run("demo", "--data-dir", data, "--label-delay", "-2").err().lines())
                .containsExactly("streamfit demo: --label-delay must be >= 0, got -2 (see 'streamfit demo --help')");
        assertThat(run("demo", "--data-dir", data, "--duration", "0s").err().lines())
                .containsExactly("streamfit demo: --duration must be longer than 0s, got 0s (see 'streamfit demo --help')");
        assertThat(run("demo", "--data-dir", data, "--http-port", "70000").err().lines()).containsExactly(
                "streamfit demo: --http-port must be a port in [0, 65535], got 70000 (see 'streamfit demo --help')");
        Outcome o = run("demo", "--data-dir", data, "--series", "0");
        assertThat(o.code()).isEqualTo(2);
        assertThat(Files.exists(dir.resolve("data"))).as("nothing started").isFalse();
    }

    @Test
    void produceRefusesANonPositiveRate() {
        Outcome o = run("produce", "--rate", "0", "--http-port", "-1");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines())
                .containsExactly("streamfit produce: --rate must be a number > 0, got 0.0 (see 'streamfit produce --help')");
    }

    @Test
    void busyPortsNameTheOptionBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            String data = dir.resolve("data").toString();
            Outcome http = run("demo", "--data-dir", data, "--port", String.valueOf(freePort()), "--http-port",
                    String.valueOf(port));
            assertThat(http.code()).isEqualTo(2);
            assertThat(http.err().lines()).containsExactly("streamfit demo: HTTP port " + port + " on 127.0.0.1 is in "
                    + "use (http.port from option --http-port): stop what listens there or pass --http-port with a "
                    + "free port (0 picks one)");

            Outcome metrics = run("produce", "--http-port", String.valueOf(port));
            assertThat(metrics.code()).isEqualTo(2);
            assertThat(metrics.err().lines()).containsExactly("streamfit produce: metrics port " + port + " on 127.0.0.1"
                    + " is in use (option --http-port): stop what listens there or pass --http-port with a free port "
                    + "(0 picks one, -1 serves none)");
        }
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("localhost", 0));
            int port = taken.getLocalPort();
            Outcome kafka = run("demo", "--data-dir", dir.resolve("data").toString(), "--port", String.valueOf(port));
            assertThat(kafka.code()).isEqualTo(2);
            assertThat(kafka.err().lines()).containsExactly("streamfit demo: Kafka port " + port + " on localhost is in "
                    + "use (option --port): stop what listens there or pass --port with a free port");

            Outcome broker = run("broker", "--data-dir", dir.resolve("data").toString(), "--port", String.valueOf(port));
            assertThat(broker.code()).isEqualTo(2);
            assertThat(broker.err().lines()).containsExactly("streamfit broker: Kafka port " + port + " on localhost is "
                    + "in use (option --port): stop what listens there or pass --port with a free port");

            int free = freePort();
            Outcome plain = run("broker", "--secure", "--data-dir", dir.resolve("data").toString(), "--port",
                    String.valueOf(free), "--plain-port", String.valueOf(port));
            assertThat(plain.code()).isEqualTo(2);
            assertThat(plain.err().lines()).containsExactly("streamfit broker: Kafka PLAIN port " + port + " on localhost "
                    + "is in use (option --plain-port): stop what listens there or pass --plain-port with a free port "
                    + "(0 picks one, -1 opens none)");
        }
        assertThat(Files.exists(dir.resolve("data"))).as("nothing started").isFalse();
    }

    @Test
    void produceSaysWhereItWritesThenGivesUpOnAClosedPortInOneLine() throws Exception {
        int closed = freePort();
        long t0 = System.nanoTime();
        Outcome o = run("produce", "-b", "127.0.0.1:" + closed, "--connect-timeout", "2s", "--http-port", "-1");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).isLessThan(java.time.Duration.ofSeconds(15));
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit produce: 4 series, m=8, sigma=0.200, 400 records/s to topic features at 127.0.0.1:" + closed
                        + " (option --bootstrap-servers)",
                "streamfit produce: cannot reach Kafka at 127.0.0.1:" + closed + " (option --bootstrap-servers): no "
                        + "broker answered within 2s (--connect-timeout); start one (streamfit broker) or pass "
                        + "--bootstrap-servers with its address");
    }

    @Test
    void theSecureBrokersPlainPortMustDifferFromItsPort() {
        Outcome o = run("broker", "--secure", "--data-dir", dir.resolve("data").toString(), "--port", "19999",
                "--plain-port", "19999");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly("streamfit broker: --plain-port must differ from --port, both are "
                + "19999 (see 'streamfit broker --help')");
        assertThat(Files.exists(dir.resolve("data"))).as("nothing started").isFalse();
    }

    @Test
    void theCompletionScriptCoversTheDevToolsToo() {
        StringWriter out = new StringWriter();
        assertThat(DevCli.commandLine().setOut(new PrintWriter(out)).execute("completion", "bash")).isZero();
        assertThat(out.toString()).contains("_picocli_streamfit_demo()", "_picocli_streamfit_broker()", "--plain-port",
                "_picocli_streamfit_status()");
    }

    @Test
    void aMisspeltKeyInTheDemosConfigStopsIt() throws Exception {
        Path file = dir.resolve("demo.properties");
        Files.writeString(file, "model.hiden=32\n");
        Outcome o = run("demo", "--data-dir", dir.resolve("data").toString(), "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit demo: unknown key 'model.hiden' (from file " + file + "): did you mean 'model.hidden'?");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("localhost", 0));
            return s.getLocalPort();
        }
    }
}
