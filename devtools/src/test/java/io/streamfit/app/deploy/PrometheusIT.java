package io.streamfit.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.devtools.DevCli;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard and the alert rules against a real Prometheus: the app (with the compose stack's
 * properties file) and {@code streamfit produce} run against the in-JVM broker, a Prometheus from
 * the machine (Debian's {@code prometheus} package; nothing is installed here) scrapes both every
 * second with deploy/prometheus/prometheus.yml's jobs and loads alerts.yml, and then every PromQL
 * expression of the dashboard and the rules goes through {@code /api/v1/query}: each must parse,
 * and each dashboard query must return data.
 *
 * <p>It is in the devtools module because it runs {@code streamfit produce}, which the service
 * does not have, and in streams-app's deploy package because it reads the deploy files through
 * that package's helpers ({@link DeployFiles}, {@link PromQl}, from streams-app's test jar).
 */
@Slow
class PrometheusIT {

    private static final Duration PRODUCE_FOR = Duration.ofSeconds(75);

    @TempDir
    Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void everyDashboardAndAlertQueryWorksAgainstALiveApp() throws Exception {
        Optional<Path> prometheusBin = onPath("prometheus");
        assumeTrue(prometheusBin.isPresent(), "no 'prometheus' binary on PATH: PrometheusIT needs a real Prometheus "
                + "(Debian: apt-get install prometheus; .ci/run installs it)");
        Optional<Path> promtool = onPath("promtool");

        StreamfitConfig config = TestConfigs.from(DeployFiles.properties(DeployFiles.APP_PROPERTIES))
                .kafka(broker.bootstrapServers()).app("prometheus-it").stateDir(dir.resolve("state"))
                .with("http.host", "127.0.0.1").with("http.port", 0).partitions(2).toConfig();
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        StreamfitApp app = new StreamfitApp(config, metrics);
        app.start();
        int producerPort = freePort();
        Thread producer = new Thread(() -> DevCli.commandLine().execute("produce",
                "--bootstrap-servers", broker.bootstrapServers(), "--rate", "100",
                "--features", String.valueOf(config.features()), "--http-port", String.valueOf(producerPort),
                "--duration", PRODUCE_FOR.toSeconds() + "s"), "prometheus-it-producer");
        producer.start();
        Process prometheus = null;
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
            sendPredictOnlyAndBadRecords(broker.bootstrapServers(), config);
            await().atMost(Duration.ofMinutes(2)).until(() -> metrics.recordsTotal() > 200);

            Path promConfig = prometheusConfig(http.port(), producerPort);
            if (promtool.isPresent()) {
                assertThat(run(promtool.get().toString(), "check", "rules", DeployFiles.ALERTS.toString()))
                        .as("promtool check rules").isZero();
                assertThat(run(promtool.get().toString(), "check", "config", promConfig.toString()))
                        .as("promtool check config").isZero();
            }
            int port = freePort();
            prometheus = new ProcessBuilder(prometheusBin.get().toString(), "--config.file=" + promConfig,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            String api = "http://127.0.0.1:" + port + "/api/v1/";
            // Enough scrapes for rate() over the 15 s that $__rate_interval becomes.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> value(query(api, "min(count_over_time(up[30s]))")) >= 20
                            && value(query(api, "min(up)")) == 1.0);

            // The checks below can fail: a broken expression is an error, an unknown name has no data.
            assertThat(query(api, "sum(rate(streamfit_records_total[15s])").path("status").asText()).isEqualTo("error");
            assertThat(query(api, "streamfit_no_such_metric").path("data").path("result")).isEmpty();

            List<String> problems = new ArrayList<>();
            int checked = 0;
            for (DeployFiles.Query q : DeployFiles.dashboardQueries()) {
                checked++;
                JsonNode r = query(api, q.forPrometheus());
                if (!"success".equals(r.path("status").asText())) {
                    problems.add(q.source() + ": " + r.path("error").asText() + " in " + q.forPrometheus());
                } else if (r.path("data").path("result").isEmpty()) {
                    problems.add(q.source() + ": no data for " + q.forPrometheus());
                }
            }
            for (DeployFiles.Query q : DeployFiles.alertQueries()) {
                checked++;
                JsonNode r = query(api, q.forPrometheus());
                if (!"success".equals(r.path("status").asText())) {
                    problems.add(q.source() + ": " + r.path("error").asText());
                }
            }
            assertThat(problems).as("queries that failed against Prometheus (log: %s)", dir.resolve("prometheus.log"))
                    .isEmpty();
            System.out.printf("PrometheusIT: %d dashboard and alert expressions evaluated by %s%n", checked,
                    prometheusBin.get());

            // Prometheus itself loaded alerts.yml and evaluates every rule without error.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                JsonNode groups = get(api + "rules").path("data").path("groups");
                List<String> rules = new ArrayList<>();
                groups.forEach(g -> g.path("rules").forEach(r -> rules.add(r.path("name").asText() + "="
                        + r.path("health").asText() + r.path("lastError").asText())));
                assertThat(rules).hasSize(DeployFiles.alertQueries().size()).allMatch(r -> r.endsWith("=ok"));
            });

            // Every name the files use is one that the app or the producer really exports.
            Set<String> live = new HashSet<>();
            get(api + "label/__name__/values").path("data").forEach(n -> live.add(n.asText()));
            Set<String> missing = new TreeSet<>();
            List<DeployFiles.Query> all = new ArrayList<>(DeployFiles.dashboardQueries());
            all.addAll(DeployFiles.alertQueries());
            all.forEach(q -> PromQl.metricNames(q.expr()).stream().filter(n -> !live.contains(n)).forEach(missing::add));
            assertThat(missing).as("names used in deploy/ but not exported").isEmpty();
        } finally {
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
            producer.join(PRODUCE_FOR.toMillis() + 30_000);
            app.close();
        }
    }

    /** A few records without targets and a few bad ones, so predict latency and dead letters have samples. */
    private static void sendPredictOnlyAndBadRecords(String bootstrap, StreamfitConfig config) {
        String topic = config.getString(StreamfitConfig.TOPIC_FEATURES);
        StringBuilder zeros = new StringBuilder();
        for (int i = 0; i < config.features(); i++) {
            zeros.append(i == 0 ? "0" : ",0");
        }
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", bootstrap),
                new StringSerializer(), new StringSerializer())) {
            for (int t = 1; t <= 20; t++) {
                p.send(new ProducerRecord<>(topic, "it-unlabelled",
                        "{\"timestep\":" + t + ",\"objects\":[{\"id\":\"a\",\"features\":[" + zeros + "]}]}"));
                p.send(new ProducerRecord<>(topic, "it-bad", "{\"timestep\":" + t + ",\"objects\":[{\"id\":\"a\",\"features\":[1]}]}"));
            }
        }
    }

    /** deploy/prometheus/prometheus.yml with its jobs pointed at loopback, 1 s scrapes, and the real alerts.yml. */
    private Path prometheusConfig(int appPort, int producerPort) throws IOException {
        ObjectNode cfg = (ObjectNode) DeployFiles.yaml(DeployFiles.PROMETHEUS);
        ((ObjectNode) cfg.path("global")).put("scrape_interval", "1s").put("evaluation_interval", "1s");
        ArrayNode rules = cfg.putArray("rule_files");
        for (JsonNode r : DeployFiles.yaml(DeployFiles.PROMETHEUS).path("rule_files")) {
            rules.add(DeployFiles.PROMETHEUS.resolveSibling(r.asText()).toString());
        }
        Map<String, Integer> ports = Map.of("streamfit", appPort, "streamfit-producer", producerPort);
        Set<String> jobs = new HashSet<>();
        for (JsonNode job : cfg.path("scrape_configs")) {
            String name = job.path("job_name").asText();
            assertThat(ports).as("job %s of prometheus.yml", name).containsKey(name);
            ArrayNode targets = ((ObjectNode) job.path("static_configs").get(0)).putArray("targets");
            targets.add("127.0.0.1:" + ports.get(name));
            jobs.add(name);
        }
        assertThat(jobs).isEqualTo(ports.keySet());
        Path out = dir.resolve("prometheus.yml");
        DeployFiles.YAML.writeValue(out.toFile(), cfg);
        return out;
    }

    private JsonNode query(String api, String promql) throws Exception {
        return get(api + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        return DeployFiles.JSON.readTree(r.body());
    }

    /** The value of a one-sample instant vector result, NaN when there is none. */
    private static double value(JsonNode response) {
        JsonNode result = response.path("data").path("result");
        return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    private int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("promtool.log").toFile()).start();
        int code = p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        if (code != 0) {
            System.out.println(Files.readString(dir.resolve("promtool.log")));
        }
        return code;
    }

    private static Optional<Path> onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
