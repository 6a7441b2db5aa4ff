package io.streamfit.app.cli;

import java.io.PrintWriter;
import java.util.Arrays;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.runtime.StreamfitApp;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one way the command line reports a failure: one line on stderr, {@code COMMAND: what is wrong}
 * (which key or option, where its value came from, what to change), then the exit code:
 * {@value #USAGE} for errors the user can fix (options, configuration, the cluster's answer),
 * {@value #SOFTWARE} for anything else. {@code --verbose} adds the stack trace.
 */
public final class CliErrors {

    /** Exit code of a usage or configuration error: the user can fix it. */
    public static final int USAGE = 2;
    /** Exit code of an unexpected failure. */
    public static final int SOFTWARE = 1;
    /** The global option that adds stack traces to error lines. */
    public static final String VERBOSE = "--verbose";

    private CliErrors() {
    }

    /**
     * An error the user can fix; its message is the whole line (without the command's name) and
     * must hold no secret.
     */
    public static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UserError(String message) {
            super(message);
        }

        public UserError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Installs the handlers on {@code cli}, whose {@code execute} then reports every failure here. */
    static CommandLine install(CommandLine cli) {
        cli.setParameterExceptionHandler(CliErrors::onParameter);
        cli.setExecutionExceptionHandler(CliErrors::onExecution);
        return cli;
    }

    private static int onParameter(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        ParseResult parsed = cmd.getParseResult();
        if (!(ex instanceof UnmatchedArgumentException) && parsed != null && !parsed.unmatched().isEmpty()) {
            // picocli reports a missing required option first; a misspelt option explains it, so it comes first.
            ex = new UnmatchedArgumentException(cmd, parsed.unmatched());
        }
        String line = oneLine(ex.getMessage());
        if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            line += ": did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
        }
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + line + " (see '" + name + " --help')");
        if (Arrays.asList(args).contains(VERBOSE)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return USAGE;
    }

    private static int onExecution(Exception ex, CommandLine cmd, ParseResult parsed) {
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        int code;
        if (ex instanceof UserError || ex instanceof ModelMismatchException) {
            // A saved model of another shape is the user's to fix too (its line says how), whichever
            // command started the service (run, the dev tools' demo).
            err.println(name + ": " + oneLine(ex.getMessage()));
            code = USAGE;
        } else if (ex instanceof ParameterException p) {
            err.println(name + ": " + oneLine(p.getMessage()) + " (see '" + name + " --help')");
            code = USAGE;
        } else {
            err.println(name + " failed: " + oneLine(StreamfitApp.causes(ex))
                    + (verbose(parsed) ? "" : " (" + VERBOSE + " prints the stack trace)"));
            code = SOFTWARE;
        }
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /**
     * The line for a cluster that did not answer.
     *
     * @param source where {@code bootstrap.servers} came from ({@code file PATH}, ...)
     */
    static String unreachable(KafkaAccess.Unreachable u, String source) {
        return "cannot reach Kafka at " + u.bootstrapServers() + " (bootstrap.servers from " + source
                + "): no broker answered within " + Durations.human(u.timeout()) + " ("
                + StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS + "); check that the brokers run and the host and port "
                + "are right";
    }

    /** Whether {@value #VERBOSE} was given, before or after the subcommand. */
    static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(VERBOSE)) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(String message) {
        return message == null ? "(no message)" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
