package io.streamfit.devkit.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import kafka.server.BrokerServer;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster (combined KRaft broker and controller) inside this JVM, for the
 * demo, local development and integration tests.
 *
 * <p>With a data directory the log survives restarts: the cluster id is kept in
 * {@code <dataDir>/cluster.id} so that a restarted broker reopens the same logs. Without one it
 * lives in a temporary directory that is deleted on close.
 *
 * <p>{@link #start} gives a PLAINTEXT broker; {@link #startSecure} one with SASL_SSL and ACLs.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

    private final KafkaClusterTestKit cluster;

    private final String bootstrapServers;

    private final SecureBroker secure;

    private EmbeddedBroker(KafkaClusterTestKit cluster, String bootstrapServers, SecureBroker secure) {
        this.cluster = cluster;
        this.bootstrapServers = bootstrapServers;
        this.secure = secure;
    }

    /**
     * Starts a broker with one PLAINTEXT listener.
     *
     * @param port      client port on localhost, or 0 for any free port
     * @param dataDir   where logs live across restarts, or {@code null} for a temporary directory
     * @param overrides extra broker properties
     */
    public static EmbeddedBroker start(int port, Path dataDir, Map<String, String> overrides) throws Exception {
        Map<String, String> props = new HashMap<>();
        if (port > 0) {
            // The test kit pre-binds random ports for its own listener names; a listener of another
            // name binds the port we ask for.
            props.put("listeners", "BROKER://localhost:" + port + ",CONTROLLER://localhost:0");
            props.put("listener.security.protocol.map", "BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT");
            props.put("inter.broker.listener.name", "BROKER");
        }
        props.putAll(overrides);
        KafkaClusterTestKit kit = launch(dataDir, props);
        String bootstrap = port > 0 ? "localhost:" + port : kit.bootstrapServers();
        LOG.info("Embedded Kafka broker ready at {} (data in {})", bootstrap,
                dataDir == null ? "a temporary directory" : dataDir.toAbsolutePath());
        return new EmbeddedBroker(kit, bootstrap, null);
    }

    /**
     * Starts a broker whose only client listener is SASL_SSL with SCRAM-SHA-512, with ACLs enforced
     * ({@code StandardAuthorizer}, nothing allowed without an ACL). A fresh CA, broker certificate
     * and passwords are made at every start (see {@link SecureBroker}); the SCRAM users are
     * {@link SecureBroker#ADMIN_USER} (a super user) and {@code users}, without any ACL.
     *
     * <p>The broker's own connections (controller and inter-broker listeners, on other free ports
     * of localhost) use mutual TLS with the broker certificate, so no listener of this broker lets
     * anyone in without a certificate or a password.
     *
     * @param port      SASL_SSL client port on localhost, or 0 for any free port
     * @param dataDir   where logs live across restarts, or {@code null} for a temporary directory
     * @param secureDir where the keystore, truststore, secrets and client configs are written
     * @param users     SCRAM users to create besides the admin (e.g. the app's principal)
     * @param overrides extra broker properties
     */
    public static EmbeddedBroker startSecure(int port, Path dataDir, Path secureDir, List<String> users,
            Map<String, String> overrides) throws Exception {
        return startSecure(port, -1, dataDir, secureDir, users, overrides);
    }

    /**
     * {@link #startSecure(int, Path, Path, List, Map)} with a second client listener, SASL_SSL with
     * PLAIN, for librdkafka clients before 2.6.1, which fail SCRAM against Kafka 4 (see
     * {@link SecureBroker}); the same users, passwords and ACLs.
     *
     * @param plainPort the PLAIN listener's port on localhost, 0 for any free one, -1 for none
     */
    public static EmbeddedBroker startSecure(int port, int plainPort, Path dataDir, Path secureDir, List<String> users,
            Map<String, String> overrides) throws Exception {
        SecureBroker secure = SecureBroker.prepare(secureDir, users);
        Map<String, String> props = new HashMap<>(secure.brokerProperties(port, plainPort));
        props.putAll(overrides);
        KafkaClusterTestKit kit = launch(dataDir, props);
        try {
            BrokerServer server = kit.brokers().values().iterator().next();
            String bootstrap = "localhost:" + server.boundPort(ListenerName.normalised(SecureBroker.CLIENT_LISTENER));
            String internal = "localhost:" + server.boundPort(ListenerName.normalised(SecureBroker.INTERNAL_LISTENER));
            String plain = plainPort < 0 ? null
                    : "localhost:" + server.boundPort(ListenerName.normalised(SecureBroker.PLAIN_LISTENER));
            secure.createUsers(internal, bootstrap);
            LOG.info("Embedded Kafka broker ready at {} (SASL_SSL, SCRAM-SHA-512{}, ACLs on; client configs in {})",
                    bootstrap, plain == null ? "" : "; SASL PLAIN over TLS at " + plain, secureDir.toAbsolutePath());
            return new EmbeddedBroker(kit, bootstrap, secure.withBootstrap(bootstrap, plain));
        } catch (Exception e) {
            kit.close();
            throw e;
        }
    }

    private static KafkaClusterTestKit launch(Path dataDir, Map<String, String> overrides) throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1);
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            nodes.setBaseDirectory(dataDir.toAbsolutePath()).setClusterId(clusterId(dataDir));
        }
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build())
                .setDeleteOnClose(dataDir == null);
        Map<String, String> props = new HashMap<>();
        // A one-node cluster: without these three Streams' transactions and groups hang silently.
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        // Model checkpoints can be large; the changelog topic raises its own limit as well.
        props.put("message.max.bytes", String.valueOf(64 * 1024 * 1024));
        props.putAll(overrides);
        props.forEach(builder::setConfigProp);
        KafkaClusterTestKit kit = builder.build();
        try {
            if (dataDir == null || !Files.exists(dataDir.resolve(".formatted"))) {
                formatQuietly(kit);
                if (dataDir != null) {
                    Files.writeString(dataDir.resolve(".formatted"), "formatted by streamfit\n");
                }
            }
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            kit.close();
            throw e;
        }
        return kit;
    }

    /** The storage formatter prints its progress to stdout, which is the demo's progress display. */
    private static void formatQuietly(KafkaClusterTestKit kit) throws Exception {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            kit.format();
        } finally {
            System.setOut(out);
        }
    }

    private static String clusterId(Path dataDir) throws IOException {
        Path file = dataDir.resolve("cluster.id");
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        }
        String id = Uuid.randomUuid().toString();
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    /** The {@code bootstrap.servers} value for clients. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Users, passwords and files of a broker from {@link #startSecure}, or {@code null} for a plain one. */
    public SecureBroker secure() {
        return secure;
    }

    /** The underlying test kit, for tests that stop and restart the broker. */
    public KafkaClusterTestKit cluster() {
        return cluster;
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
