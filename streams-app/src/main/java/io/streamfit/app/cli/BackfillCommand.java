package io.streamfit.app.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

import io.streamfit.app.backfill.Backfill;
import io.streamfit.app.backfill.BackfillRefused;
import io.streamfit.app.backfill.ProgressBar;
import io.streamfit.app.backfill.TrainedModel;
import io.streamfit.app.config.ConfigErrors;
import io.streamfit.app.config.SecretMask;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.runtime.KafkaAccess;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit backfill --epochs N --config FILE}: trains the configured models on the history
 * of the input topics (the features, and the labels joined with them), N passes, and leaves them
 * in the model store's changelog with the application's offsets of both topics after the history, so that {@code streamfit run} continues from the
 * trained models. See {@link Backfill}. Exit codes: 0 done, 2 refused (the service runs, bad
 * options or configuration, authentication failed), 1 unexpected failure.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = {"Trains the configured models on the history of the input topics (features, and labels "
                + "joined with them as the service joins them), N passes (epochs), and writes them where "
                + "`streamfit run` starts from. The service must be stopped.",
                "Env STREAMFIT_FOO_BAR overrides key foo.bar."})
final class BackfillCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BackfillCommand.class);
    /** Models listed one by one in the summary; the rest are counted. */
    private static final int LISTED_MODELS = 20;

    @Mixin
    ServiceConfigOption config;

    @Option(names = "--epochs", required = true, description = "Passes over the history (>= 1).")
    int epochs;

    @ArgGroup(exclusive = true)
    Start start = new Start();

    static final class Start {
        @Option(names = "--from-beginning", description = "Start at the beginning of every partition (the default).")
        boolean fromBeginning;

        @Option(names = "--from", paramLabel = "TIMESTAMP", converter = TimestampConverter.class,
                description = "Start at the first record at or after TIMESTAMP: ISO-8601 instant "
                        + "(2026-11-29T18:00:00Z) or epoch milliseconds.")
        Long fromMs;
    }

    @Option(names = "--shuffle-buffer", paramLabel = "N", defaultValue = "0",
            description = "Records in the seeded shuffle buffer (0: input order; default ${DEFAULT-VALUE}).")
    int shuffleBuffer;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Shuffle seed; epoch e (1..N) uses S+e (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", paramLabel = "B",
            description = "Timesteps per update (default: batch.timesteps of the configuration).")
    Integer batch;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        // Messages may quote configured values (the cluster, the application id, topics): printed masked.
        SecretMask mask = SecretMask.none();
        try {
            StreamfitConfig cfg = config.load();
            mask = cfg.secretMask();
            Backfill.Options options;
            try {
                options = new Backfill.Options(epochs, start.fromMs, shuffleBuffer, seed,
                        batch != null ? batch : cfg.batchTimesteps());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            Backfill.Listener listener = quiet ? new Backfill.Listener() { }
                    : new ProgressBar(stderr, System.console() != null, 5_000, System::nanoTime);
            Backfill.Result result = new Backfill(cfg, options, listener).run();
            stdout.print(summary(cfg, options, result));
            stdout.flush();
            return 0;
        } catch (CommandLine.ParameterException | CliErrors.UserError e) {
            // Reported by CliErrors, as every command's: one line, exit code 2.
            throw e;
        } catch (KafkaAccess.Unreachable e) {
            throw new CliErrors.UserError(mask.mask(CliErrors.unreachable(e, config.sourceOf("bootstrap.servers"))), e);
        } catch (ConfigException e) {
            throw new CliErrors.UserError(mask.mask(ConfigErrors.explain(e, config.loaded)), e);
        } catch (BackfillRefused | KafkaAccess.AuthenticationFailed e) {
            throw new CliErrors.UserError(mask.mask(e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stderr.println("streamfit backfill: interrupted; nothing was written unless the summary says so");
            stderr.flush();
            return 1;
        } catch (Exception e) {
            LOG.error("Backfill failed", e);
            stderr.println("streamfit backfill failed: " + mask.mask(String.valueOf(e)));
            stderr.flush();
            return 1;
        }
    }

    /** The end-of-run report: what was trained, how well, what was skipped, what was written. */
    static String summary(StreamfitConfig cfg, Backfill.Options options, Backfill.Result r) {
        StringBuilder out = new StringBuilder();
        double seconds = r.wallNanos() / 1e9;
        long skipped = r.skipped().values().stream().mapToLong(Long::longValue).sum();
        out.append(String.format(Locale.ROOT, "backfill of %s: %d epoch(s) over %,d records; %,d trained and %,d "
                        + "skipped per epoch; %,d model call(s), batch %d, shuffle buffer %d, seed %d%n",
                cfg.topics().features().name(), options.epochs(), r.offsetsPerPass(), r.trainedPerPass(), skipped,
                r.steps(), options.batchTimesteps(), options.shuffleBuffer(), options.seed()));
        StringJoiner losses = new StringJoiner("  ");
        for (int e = 0; e < r.passLosses().size(); e++) {
            losses.add(String.format(Locale.ROOT, "%d: %.6g", e + 1, r.passLosses().get(e)));
        }
        out.append("mean update loss per epoch: ").append(losses).append('\n');
        if (r.skippedUpdates() > 0) {
            out.append(String.format(Locale.ROOT, "updates skipped by the divergence guard: %,d%n", r.skippedUpdates()));
        }
        List<TrainedModel> models = r.models();
        for (int i = 0; i < Math.min(models.size(), LISTED_MODELS); i++) {
            TrainedModel m = models.get(i);
            String prequential = Double.isNaN(m.accuracy())
                    ? String.format(Locale.ROOT, "RMSE: object %s, sum %s", rmse(m.objectMse()), rmse(m.sumMse()))
                    : String.format(Locale.ROOT, "accuracy %.4f, log-loss %.4f", m.accuracy(), m.logLoss());
            out.append(String.format(Locale.ROOT, "model '%s' (partition %d): version %d -> %d, %,d records; "
                            + "one-pass prequential %s%n", m.key(), m.partition(), m.startVersion(), m.version(),
                    m.records(), prequential));
        }
        if (models.size() > LISTED_MODELS) {
            out.append(String.format(Locale.ROOT, "... and %,d more models%n", models.size() - LISTED_MODELS));
        }
        out.append(labels(cfg, r));
        if (skipped == 0) {
            out.append("skipped records: none\n");
        } else {
            StringJoiner reasons = new StringJoiner(", ");
            r.skipped().forEach((reason, n) -> reasons.add(reason + " " + n));
            out.append(String.format(Locale.ROOT, "skipped records (per epoch; `run` would have sent these %,d to %s): "
                    + "%s%n", skipped, cfg.topics().deadLetters().name(), reasons));
        }
        StringJoiner ends = new StringJoiner(", ");
        offsetsByTopic(cfg, r).forEach((topic, offsets) -> ends.add(topic + " " + offsets));
        out.append(String.format(Locale.ROOT, "wrote %d checkpoint(s) to %s; committed offsets of application '%s' "
                + "set to the end of the history: %s%n", models.size(), r.changelogTopic(), cfg.applicationId(), ends));
        out.append(String.format(Locale.ROOT, "wall time %.1f s, %,.0f records/s over all epochs%n", seconds,
                seconds > 0 ? options.epochs() * (double) r.offsetsPerPass() / seconds : 0.0));
        return out.toString();
    }

    /** The labels line: what the labels of one epoch became, or why there were none. */
    private static String labels(StreamfitConfig cfg, Backfill.Result r) {
        String topic = cfg.topics().labels().map(io.streamfit.schemas.Topic::name).orElse(null);
        if (topic == null) {
            return "labels: none (topic.labels is empty); trained on the features alone\n";
        }
        if (r.labelsMissing()) {
            return "labels: topic " + topic + " does not exist; trained on the features alone\n";
        }
        Backfill.LabelCounts c = r.labels();
        if (c.equals(Backfill.LabelCounts.NONE)) {
            return "labels: none in the history of " + topic + "\n";
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "labels per epoch (%s): %,d matched, %,d "
                + "unmatched, %,d duplicate; features without targets: %,d expired", topic, c.matched(), c.unmatched(),
                c.duplicate(), c.expired()));
        if (c.waitingFeatures() > 0 || c.waitingLabels() > 0) {
            out.append(String.format(Locale.ROOT, "; at the end of the history %,d features still waited for labels "
                    + "and %,d labels for features (`run` does not hold them: later labels for those features reach "
                    + "it unmatched)", c.waitingFeatures(), c.waitingLabels()));
        }
        return out.append('\n').toString();
    }

    /** The range's ends by topic (the features topic's first), each by partition. */
    private static Map<String, Map<Integer, Long>> offsetsByTopic(StreamfitConfig cfg, Backfill.Result r) {
        Map<String, Map<Integer, Long>> out = new java.util.LinkedHashMap<>();
        List<String> topics = new java.util.ArrayList<>(List.of(cfg.topics().features().name()));
        cfg.topics().labels().ifPresent(l -> topics.add(l.name()));
        for (String topic : topics) {
            r.endOffsets().forEach((tp, o) -> {
                if (tp.topic().equals(topic)) {
                    out.computeIfAbsent(topic, t -> new java.util.TreeMap<>()).put(tp.partition(), o);
                }
            });
        }
        return out;
    }

    private static String rmse(double mse) {
        return Double.isNaN(mse) ? "-" : String.format(Locale.ROOT, "%.5g", Math.sqrt(mse));
    }

    /** ISO-8601 instant or epoch milliseconds, to epoch milliseconds. */
    static final class TimestampConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.trim();
            if (v.matches("-?\\d+")) {
                return Long.parseLong(v);
            }
            try {
                return Instant.parse(v).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is neither an ISO-8601 instant "
                        + "(2026-11-29T18:00:00Z) nor epoch milliseconds");
            }
        }
    }
}
