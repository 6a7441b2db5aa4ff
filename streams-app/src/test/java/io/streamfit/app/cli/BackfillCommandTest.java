package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The backfill command's checks that need no broker (the whole run is BackfillIT). */
class BackfillCommandTest {

    @TempDir
    Path dir;

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = StreamfitCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private Path config(String extra) throws Exception {
        Path file = dir.resolve("app.properties");
        // Port 1: nothing listens there, so any of these that reached Kafka would fail differently.
        Files.writeString(file, "bootstrap.servers=127.0.0.1:1\nmodel.features=4\n" + extra);
        return file;
    }

    @Test
    void missingOptionsAreAUsageError() {
        Outcome o = run("backfill", "--epochs", "3");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("--config");
    }

    @Test
    void badOptionValuesAreUsageErrors() throws Exception {
        Path cfg = config("");
        Outcome zero = run("backfill", "--config", cfg.toString(), "--epochs", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("epochs must be >= 1");
        Outcome shuffle = run("backfill", "--config", cfg.toString(), "--epochs", "1", "--shuffle-buffer", "-5");
        assertThat(shuffle.code()).isEqualTo(2);
        assertThat(shuffle.err()).contains("shuffle buffer must be >= 0");
        Outcome from = run("backfill", "--config", cfg.toString(), "--epochs", "1", "--from", "yesterday");
        assertThat(from.code()).isEqualTo(2);
        assertThat(from.err()).contains("'yesterday' is neither an ISO-8601 instant");
        Outcome both = run("backfill", "--config", cfg.toString(), "--epochs", "1", "--from-beginning", "--from", "0");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void sequenceModelsAndBadConfigurationAreRefusedBeforeContactingKafka() throws Exception {
        Outcome seq = run("backfill", "--config", config("model.kind=seq-autoencoder\nmodel.hidden=4\n").toString(),
                "--epochs", "1", "--quiet");
        assertThat(seq.code()).isEqualTo(2);
        assertThat(seq.err()).contains("model.kind=seq-autoencoder is a sequence model");
        Outcome bad = run("backfill", "--config", config("model.scope=planet\n").toString(), "--epochs", "1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("model.scope");
    }

    @Test
    void timestampsAreIsoInstantsOrEpochMilliseconds() {
        BackfillCommand.TimestampConverter c = new BackfillCommand.TimestampConverter();
        assertThat(c.convert("2026-11-29T18:00:00Z")).isEqualTo(1_795_975_200_000L);
        assertThat(c.convert("1795975200000")).isEqualTo(1_795_975_200_000L);
        assertThatThrownBy(() -> c.convert("2026-11-29")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void anUnreachableClusterIsOneLineWithTheAddressAndItsSource() throws Exception {
        Path file = config("kafka.connect.timeout.ms=1000\n");
        Outcome o = run("backfill", "--config", file.toString(), "--epochs", "1");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().lines()).containsExactly("streamfit backfill: cannot reach Kafka at 127.0.0.1:1 "
                + "(bootstrap.servers from file " + file + "): no broker answered within 1s (kafka.connect.timeout.ms); "
                + "check that the brokers run and the host and port are right");
    }
}
