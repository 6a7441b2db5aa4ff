package io.streamfit.devtools;

import io.streamfit.app.cli.StreamfitCli;
import picocli.CommandLine;

/**
 * The {@code streamfit} command line of {@code ./streamfit}: the service's commands ({@code run},
 * {@code export}, {@code backfill}) and the dev tools' ({@code broker}, {@code demo},
 * {@code produce}, {@code optimizers-bench}). The service image runs {@link StreamfitCli}, without
 * these, so it carries no embedded broker.
 */
public final class DevCli {

    private DevCli() {
    }

    public static CommandLine commandLine() {
        return StreamfitCli.commandLine(new BrokerCommand(), new DemoCommand(), new ProduceCommand(),
                new OptimizersBenchCommand());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
