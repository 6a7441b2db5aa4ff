package io.streamfit.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The service's {@code streamfit} command line: {@code run}, {@code export}, {@code backfill}. The
 * image runs this one; {@code ./streamfit} runs the dev tools' ({@code io.streamfit.devtools.DevCli}),
 * which adds {@code broker}, {@code demo}, {@code produce} and {@code optimizers-bench} through
 * {@link #commandLine(Object...)}, so that the service's class path holds no embedded broker.
 */
@Command(name = "streamfit", mixinStandardHelpOptions = true, version = "streamfit 0.1.0",
        description = "Online learning on Kafka Streams: predicts every object of every record, then learns from it.",
        subcommands = {RunCommand.class, ExportCommand.class, BackfillCommand.class})
public final class StreamfitCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
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
        return cli.addSubcommand(new CommandLine.HelpCommand());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
