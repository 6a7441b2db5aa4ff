package io.streamfit.devtools;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.runtime.StreamfitAcls;
import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.devkit.broker.SecureBroker;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.clients.admin.Admin;
import io.streamfit.app.cli.Ports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code streamfit broker}: only the embedded single-node KRaft broker, for local development, with
 * the contract's topics created at start and auto-creation of other topics on ({@link DevBroker}).
 * With {@code --secure} its client listener is SASL_SSL (SCRAM-SHA-512) with ACLs enforced, and a
 * second one, SASL PLAIN over TLS on {@code --plain-port}, serves librdkafka clients before 2.6.1
 * (Debian 12's kcat), which fail SCRAM against Kafka 4 (see {@link SecureBroker}).
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Runs only the embedded single-node Kafka (KRaft) broker until Ctrl-C.")
final class BrokerCommand implements Callable<Integer> {

    /** The SCRAM user that gets the app's minimal ACLs with {@code --secure}. */
    static final String APP_USER = "streamfit";

    @Option(names = "--port", defaultValue = "9092", description = "Client port on localhost (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", defaultValue = "./streamfit-data",
            description = "Broker data lives in DIR/kafka, with --secure the TLS and SCRAM material in DIR/secure "
                    + "(default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--secure", description = "SASL_SSL listener (SCRAM-SHA-512) with a throwaway CA and ACLs on; "
            + "writes client configs for the users 'admin' (super user) and '" + APP_USER
            + "' (the app's minimal ACLs) to DIR/secure. Passwords go to DIR/secure/secrets.properties only.")
    boolean secure;

    @Option(names = "--plain-port",
            description = "With --secure: port of the SASL PLAIN over TLS listener, for librdkafka clients (kcat) "
                    + "older than 2.6.1, whose SCRAM fails against Kafka 4; -1 for none, 0 for any free port "
                    + "(default: --port + 1, or any free port with --port 0).")
    Integer plainPortOption;

    @Option(names = "--app-id", defaultValue = "streamfit",
            description = "With --secure: the application.id whose minimal ACLs user '" + APP_USER
                    + "' gets (default ${DEFAULT-VALUE}).")
    String appId;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Options.port(spec, "--port", port, 0);
        int plainPort = plainPortOption != null ? plainPortOption : port == 0 ? 0 : port + 1;
        Options.port(spec, "--plain-port", plainPort, -1);
        if (plainPort > 0 && plainPort == port) {
            throw new ParameterException(spec.commandLine(), "--plain-port must differ from --port, both are " + port);
        }
        Ports.requireFree("Kafka", "localhost", port, "option --port", "pass --port with a free port");
        if (secure && plainPort > 0) {
            Ports.requireFree("Kafka PLAIN", "localhost", plainPort, "option --plain-port",
                    "pass --plain-port with a free port (0 picks one, -1 opens none)");
        }
        CountDownLatch stop = new CountDownLatch(1);
        Path kafkaDir = dataDir.resolve("kafka");
        DevBroker.Started dev = secure ? null : DevBroker.start(port, kafkaDir, Map.of());
        try (EmbeddedBroker broker = secure
                ? EmbeddedBroker.startSecure(port, plainPort, kafkaDir, dataDir.resolve("secure"), List.of(APP_USER),
                        Map.of())
                : dev.broker()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "streamfit-broker-shutdown"));
            if (secure) {
                SecureBroker s = broker.secure();
                try (Admin admin = Admin.create(Map.<String, Object>copyOf(s.clientProperties(SecureBroker.ADMIN_USER)))) {
                    admin.createAcls(StreamfitAcls.forApp("User:" + APP_USER, appId, TopicRegistry.defaults(), true))
                            .all().get(60, TimeUnit.SECONDS);
                }
                // The configs refer to the passwords by file, so printing them gives nothing away.
                System.out.println("Kafka broker at " + broker.bootstrapServers() + " (SASL_SSL, " + SecureBroker.MECHANISM
                        + ", ACLs on; data in " + kafkaDir + "). Ctrl-C stops it.");
                System.out.println("A new CA and new passwords are made at every start; they are in "
                        + s.directory().resolve(SecureBroker.SECRETS_FILE) + " (owner-only).");
                System.out.println("Super user 'admin':  " + s.clientConfig(SecureBroker.ADMIN_USER));
                System.out.println("App user '" + APP_USER + "' (minimal ACLs of application.id=" + appId + "):  "
                        + s.clientConfig(APP_USER));
                System.out.println("Run the app with it:  STREAMFIT_APPLICATION_ID=" + appId
                        + " STREAMFIT_MODEL_FEATURES=8 ./streamfit run --config " + s.clientConfig(APP_USER));
                if (s.plainBootstrapServers() != null) {
                    System.out.println("librdkafka clients (kcat, confluent-kafka-python, ...; any version): SASL PLAIN "
                            + "over TLS at " + s.plainBootstrapServers() + ", e.g.  kcat -F "
                            + s.librdkafkaConfig(SecureBroker.ADMIN_USER) + " -L  (these files hold the password; "
                            + "owner-only)");
                }
            } else {
                System.out.println("Kafka broker at " + broker.bootstrapServers() + " (data in " + kafkaDir
                        + "). Ctrl-C stops it.");
                System.out.println("Topics " + String.join(", ", TopicRegistry.defaults().names()) + " exist with "
                        + dev.partitions() + " partitions" + (dev.created().isEmpty() ? "" : " (created now)")
                        + "; other topics are created on first use.");
            }
            stop.await();
        }
        return 0;
    }
}
