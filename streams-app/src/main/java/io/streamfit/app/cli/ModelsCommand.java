package io.streamfit.app.cli;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamfit.app.cli.CliErrors.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit models}: the models of a running instance, a page at a time as
 * {@code GET /models?limit=N&after=KEY} serves them; {@code streamfit models KEY}: one model, with
 * its kept versions and its variants (champion and challengers).
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "Lists the models of a running instance (a page at a time), or shows one: KEY.")
final class ModelsCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    InstanceOption instance;

    @Parameters(arity = "0..1", paramLabel = "KEY", description = "A model key (global, or a series id): show that one.")
    String key;

    @Option(names = "--limit", paramLabel = "N",
            description = "Models per page (default: the instance's http.models.default.limit).")
    Integer limit;

    @Option(names = "--after", paramLabel = "KEY", description = "The page after this key (the previous page's last).")
    String after;

    @Option(names = "--json", description = "The endpoint's JSON, for scripts, instead of the lines for people.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (limit != null && limit < 1) {
            throw new UserError("--limit must be >= 1, got " + limit);
        }
        if (key != null && (limit != null || after != null)) {
            throw new UserError("--limit and --after page the list; with a KEY there is one model: leave them out");
        }
        InstanceClient client = new InstanceClient(instance.target(System.getenv()), instance.timeout);
        PrintWriter out = spec.commandLine().getOut();
        if (key == null) {
            StringBuilder query = new StringBuilder();
            if (limit != null) {
                query.append("limit=").append(limit);
            }
            if (after != null) {
                query.append(query.length() > 0 ? "&" : "").append("after=").append(encode(after));
            }
            JsonNode page = client.json("/models" + (query.length() > 0 ? "?" + query : ""), Set.of(200));
            if (json) {
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(page));
            } else {
                listLines(page).forEach(out::println);
            }
        } else {
            String path = "/models/" + encode(key);
            JsonNode model = client.json(path, Set.of(200, 404));
            if (!model.has("key")) {
                throw new UserError("no model '" + key + "' at " + client.base() + ": 'streamfit models' lists the keys");
            }
            JsonNode versions = client.json(path + "/versions", Set.of(200, 404)).path("versions");
            if (json) {
                ObjectNode both = ((ObjectNode) model).deepCopy();
                both.set("versions", versions);
                out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(both));
            } else {
                modelLines(model, versions, System.currentTimeMillis()).forEach(out::println);
            }
        }
        out.flush();
        return 0;
    }

    private static String encode(String s) {
        // A path segment or a query value: '+' is a space in a query, a plus in a path; %20 is both.
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static List<String> listLines(JsonNode page) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%-24s %12s %4s %12s %12s %12s %s", "KEY", "VERSION", "GEN", "RECORDS",
                "OBJECT RMSE", "SUM RMSE", "SPEC"));
        int shown = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = page.path("models").fields(); it.hasNext(); shown++) {
            JsonNode m = it.next().getValue();
            JsonNode p = m.path("prequential");
            out.add(String.format(Locale.ROOT, "%-24s %,12d %4d %,12d %12s %12s %s", m.path("key").asText(),
                    m.path("version").asLong(), m.path("generation").asLong(), m.path("records").asLong(),
                    number(p.path("objectRmse")), number(p.path("sumRmse")), m.path("spec").asText()));
        }
        String total = (page.path("totalExact").asBoolean(true) ? "" : "about ")
                + String.format(Locale.ROOT, "%,d", page.path("total").asLong());
        String tail = shown + " of " + total + " models";
        if (!page.path("next").isNull() && !page.path("next").isMissingNode()) {
            tail += "; next page: streamfit models --after " + page.path("next").asText()
                    + " --limit " + page.path("limit").asInt();
        }
        if (!page.path("complete").asBoolean(true)) {
            tail += "; some tasks are restoring or moving, their models are missing here";
        }
        out.add(tail);
        return out;
    }

    static List<String> modelLines(JsonNode m, JsonNode versions, long nowMs) {
        List<String> out = new ArrayList<>();
        JsonNode p = m.path("prequential");
        out.add("model " + m.path("key").asText());
        out.add(row("version", String.format(Locale.ROOT, "%,d (generation %d, %,d updates)", m.path("version").asLong(),
                m.path("generation").asLong(), m.path("updates").asLong())));
        out.add(row("records", String.format(Locale.ROOT, "%,d, last timestep %,d", m.path("records").asLong(),
                m.path("lastTimestep").asLong())));
        String preq = p.has("accuracy")
                ? "accuracy " + number(p.path("accuracy")) + ", log loss " + number(p.path("logLoss")) + "; " : "";
        out.add(row("prequential", preq + "object RMSE " + number(p.path("objectRmse")) + ", sum RMSE "
                + number(p.path("sumRmse")) + " (windowed); running MSE object " + number(p.path("runningObjectMse"))
                + ", sum " + number(p.path("runningSumMse"))));
        JsonNode d = m.path("divergence");
        out.add(row("divergence", d.path("rollbacks").asLong() + " rollbacks, learning-rate scale "
                + d.path("learningRateScale").asDouble()));
        JsonNode cp = m.path("lastCheckpoint");
        long at = cp.path("atMs").asLong();
        out.add(row("checkpoint", at <= 0 ? "none yet" : String.format(Locale.ROOT, "%,d bytes, %s ago",
                cp.path("bytes").asLong(), Durations.human(Duration.ofSeconds(Math.max(0, (nowMs - at) / 1000))))));
        out.add(row("spec", m.path("spec").asText()));
        if (m.has("variants")) {
            List<String> each = new ArrayList<>();
            m.path("variants").fields().forEachRemaining(e -> each.add(String.format(Locale.ROOT,
                    "%s (%s) v%,d object RMSE %s", e.getKey(), e.getValue().path("role").asText(),
                    e.getValue().path("version").asLong(), number(e.getValue().path("prequential").path("objectRmse")))));
            out.add(row("variants", String.join("; ", each)));
        }
        out.add(row("versions", versions.size() == 0 ? "none kept yet" : versions.size() + " kept, oldest first:"));
        versions.forEach(v -> out.add(String.format(Locale.ROOT, "  v%,d  generation %d, timestep %,d, object RMSE %s",
                v.path("version").asLong(), v.path("generation").asLong(), v.path("atTimestep").asLong(),
                number(v.path("prequential").path("objectRmse")))));
        return out;
    }

    private static String number(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.3f", n.asDouble()) : "-";
    }

    private static String row(String name, String value) {
        return String.format(Locale.ROOT, "%-12s %s", name + ":", value);
    }
}
