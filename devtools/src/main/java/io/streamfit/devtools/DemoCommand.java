package io.streamfit.devtools;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.cli.ConfigReader;
import io.streamfit.app.cli.DurationConverter;
import io.streamfit.app.cli.Durations;
import io.streamfit.app.cli.Ports;
import io.streamfit.app.cli.ShutdownSignal;
import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.devkit.demo.DemoProducer;
import io.streamfit.devkit.demo.SyntheticStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit demo}: embedded broker, topics, a synthetic producer with a known ground truth,
 * the app and HTTP, with a progress line every few seconds that puts the prequential errors next to
 * their noise floors.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Embedded Kafka + synthetic data + the live model; prints progress until Ctrl-C or --duration.")
final class DemoCommand implements Callable<Integer> {

    /** Demo defaults that differ from the service's (a config file or env can still override them). */
    static final String DEMO_SCOPE = "global";
    static final String DEMO_LEARNING_RATE = "0.003";

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", defaultValue = "./streamfit-data",
            description = "Broker data and app state (a restarted demo continues its model). Default ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Stop cleanly after this long (e.g. 90s, 5m). Default: until Ctrl-C.")
    Duration duration;

    @Option(names = "--rate", defaultValue = "400", description = "Records per second produced (default ${DEFAULT-VALUE}).")
    double rate;

    @Mixin
    SyntheticData data;

    @Option(names = "--port", defaultValue = "9092", description = "Broker port on localhost (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP port on localhost (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--label-delay", defaultValue = "0",
            description = "Send each timestep's targets this many timesteps late, on the labels topic "
                    + "(default ${DEFAULT-VALUE}: with the features).")
    int labelDelay;

    @Option(names = "--progress-interval", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often to print progress (default ${DEFAULT-VALUE}).")
    Duration progressInterval;

    @Option(names = {"-c", "--config"}, description = "Optional properties file with app settings (model, optimizer, ...).")
    Path config;

    @Override
    public Integer call() throws Exception {
        Options.positive(spec, "--rate", rate);
        data.check(spec);
        Options.atLeast(spec, "--label-delay", labelDelay, 0);
        Options.positive(spec, "--duration", duration);
        Options.positive(spec, "--progress-interval", progressInterval);
        Options.port(spec, "--port", port, 0);
        Options.port(spec, "--http-port", httpPort, 0);
        Map<String, String> defaults = new HashMap<>();
        defaults.put("application.id", "streamfit-demo");
        defaults.put("model.features", String.valueOf(data.features));
        defaults.put("state.dir", dataDir.resolve("state").toAbsolutePath().toString());
        defaults.put("http.port", String.valueOf(httpPort));
        defaults.put("topics.partitions", "4");
        // The demo's series share one ground truth, so one model for all of them learns it
        // 4x faster than one model per series; a slightly larger step than the contract's
        // default shows convergence within the first minute.
        defaults.put("model.scope", DEMO_SCOPE);
        defaults.put("optimizer.learning.rate", DEMO_LEARNING_RATE);
        ConfigLoader.Loaded loaded = ConfigReader.read(config, "--config", defaults, System.getenv());
        if (!loaded.sourceOf(StreamfitConfig.HTTP_PORT).startsWith("file ")
                && !loaded.sourceOf(StreamfitConfig.HTTP_PORT).startsWith("environment ")) {
            loaded = loaded.with(StreamfitConfig.HTTP_PORT, String.valueOf(httpPort), "option --http-port");
        }
        // Checked now, before the broker starts; built again with the broker's address once it runs.
        StreamfitConfig checked = ConfigReader.config(loaded.with("bootstrap.servers", "localhost:" + port,
                "option --port"));
        String httpSource = loaded.sourceOf(StreamfitConfig.HTTP_PORT);
        // Before the broker starts: a taken port is found in a moment, with the option that set it.
        Ports.requireFree("Kafka", "localhost", port, "option --port", "pass --port with a free port");
        Ports.requireFree("HTTP", checked.getString(StreamfitConfig.HTTP_HOST), checked.getInt(StreamfitConfig.HTTP_PORT),
                StreamfitConfig.HTTP_PORT + " from " + httpSource, httpSource.startsWith("option ")
                        ? "pass --http-port with a free port (0 picks one)" : "set http.port to a free port (0 picks one)");
        ShutdownSignal stop = new ShutdownSignal();
        long started = System.nanoTime();
        try (EmbeddedBroker broker = DevBroker.start(port, dataDir.resolve("kafka"), loaded.values()).broker()) {
            StreamfitConfig cfg = ConfigReader.config(loaded.with("bootstrap.servers", broker.bootstrapServers(),
                    "the embedded broker"));
            PrometheusMeterRegistry registry = Registries.prometheus();
            StreamfitMetrics metrics = new StreamfitMetrics(registry);
            SyntheticStream stream = data.stream(cfg.features());
            Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sigma).tag("target", "object")
                    .description("Demo only: the best achievable prequential RMSE").register(registry);
            Gauge.builder("streamfit.demo.noise.floor.rmse", stream, SyntheticStream::sumNoiseFloor).tag("target", "sum")
                    .description("Demo only: the best achievable prequential RMSE").register(registry);

            StreamfitApp app = new StreamfitApp(cfg, metrics);
            app.start();
            Map<String, Object> clientProps = new HashMap<>(cfg.clientProperties());
            DemoProducer producer = new DemoProducer(stream, cfg.topics().features().name(), rate, clientProps,
                    cfg.topics().labels().map(io.streamfit.schemas.Topic::name).orElse(null), labelDelay);
            producer.start();
            try (HttpApi http = HttpApi.start(cfg.getString(StreamfitConfig.HTTP_HOST), cfg.getInt(StreamfitConfig.HTTP_PORT),
                    app, registry)) {
                System.out.printf(Locale.ROOT, "streamfit demo: Kafka at %s, HTTP at http://%s:%d/metrics, "
                                + "%d series with %s objects, m=%d, noise sigma=%.3f, %s%n",
                        broker.bootstrapServers(), cfg.getString(StreamfitConfig.HTTP_HOST), http.port(), data.series,
                        java.util.Arrays.toString(stream.objectsPerSeries()), cfg.features(), data.noise, cfg.summary());
                System.out.printf(Locale.ROOT, "Live page (learning curves, predictions, models): http://%s:%d/%n",
                        cfg.getString(StreamfitConfig.HTTP_HOST), http.port());
                System.out.println("Press Ctrl-C to stop" + (duration == null ? "." : " (stops by itself after "
                        + Durations.human(duration) + ")."));
                Progress progress = new Progress(metrics, stream, started, labelDelay > 0 ? producer : null);
                long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
                long nextLine = System.nanoTime() + progressInterval.toNanos();
                int code = 0;
                while (true) {
                    // Rounded up to the millisecond: a wait rounded down to 0 ms would return at once,
                    // again and again until the deadline, each time with a line.
                    long waitNanos = Math.max(0, Math.min(nextLine, deadline) - System.nanoTime());
                    if (stop.await(Duration.ofMillis((waitNanos + 999_999) / 1_000_000))) {
                        break;
                    }
                    if (app.fatalError() != null) {
                        System.out.println(progress.line());
                        System.out.println("streamfit stopped: " + app.fatalError());
                        code = 2;
                        break;
                    }
                    long now = System.nanoTime();
                    if (now >= deadline) {
                        break;
                    }
                    if (now >= nextLine) {
                        System.out.println(progress.line());
                        nextLine += progressInterval.toNanos();
                    }
                }
                // The last line, once: what the demo reached when it stopped.
                producer.close();
                System.out.println(progress.line());
                app.close();
                System.out.println("Stopped cleanly. State is kept in " + dataDir + "; run the demo again to continue.");
                return code;
            } finally {
                producer.close();
                app.close();
            }
        } finally {
            stop.closed();
        }
    }

    /** Formats one progress line from the live metrics. */
    static final class Progress {
        private final StreamfitMetrics metrics;
        private final SyntheticStream stream;
        private final long startedNanos;
        /** The producer, when targets come late: the line then says how many labels wait. */
        private final DemoProducer lateLabels;
        private long lastRecords;
        private long lastNanos;

        Progress(StreamfitMetrics metrics, SyntheticStream stream, long startedNanos) {
            this(metrics, stream, startedNanos, null);
        }

        Progress(StreamfitMetrics metrics, SyntheticStream stream, long startedNanos, DemoProducer lateLabels) {
            this.metrics = metrics;
            this.stream = stream;
            this.startedNanos = startedNanos;
            this.lastNanos = startedNanos;
            this.lateLabels = lateLabels;
        }

        String line() {
            long now = System.nanoTime();
            long records = metrics.recordsTotal();
            double rate = (records - lastRecords) / Math.max(1e-9, (now - lastNanos) / 1e9);
            lastRecords = records;
            lastNanos = now;
            double objRmse = Math.sqrt(metrics.meanOver(ModelInfo::objectMse));
            double sumRmse = Math.sqrt(metrics.meanOver(ModelInfo::sumMse));
            long version = metrics.models().stream().mapToLong(ModelInfo::version).max().orElse(0);
            return String.format(Locale.ROOT,
                    "[%6s] %6.0f records/s | %,9d processed, %,d dead letters | models %d, up to v%,d | "
                            + "object RMSE %s (noise floor %.3f) | sum RMSE %s (noise floor %.3f)",
                    Durations.human(Duration.ofSeconds(Math.round((now - startedNanos) / 1e9))), rate, records, metrics.deadLetters(), metrics.models().size(), version,
                    fmt(objRmse), stream.sigma(), fmt(sumRmse), stream.sumNoiseFloor())
                    + (lateLabels == null ? "" : String.format(Locale.ROOT,
                            " | labels: %,d matched, %,d not sent yet",
                            metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED), lateLabels.labelsOwed()));
        }

        private static String fmt(double v) {
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "  -  ";
        }
    }
}
