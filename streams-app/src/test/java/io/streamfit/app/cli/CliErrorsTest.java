package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error of the command line is one line on stderr (command, what is wrong, which key or
 * option and where its value came from, the fix) and exit code 2; {@code --verbose} adds the stack
 * trace. None of these reaches Kafka: the bootstrap address is a port where nothing listens.
 */
class CliErrorsTest {

    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {
        String firstErrLine() {
            return err.lines().findFirst().orElse("");
        }
    }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = StreamfitCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private Path config(String extra) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:1\nmodel.features=4\nhttp.port=0\n" + extra);
        return file;
    }

    @Test
    void noCommandPrintsTheUsageOnStderrAndExits2() {
        Outcome o = run();
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.firstErrLine()).startsWith("Usage: streamfit ");
    }

    @Test
    void versionNamesTheVersionAndTheCommit() {
        Outcome o = run("--version");
        assertThat(o.code()).isZero();
        // Maven's build of the tests leaves the commit unset: the launcher passes it.
        assertThat(o.out().strip()).matches("streamfit \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{7,40}|unknown)\\)")
                .isEqualTo("streamfit " + System.getProperty("project.version", "0.1.0-SNAPSHOT") + " (commit unknown)");
    }

    @Test
    void anUnknownOptionIsOneLineWithTheCommand() {
        Outcome o = run("run", "--bogus");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit run: Unknown option: '--bogus' (see 'streamfit run --help')");
    }

    @Test
    void aMisspeltOptionGetsASuggestion() {
        Outcome o = run("run", "--dry-rn");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.firstErrLine()).isEqualTo(
                "streamfit run: Unknown option: '--dry-rn': did you mean --dry-run? (see 'streamfit run --help')");
    }

    @Test
    void aMissingConfigFileNamesTheFileAndTheOption() {
        Path missing = dir.resolve("nope.properties");
        Outcome o = run("run", "--config", missing.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit run: config file '" + missing + "' (--config) does not exist: check the path");
    }

    @Test
    void aConfigFileThatIsADirectoryIsOneLine() {
        Outcome o = run("run", "--config", dir.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).hasSize(1);
        assertThat(o.firstErrLine()).startsWith("streamfit run: config file '" + dir + "' (--config) cannot be read: ");
    }

    @Test
    void verbosePrintsTheStackTraceToo() {
        Path missing = dir.resolve("nope.properties");
        for (String[] args : new String[][] {{"--verbose", "run", "--config", missing.toString()},
                {"run", "--config", missing.toString(), "--verbose"}}) {
            Outcome o = run(args);
            assertThat(o.code()).isEqualTo(2);
            assertThat(o.firstErrLine()).isEqualTo(
                    "streamfit run: config file '" + missing + "' (--config) does not exist: check the path");
            assertThat(o.err()).contains("CliErrors$UserError", "NoSuchFileException", "\tat ");
        }
    }

    @Test
    void anInvalidValueNamesTheKeyTheFileAndTheFix() throws Exception {
        Path file = config("optimizer=adamx\n");
        Outcome o = run("run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).hasSize(1);
        assertThat(o.firstErrLine())
                .startsWith("streamfit run: Invalid value adamx for configuration optimizer: String must be one of: ")
                .endsWith(" (optimizer from file " + file + "): correct optimizer in " + file);
    }

    @Test
    void anInvalidKafkaStreamsValueIsFoundBeforeKafkaIsTried() throws Exception {
        Path file = config("processing.guarantee=exactly_once_v3\n");
        Outcome o = run("run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly("streamfit run: Invalid value exactly_once_v3 for configuration "
                + "processing.guarantee: String must be one of: at_least_once, exactly_once_v2 "
                + "(processing.guarantee from file " + file + "): correct processing.guarantee in " + file);
    }

    @Test
    void aMissingRequiredKeySaysWhereToSetIt() throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:1\n");
        Outcome o = run("run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly("streamfit run: Missing required configuration \"model.features\" "
                + "which has no default value (model.features from streamfit's default): set model.features in "
                + file + " or STREAMFIT_MODEL_FEATURES");
    }

    @Test
    void aMisspeltKeyStopsTheStartWithASuggestion() throws Exception {
        Path file = config("model.hiden=32\n");
        Outcome o = run("run", "--config", file.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly(
                "streamfit run: unknown key 'model.hiden' (from file " + file + "): did you mean 'model.hidden'?");

        Path british = config("optimiser=sgd\n");
        Outcome o2 = run("run", "--config", british.toString());
        assertThat(o2.code()).isEqualTo(2);
        assertThat(o2.err().lines()).containsExactly(
                "streamfit run: unknown key 'optimiser' (from file " + british + "): did you mean 'optimizer'?");
    }

    @Test
    void aBusyHttpPortNamesThePortTheKeyAndItsSource() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            Path file = dir.resolve("app.properties");
            Files.writeString(file, "bootstrap.servers=127.0.0.1:1\nmodel.features=4\nhttp.host=127.0.0.1\n"
                    + "http.port=" + port + "\n");
            long t0 = System.nanoTime();
            Outcome o = run("run", "--config", file.toString());
            assertThat(o.code()).isEqualTo(2);
            assertThat(o.err().lines()).containsExactly("streamfit run: HTTP port " + port + " on 127.0.0.1 is in use "
                    + "(http.port from file " + file + "): stop what listens there or set http.port to a free port "
                    + "(0 picks one)");
            // Found before Kafka is tried (nothing listens at the bootstrap address).
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
        }
    }
}
