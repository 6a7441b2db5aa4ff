package io.streamfit.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code streamfit} command line: {@code broker}, {@code demo}, {@code run}, {@code produce},
 * {@code export}, {@code backfill}, {@code optimizers-bench}. */
@Command(name = "streamfit", mixinStandardHelpOptions = true, version = "streamfit 0.1.0",
        description = "Online learning on Kafka Streams: predicts every object of every record, then learns from it.",
        subcommands = {BrokerCommand.class, DemoCommand.class, RunCommand.class, ProduceCommand.class, ExportCommand.class,
                BackfillCommand.class, OptimizersBenchCommand.class, CommandLine.HelpCommand.class})
public final class StreamfitCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new StreamfitCli()).execute(args);
        System.exit(code);
    }
}
