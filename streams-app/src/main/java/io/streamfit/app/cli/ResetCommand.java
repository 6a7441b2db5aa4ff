package io.streamfit.app.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import io.streamfit.app.cli.CliErrors.UserError;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.runtime.ApplicationReset;
import io.streamfit.app.runtime.KafkaAccess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit reset --config FILE}: removes the application's state (see
 * {@link ApplicationReset}): its internal topics, its route topic's records, its consumer group
 * with the committed offsets (or, with {@code --keep-offsets}, only those of its internal topics)
 * and this host's state directory. Its models start over at the next {@code run}, as under a new
 * {@code application.id}. Asks for the application id on a terminal, or takes {@code --yes}.
 * Exit codes: 0 done (or nothing to remove), 2 refused (running, not confirmed, no ACL, bad
 * configuration).
 */
@Command(name = "reset", mixinStandardHelpOptions = true,
        description = {"Removes the application's state, as a new application.id would start without it: its "
                + "internal topics (state store changelogs), the records of its route topic, its consumer group "
                + "with the committed offsets (--keep-offsets keeps those of the input topics) and this host's "
                + "state directory. Refused while an instance runs.",
                "Env STREAMFIT_FOO_BAR overrides key foo.bar."})
final class ResetCommand implements Callable<Integer> {

    /** Where the confirmation is read from: a terminal's line, or null when there is no terminal. */
    interface Terminal {
        /** The line typed after {@code prompt}, or null at the end of input. */
        String readLine(String prompt);
    }

    /** The process's terminal ({@link System#console()}), or null without one. */
    static final Supplier<Terminal> DEFAULT_TERMINAL = () -> {
        Console console = System.console();
        return console == null ? null : console::readLine;
    };

    /** Where {@link #call} asks: {@link #DEFAULT_TERMINAL}; tests set their own. */
    static Supplier<Terminal> terminal = DEFAULT_TERMINAL;

    @Mixin
    ServiceConfigOption config;

    @Spec
    CommandSpec spec;

    @Option(names = {"-y", "--yes"}, description = "Do not ask: remove at once (for scripts).")
    boolean yes;

    @Option(names = "--keep-offsets",
            description = "Keep the group's committed offsets of the input topics: the next run goes on from where "
                    + "the last one stopped (new models, no input read again) instead of from auto.offset.reset.")
    boolean keepOffsets;

    @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Longest wait for each cluster call (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        StreamfitConfig cfg = config.load();
        String app = cfg.applicationId();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> admin = new HashMap<>(cfg.clientProperties());
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        try {
            KafkaAccess.checkLogin(admin, Duration.ofMillis(cfg.getLong(StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS)));
        } catch (KafkaAccess.Unreachable e) {
            throw new UserError(cfg.secretMask().mask(CliErrors.unreachable(e, config.sourceOf("bootstrap.servers"))), e);
        } catch (KafkaAccess.AuthenticationFailed e) {
            throw new UserError("cannot reset: " + cfg.secretMask().mask(e.getMessage()), e);
        }
        try (Admin client = Admin.create(admin)) {
            ApplicationReset reset = new ApplicationReset(client, timeout);
            ApplicationReset.Plan plan = reset.plan(app, stateRoot(cfg), keepOffsets);
            if (plan.empty()) {
                out.println("streamfit reset: application.id '" + app + "' has no state on " + cfg.bootstrapServers()
                        + " nor in " + plan.stateDir() + "; nothing to remove");
                out.flush();
                return 0;
            }
            String what = describe(plan, cfg);
            if (!yes) {
                Terminal t = terminal.get();
                if (t == null) {
                    throw new UserError("no terminal to confirm on; pass --yes to remove " + what);
                }
                out.println("streamfit reset removes " + what + ".");
                out.flush();
                String typed = t.readLine("Type the application id (" + app + ") to go on: ");
                if (typed == null || !typed.strip().equals(app)) {
                    throw new UserError("not confirmed (the application id was not typed); nothing was removed");
                }
            }
            reset.execute(plan);
            out.println("streamfit reset: removed " + what + ".");
            out.println(nextRun(plan, cfg));
            out.flush();
            return 0;
        } catch (ApplicationReset.Running | ApplicationReset.Refused e) {
            throw new UserError(cfg.secretMask().mask(e.getMessage()), e);
        }
    }

    /** Everything a reset removes, in one sentence. */
    static String describe(ApplicationReset.Plan plan, StreamfitConfig cfg) {
        StringBuilder s = new StringBuilder("the state of application.id '" + plan.applicationId() + "' on "
                + cfg.bootstrapServers() + ":");
        String sep = " ";
        if (!plan.internalTopics().isEmpty()) {
            s.append(sep).append("topics ").append(String.join(", ", plan.internalTopics()));
            sep = "; ";
        }
        if (plan.routeRecords() > 0) {
            s.append(sep).append("the records of ").append(plan.routeTopic());
            sep = "; ";
        }
        if (plan.group() != null) {
            s.append(sep).append(plan.keepOffsets()
                    ? "the committed offsets of those topics in consumer group '" + plan.applicationId()
                    + "' (its input offsets stay)"
                    : "consumer group '" + plan.applicationId() + "' with its committed offsets of "
                    + plan.committed().size() + " partition(s)");
            sep = "; ";
        }
        if (Files.exists(plan.stateDir())) {
            s.append(sep).append("this host's state directory ").append(plan.stateDir());
        }
        return s.toString();
    }

    /** What the next run does after the reset. */
    private static String nextRun(ApplicationReset.Plan plan, StreamfitConfig cfg) {
        if (plan.keepOffsets() || plan.group() == null) {
            return "The next run starts new models from the input where the last run stopped. State directories of "
                    + "other hosts (" + StreamsConfig.STATE_DIR_CONFIG + ") are theirs: reset there too, or delete them.";
        }
        Object reset = cfg.streamsProperties().getOrDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                cfg.streamsProperties().getOrDefault("consumer." + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        return "The next run starts new models from the input at " + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG + "="
                + reset + ("earliest".equals(String.valueOf(reset))
                ? " (the oldest retained record: they learn the retained history, and its predictions are written again)"
                : "") + ". State directories of other hosts (" + StreamsConfig.STATE_DIR_CONFIG
                + ") are theirs: reset there too, or delete them.";
    }

    /** {@code state.dir} as Kafka Streams takes it: configured, or its default. */
    private static Path stateRoot(StreamfitConfig cfg) {
        Object dir = cfg.streamsProperties().get(StreamsConfig.STATE_DIR_CONFIG);
        if (dir == null) {
            dir = StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG);
        }
        return Path.of(String.valueOf(dir));
    }
}
