package io.streamfit.devtools;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.cli.CliErrors.UserError;
import io.streamfit.app.cli.DurationConverter;
import io.streamfit.app.cli.Durations;
import io.streamfit.app.cli.Ports;
import io.streamfit.app.cli.ShutdownSignal;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.devkit.demo.DemoProducer;
import io.streamfit.devkit.demo.SyntheticStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit produce}: the demo's synthetic producer on its own, against any Kafka cluster
 * (docker compose runs it as a service next to {@code streamfit run}). It serves {@code GET /metrics}
 * with the stream's noise floors ({@code streamfit_demo_noise_floor_rmse{target}}, the best
 * achievable prequential RMSE) and the records sent, so a dashboard can put the live errors next to
 * them.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Produces the demo's synthetic stream (known ground truth) to a Kafka topic until Ctrl-C or --duration.")
final class ProduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "features", description = "Input topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--rate", defaultValue = "400", description = "Records per second, > 0 (default ${DEFAULT-VALUE}).")
    double rate;

    @Mixin
    SyntheticData data;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Stop after this long (e.g. 90s, 5m). Default: until Ctrl-C.")
    Duration duration;

    @Option(names = "--connect-timeout", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long to wait for the cluster's first answer before giving up (default ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--http-host", defaultValue = "127.0.0.1",
            description = "Bind address of /metrics; 0.0.0.0 in a container (default ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8081",
            description = "Port of /metrics; -1 serves none, 0 any free port (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
        Options.positive(spec, "--rate", rate);
        data.check(spec);
        Options.positive(spec, "--duration", duration);
        Options.positive(spec, "--connect-timeout", connectTimeout);
        Options.port(spec, "--http-port", httpPort, -1);
        if (httpPort > 0) {
            Ports.requireFree("metrics", httpHost, httpPort, "option --http-port",
                    "pass --http-port with a free port (0 picks one, -1 serves none)");
        }
        String source = spec.commandLine().getParseResult().hasMatchedOption("--bootstrap-servers")
                ? "option --bootstrap-servers" : "the default of --bootstrap-servers";
        // Where it writes, before anything else: a wrong address is then plain while it waits.
        java.io.PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "streamfit produce: %d series, m=%d, sigma=%.3f, %.0f records/s to topic %s at "
                        + "%s (%s)%n", data.series, data.features, data.noise, rate, topic, bootstrapServers, source);
        err.flush();
        try {
            KafkaAccess.checkLogin(Map.of("bootstrap.servers", bootstrapServers), connectTimeout);
        } catch (KafkaAccess.Unreachable e) {
            throw new UserError("cannot reach Kafka at " + bootstrapServers + " (" + source + "): no broker answered "
                    + "within " + Durations.human(connectTimeout) + " (--connect-timeout); start one (streamfit broker) "
                    + "or pass --bootstrap-servers with its address", e);
        } catch (KafkaAccess.AuthenticationFailed e) {
            throw new UserError("cannot produce: " + e.getMessage(), e);
        }
        ShutdownSignal stop = new ShutdownSignal();
        SyntheticStream stream = data.stream();
        Map<String, Object> clientProps = new HashMap<>();
        clientProps.put("bootstrap.servers", bootstrapServers);
        DemoProducer producer = new DemoProducer(stream, topic, rate, clientProps);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("application", "streamfit-producer");
        // The same names and tags as `streamfit demo`, so one dashboard serves both.
        Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sigma).tag("target", "object")
                .description("Demo only: the best achievable prequential RMSE").register(registry);
        Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sumNoiseFloor).tag("target", "sum")
                .description("Demo only: the best achievable prequential RMSE").register(registry);
        FunctionCounter.builder("streamfit.demo.records.sent", producer, DemoProducer::sent)
                .description("Synthetic records handed to the Kafka producer").register(registry);
        HttpServer http = httpPort < 0 ? null : serveMetrics(registry);
        try {
            producer.start();
            if (http != null) {
                err.printf(Locale.ROOT, "streamfit produce: metrics at http://%s:%d/metrics%n", httpHost,
                        http.getAddress().getPort());
                err.flush();
            }
            long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
            while (!stop.await(Duration.ofMillis(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))))
                    && System.nanoTime() < deadline) {
                // Waiting for Ctrl-C / SIGTERM or the deadline.
            }
            producer.close();
            err.printf(Locale.ROOT, "streamfit produce: sent %d records%n", producer.sent());
            err.flush();
            return 0;
        } finally {
            producer.close();
            if (http != null) {
                http.stop(0);
            }
            registry.close();
            stop.closed();
        }
    }

    private HttpServer serveMetrics(PrometheusMeterRegistry registry) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(httpHost, httpPort), 0);
        server.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/", ex -> reply(ex, 404, "text/plain; charset=utf-8", "only /metrics here\n"));
        server.start();
        return server;
    }

    private static void reply(HttpExchange ex, int status, String contentType, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", contentType);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
    }
}
