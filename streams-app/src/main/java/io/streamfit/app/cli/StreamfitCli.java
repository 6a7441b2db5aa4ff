package io.streamfit.app.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The service's {@code streamfit} command line: {@code run}, {@code export}, {@code backfill},
 * {@code reset}, and {@code status} and {@code models}, which ask a running instance over HTTP. The
 * image runs this one; {@code ./streamfit} runs the dev tools' ({@code io.streamfit.devtools.DevCli}),
 * which adds {@code broker}, {@code demo}, {@code produce} and {@code optimizers-bench} through
 * {@link #commandLine(Object...)}, so that the service's class path holds no embedded broker.
 * Every failure is reported by {@link CliErrors}: one line, exit code 2 for what the user can fix.
 */
@Command(name = "streamfit", mixinStandardHelpOptions = true, versionProvider = StreamfitCli.Version.class,
        description = "Online learning on Kafka Streams: predicts every object of every record, then learns from it.",
        subcommands = {RunCommand.class, ExportCommand.class, BackfillCommand.class, ResetCommand.class,
                StatusCommand.class, ModelsCommand.class, CompletionCommand.class})
public final class StreamfitCli implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = CliErrors.VERBOSE, scope = ScopeType.INHERIT,
            description = "Print the stack trace of an error, besides its one line.")
    boolean verbose;

    /** No command: the usage, on stderr, and exit code 2 (a script that forgot the command fails). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CliErrors.USAGE;
    }

    /**
     * The service's commands, then {@code more} (picocli command objects), then {@code help}, which
     * is added last so that the usage lists it last whoever adds commands.
     */
    public static CommandLine commandLine(Object... more) {
        CommandLine cli = new CommandLine(new StreamfitCli());
        for (Object command : more) {
            cli.addSubcommand(command);
        }
        return CliErrors.install(cli.addSubcommand(new CommandLine.HelpCommand()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** {@code --version}: the version and the commit it was built from ({@code unknown} when not known). */
    public static final class Version implements CommandLine.IVersionProvider {

        static final String RESOURCE = "/io/streamfit/app/version.properties";

        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = StreamfitCli.class.getResourceAsStream(RESOURCE)) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // Left unknown below.
            }
            return new String[] {"streamfit " + known(p.getProperty("version")) + " (commit "
                    + known(p.getProperty("commit")) + ")"};
        }

        /** The value, or {@code unknown} when missing or left unfiltered (a build outside Maven). */
        private static String known(String value) {
            return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.strip();
        }
    }
}
