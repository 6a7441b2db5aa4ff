package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The export command's checks that need no broker (the round trip is ExportIT). */
class ExportCommandTest {

    @Test
    void changelogTopicIsTheModelStoresOfTheApplication() {
        assertThat(ExportCommand.changelogTopic("app-7")).isEqualTo("app-7-model-store-changelog");
    }

    @Test
    void refusesANonEmptyOutputDirectoryBeforeContactingKafka(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("keep.txt"), "precious");
        // Port 1: nothing listens there, so reaching Kafka would fail differently (and slowly).
        StreamfitConfig cfg = new StreamfitConfig(Map.of("model.features", "4", "bootstrap.servers", "127.0.0.1:1"));
        assertThatThrownBy(() -> ExportCommand.export(cfg, "global", dir, Duration.ofSeconds(1)))
                .isInstanceOf(ExportCommand.ExportException.class).hasMessageContaining("not empty");
        assertThat(Files.readString(dir.resolve("keep.txt"))).isEqualTo("precious");
    }

    @Test
    void missingOptionsAreAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new StreamfitCli()).setErr(new PrintWriter(err)).execute("export", "--model", "x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--config").contains("--out");
    }
}
