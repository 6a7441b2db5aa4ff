package io.streamfit.app.cli;

import java.util.concurrent.Callable;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.runtime.TopicInitializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streamfit run --config FILE}: the service against any Kafka cluster. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs the service against a Kafka cluster until stopped. Env STREAMFIT_FOO_BAR overrides key foo.bar.")
final class RunCommand implements Callable<Integer> {

    @Mixin
    ServiceConfigOption config;

    @Override
    public Integer call() throws Exception {
        StreamfitConfig cfg = config.load();
        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitApp app = new StreamfitApp(cfg, new StreamfitMetrics(registry));
        ShutdownSignal stop = new ShutdownSignal();
        try {
            app.start();
        } catch (KafkaAccess.AuthenticationFailed | TopicInitializer.TopicsRefused e) {
            // The message names the cluster and the user, or topics: configured values, which may hold a secret.
            System.err.println("streamfit cannot start: " + cfg.secretMask().mask(e.getMessage()));
            stop.closed();
            return 2;
        }
        try (HttpApi http = HttpApi.start(cfg.getString(StreamfitConfig.HTTP_HOST), cfg.getInt(StreamfitConfig.HTTP_PORT),
                app, registry)) {
            System.err.println("streamfit running; HTTP on " + cfg.getString(StreamfitConfig.HTTP_HOST) + ":" + http.port());
            while (!stop.await(java.time.Duration.ofSeconds(1))) {
                if (app.fatalError() != null) {
                    // The whole chain: the outer error names the store or client, the root says why.
                    System.err.println("streamfit stopped on an instance fault: "
                            + cfg.secretMask().mask(StreamfitApp.causes(app.fatalError())));
                    app.close();
                    return 2;
                }
            }
        } finally {
            app.close();
            stop.closed();
        }
        return 0;
    }
}
