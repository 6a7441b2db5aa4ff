package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import io.streamfit.app.cli.StreamfitCli;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ./streamfit} (this module's command line) offers every command of the service image's
 * command line, unchanged, plus the dev tools; the service's has none of the dev tools.
 */
class DevCliTest {

    private static final List<String> SERVICE = List.of("run", "export", "backfill", "help");
    private static final List<String> DEV = List.of("broker", "demo", "produce", "optimizers-bench");

    @Test
    void theServiceHasItsCommandsOnlyAndTheDevCliAddsTheDevTools() {
        assertThat(StreamfitCli.commandLine().getSubcommands().keySet()).containsExactlyElementsOf(SERVICE);
        assertThat(DevCli.commandLine().getSubcommands().keySet())
                .containsExactly("run", "export", "backfill", "broker", "demo", "produce", "optimizers-bench", "help");
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
        assertThat(err.toString()).contains("--series >= 1");
    }
}
