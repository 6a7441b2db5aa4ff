package io.streamfit.app.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamfit.app.cli.CliErrors.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit status}: what a running instance is doing, from its HTTP endpoints
 * ({@code /health}, {@code /metrics}, {@code /models}): state, uptime, records per second,
 * prequential error, dead letters by reason, models, consumer lag. Exit 0 when the instance
 * answered (its state is in the output), 2 when nothing answers.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows what a running instance is doing (state, uptime, records/s, prequential error, "
                + "dead letters, models, lag), from its HTTP endpoints.")
final class StatusCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Statuses of /health: 503 says DOWN or STALLED, with the same body. */
    private static final Set<Integer> HEALTH_STATUSES = Set.of(200, 503);
    private static final String RECORDS = "streamfit_records_total";
    private static final String DEAD_LETTERS = "streamfit_dead_letters_total";
    /** Each input partition's latest lag (the {@code _max} form is a maximum over a time window, stale when idle). */
    private static final String LAG = "kafka_consumer_fetch_manager_records_lag";

    @Spec
    CommandSpec spec;

    @Mixin
    InstanceOption instance;

    @Option(names = "--json", description = "One JSON object, for scripts, instead of the lines for people.")
    boolean json;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "Records/s is measured over this long: two reads of /metrics (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Override
    public Integer call() throws Exception {
        if (interval.isNegative() || interval.isZero()) {
            throw new UserError("--interval must be longer than 0s, got " + Durations.human(interval));
        }
        InstanceClient client = new InstanceClient(instance.target(System.getenv()), instance.timeout);
        JsonNode health = client.json("/health", HEALTH_STATUSES);
        PrometheusText first = client.metrics();
        long t0 = System.nanoTime();
        Thread.sleep(interval.toMillis());
        PrometheusText second = client.metrics();
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonNode models = client.json("/models?limit=1", Set.of(200));
        Status s = Status.of(client.base().toString(), health, first, second, seconds, models);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s.toJson()));
        } else {
            s.lines().forEach(out::println);
        }
        out.flush();
        return 0;
    }

    /** What {@code status} shows; NaN where a number is not known (yet). */
    record Status(String url, String state, String streams, String detail, double uptimeSeconds,
                  double recordsPerSecond, Map<String, Long> records, double objectMse, double sumMse,
                  double accuracy, double logLoss, Map<String, Long> deadLetters, long models, boolean modelsExact,
                  double lag) {

        static Status of(String url, JsonNode health, PrometheusText first, PrometheusText second, double seconds,
                         JsonNode models) {
            Map<String, Long> records = new LinkedHashMap<>();
            second.all(RECORDS).forEach(s -> records.merge(s.label("outcome"), (long) s.value(), Long::sum));
            Map<String, Long> dead = new TreeMap<>();
            second.all(DEAD_LETTERS).stream().filter(s -> s.value() > 0)
                    .forEach(s -> dead.merge(s.label("reason"), (long) s.value(), Long::sum));
            double before = first.sum(RECORDS);
            double after = second.sum(RECORDS);
            double rate = Double.isNaN(before) || Double.isNaN(after) ? Double.NaN : (after - before) / seconds;
            // The records the main consumers are behind, over all their partitions (not the restore
            // or global consumers').
            List<Double> lags = second.all(LAG, s -> s.label("client_id").endsWith("-consumer")
                            && !s.label("client_id").endsWith("-restore-consumer")
                            && !s.label("client_id").endsWith("-global-consumer"))
                    .stream().map(PrometheusText.Sample::value).filter(Double::isFinite).toList();
            double lag = lags.isEmpty() ? Double.NaN : lags.stream().mapToDouble(Double::doubleValue).sum();
            return new Status(url, health.path("status").asText("?"), health.path("streams").asText("?"),
                    detail(health), second.sum("process_uptime_seconds"), rate, records,
                    second.value("streamfit_prequential_mse", "target", "object"),
                    second.value("streamfit_prequential_mse", "target", "sum"),
                    second.sum("streamfit_prequential_accuracy"), second.sum("streamfit_prequential_log_loss"),
                    dead, models.path("total").asLong(), models.path("totalExact").asBoolean(true), lag);
        }

        /** Why the state is not plain UP: quarantined models, stalled partitions, the fatal error. */
        private static String detail(JsonNode health) {
            StringBuilder d = new StringBuilder();
            if (health.has("quarantinedModels")) {
                d.append(", ").append(health.get("quarantinedModels").asInt()).append(" models quarantined");
            }
            if (health.has("stalledPartitions")) {
                d.append(", stalled: ");
                d.append(java.util.stream.StreamSupport.stream(health.get("stalledPartitions").spliterator(), false)
                        .map(p -> p.path("partition").asText() + " for " + Durations.human(
                                Duration.ofSeconds(p.path("seconds").asLong())))
                        .collect(Collectors.joining(", ")));
            }
            if (health.hasNonNull("error")) {
                d.append(", error: ").append(health.get("error").asText());
            }
            return d.toString();
        }

        long total() {
            return records.values().stream().mapToLong(Long::longValue).sum();
        }

        java.util.List<String> lines() {
            java.util.List<String> out = new java.util.ArrayList<>();
            out.add("streamfit at " + url);
            out.add(row("state", state + " (Kafka Streams " + streams + detail + ")"));
            out.add(row("uptime", Double.isFinite(uptimeSeconds)
                    ? Durations.human(Duration.ofSeconds(Math.round(uptimeSeconds))) : "not known"));
            out.add(row("records/s", Double.isFinite(recordsPerSecond)
                    ? String.format(Locale.ROOT, "%,.0f", recordsPerSecond) : "not known"));
            out.add(row("records", String.format(Locale.ROOT, "%,d (%,d trained, %,d predicted only, %,d dead letters)",
                    total(), records.getOrDefault("trained", 0L), records.getOrDefault("predicted_only", 0L),
                    records.getOrDefault("dead_letter", 0L))));
            out.add(row("prequential", prequential()));
            out.add(row("dead letters", deadLetters.isEmpty() ? "none" : String.format(Locale.ROOT, "%,d (%s)",
                    deadLetters.values().stream().mapToLong(Long::longValue).sum(),
                    deadLetters.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue()))
                            .collect(Collectors.joining(", ")))));
            out.add(row("models", (modelsExact ? "" : "about ") + String.format(Locale.ROOT, "%,d", models)));
            out.add(row("lag", Double.isFinite(lag)
                    ? String.format(Locale.ROOT, "%,.0f records (behind the end of this instance's input partitions)", lag)
                    : "not known yet"));
            return out;
        }

        private String prequential() {
            StringBuilder p = new StringBuilder();
            if (Double.isFinite(accuracy)) {
                p.append(String.format(Locale.ROOT, "accuracy %.3f, log loss %.3f", accuracy, logLoss));
            }
            if (Double.isFinite(objectMse) || Double.isFinite(sumMse)) {
                if (p.length() > 0) {
                    p.append(", ");
                }
                p.append("object RMSE ").append(rmse(objectMse)).append(", sum RMSE ").append(rmse(sumMse));
            }
            return p.length() == 0 ? "no targets scored yet" : p + " (windowed, mean over models)";
        }

        private static String rmse(double mse) {
            return Double.isFinite(mse) ? String.format(Locale.ROOT, "%.3f", Math.sqrt(mse)) : "-";
        }

        private static String row(String name, String value) {
            return String.format(Locale.ROOT, "%-13s %s", name + ":", value);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", url);
            m.put("status", state);
            m.put("streams", streams);
            m.put("uptimeSeconds", finite(uptimeSeconds));
            m.put("recordsPerSecond", finite(recordsPerSecond));
            m.put("records", records);
            Map<String, Object> preq = new LinkedHashMap<>();
            preq.put("objectMse", finite(objectMse));
            preq.put("sumMse", finite(sumMse));
            if (Double.isFinite(accuracy)) {
                preq.put("accuracy", accuracy);
                preq.put("logLoss", finite(logLoss));
            }
            m.put("prequential", preq);
            m.put("deadLetters", deadLetters);
            m.put("models", models);
            m.put("modelsExact", modelsExact);
            m.put("lag", finite(lag));
            return m;
        }

        private static Object finite(double v) {
            return Double.isFinite(v) ? v : null;
        }
    }
}
