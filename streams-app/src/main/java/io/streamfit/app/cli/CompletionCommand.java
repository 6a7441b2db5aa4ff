package io.streamfit.app.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit completion bash|zsh}: prints the shell completion script of every command and
 * option of this command line (picocli's {@link AutoComplete}; one script serves bash and zsh, the
 * latter through {@code bashcompinit}). Load it with {@code source <(./streamfit completion bash)}.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Prints the shell completion script: source <(streamfit completion bash), "
                + "or in zsh: autoload -U +X bashcompinit && bashcompinit; source <(streamfit completion zsh).")
final class CompletionCommand implements Callable<Integer> {

    /** The shells the script serves. */
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "SHELL", defaultValue = "bash",
            description = "bash or zsh (default ${DEFAULT-VALUE}); the same script serves both.")
    Shell shell;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash(root.getCommandName(), root));
        out.flush();
        return 0;
    }
}
