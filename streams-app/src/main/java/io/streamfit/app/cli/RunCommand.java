package io.streamfit.app.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.cli.CliErrors.UserError;
import io.streamfit.app.config.ConfigErrors;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.registry.SchemaRegistryClient;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.runtime.SavedModels;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.runtime.TopicInitializer;
import io.streamfit.schemas.SchemaRegistry;
import io.streamfit.schemas.ValueFormat;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code streamfit run --config FILE}: the service against any Kafka cluster. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs the service against a Kafka cluster until stopped. Env STREAMFIT_FOO_BAR overrides key foo.bar.")
final class RunCommand implements Callable<Integer> {

    private static final String HTTP_PORT_FIX = "set " + StreamfitConfig.HTTP_PORT + " to a free port (0 picks one)";

    @Mixin
    ServiceConfigOption config;

    @Spec
    CommandSpec spec;

    @Option(names = "--dry-run",
            description = "Check the configuration, the HTTP port and the cluster (login, topics, co-partitioning, the "
                    + "saved models' settings), start nothing, and exit: 0 when a start would get going, 2 with the "
                    + "reason otherwise.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        StreamfitConfig cfg = config.load();
        if (dryRun) {
            return dryRun(cfg);
        }
        String host = cfg.getString(StreamfitConfig.HTTP_HOST);
        int port = cfg.getInt(StreamfitConfig.HTTP_PORT);
        // Before Kafka: a busy port is found in a moment, not after the topics and the stores.
        Ports.requireFree("HTTP", host, port, httpPortSetting(), HTTP_PORT_FIX);
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitApp app = new StreamfitApp(cfg, new StreamfitMetrics(registry));
        ShutdownSignal stop = new ShutdownSignal();
        try {
            app.start();
        } catch (RuntimeException e) {
            stop.closed();
            app.close();
            throw explain(e, cfg);
        }
        try (HttpApi http = startHttp(host, port, app, registry)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("streamfit running; HTTP on " + host + ":" + http.port());
            err.flush();
            while (!stop.await(Duration.ofSeconds(1))) {
                if (app.fatalError() != null) {
                    ModelMismatchException mismatch = StreamfitApp.modelMismatch(app.fatalError());
                    if (mismatch != null) {
                        throw new UserError(cfg.secretMask().mask(mismatch.getMessage()), app.fatalError());
                    }
                    // The whole chain: the outer error names the store or client, the root says why.
                    throw new UserError("stopped on an instance fault: "
                            + cfg.secretMask().mask(StreamfitApp.causes(app.fatalError())), app.fatalError());
                }
            }
        } finally {
            app.close();
            stop.closed();
        }
        return 0;
    }

    private HttpApi startHttp(String host, int port, StreamfitApp app, PrometheusMeterRegistry registry)
            throws IOException {
        try {
            return HttpApi.start(host, port, app, registry);
        } catch (IOException e) {
            if (Ports.bindFailure(e)) {
                // Taken between the check and now.
                throw new UserError(Ports.inUse("HTTP", host, port, httpPortSetting(), HTTP_PORT_FIX), e);
            }
            throw e;
        }
    }

    private String httpPortSetting() {
        return StreamfitConfig.HTTP_PORT + " from " + config.sourceOf(StreamfitConfig.HTTP_PORT);
    }

    /** {@code --dry-run}: what a start would check, with nothing started; a summary on stdout. */
    private int dryRun(StreamfitConfig cfg) throws Exception {
        String host = cfg.getString(StreamfitConfig.HTTP_HOST);
        int port = cfg.getInt(StreamfitConfig.HTTP_PORT);
        // As a start checks it: before Kafka, with the key and where its value came from.
        Ports.requireFree("HTTP", host, port, httpPortSetting(), HTTP_PORT_FIX);
        Map<String, Object> admin = adminProperties(cfg);
        List<String> toCreate;
        String registry;
        try {
            Duration timeout = Duration.ofMillis(cfg.getLong(StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS));
            KafkaAccess.checkLogin(admin, timeout);
            toCreate = TopicInitializer.plan(cfg, admin);
            // The saved models' settings, as a start would check them.
            SavedModels.check(cfg, admin, timeout);
            registry = registryCheck(cfg);
        } catch (RuntimeException e) {
            throw explain(e, cfg);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("streamfit run --dry-run: configuration valid (" + cfg.summary() + "); Kafka at "
                + cfg.bootstrapServers() + " answered; topics "
                + (toCreate.isEmpty() ? "all present" : "to create at start: " + String.join(", ", toCreate))
                + registry
                + (port > 0 ? "; HTTP port " + port + " on " + host + " is free" : "") + "; nothing was started.");
        out.flush();
        return 0;
    }

    /**
     * With {@code value.format=avro-registry}: the registry answers streamfit's credentials (a
     * read, nothing registered); the summary's words for it, empty for the other formats.
     */
    private static String registryCheck(StreamfitConfig cfg) {
        if (cfg.valueFormat() != ValueFormat.AVRO_REGISTRY) {
            return "";
        }
        SchemaRegistryClient client = new SchemaRegistryClient(cfg.schemaRegistry());
        try {
            int subjects = client.subjects().size();
            return "; schema registry at " + cfg.secretMask().mask(client.url()) + " answered (" + subjects
                    + " subjects)";
        } finally {
            client.close();
        }
    }

    /** The admin client's share of the Streams properties (bootstrap servers, security). */
    private static Map<String, Object> adminProperties(StreamfitConfig cfg) {
        Map<String, Object> admin = new HashMap<>();
        cfg.streamsProperties().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k.toString())) {
                admin.put(k.toString(), v);
            }
        });
        return admin;
    }

    /** A failure to start as the user's error where it is one; configured values may hold a secret. */
    private RuntimeException explain(RuntimeException e, StreamfitConfig cfg) {
        if (e instanceof ModelMismatchException) {
            // A setting that shapes the weights changed: the line names it and the ways out.
            return new UserError(cfg.secretMask().mask(e.getMessage()), e);
        }
        if (e instanceof KafkaAccess.AuthenticationFailed || e instanceof TopicInitializer.TopicsRefused) {
            return new UserError("cannot start: " + cfg.secretMask().mask(e.getMessage()), e);
        }
        if (e instanceof KafkaAccess.Unreachable u) {
            return new UserError(cfg.secretMask().mask(CliErrors.unreachable(u, config.sourceOf("bootstrap.servers"))), e);
        }
        if (e instanceof ConfigException c) {
            return new UserError(cfg.secretMask().mask(ConfigErrors.explain(c, config.loaded)), e);
        }
        if (e instanceof SchemaRegistry.RegistryUnavailableException) {
            return new UserError("cannot start: " + cfg.secretMask().mask(e.getMessage()) + " ("
                    + StreamfitConfig.SCHEMA_REGISTRY_URL + " from " + config.sourceOf(StreamfitConfig.SCHEMA_REGISTRY_URL)
                    + "); check that the registry runs and the URL and credentials are right", e);
        }
        return e;
    }
}
