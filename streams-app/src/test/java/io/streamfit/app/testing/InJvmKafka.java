package io.streamfit.app.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import io.streamfit.devkit.broker.EmbeddedBroker;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One in-JVM single-node KRaft broker per test class:
 * {@code @RegisterExtension static final InJvmKafka broker = new InJvmKafka();}. It starts at the
 * first {@link #bootstrapServers()} of the class (so a test that skips itself before it needs
 * Kafka costs no broker) and is closed after the class's {@code @AfterAll} methods.
 *
 * <p>{@link #restartable()} gives one that a test can {@link #stop()} and {@link #restart()} on the
 * same port with the same logs, as a broker outage does.
 */
public final class InJvmKafka implements BeforeAllCallback, AfterAllCallback {

    private final boolean restartable;
    private boolean classRunning;
    private EmbeddedBroker broker;
    private boolean stopped;
    private int port;
    private Path dataDir;

    private InJvmKafka(boolean restartable) {
        this.restartable = restartable;
    }

    /** A broker on any free port with its logs in a temporary directory. */
    public InJvmKafka() {
        this(false);
    }

    /** A broker that keeps its port and its logs across {@link #stop()} and {@link #restart()}. */
    public static InJvmKafka restartable() {
        return new InJvmKafka(true);
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        classRunning = true;
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) throws Exception {
        classRunning = false;
        stopped = false;
        try {
            close();
        } finally {
            if (dataDir != null) {
                deleteRecursively(dataDir);
                dataDir = null;
            }
        }
    }

    /**
     * The broker's {@code bootstrap.servers}; starts it at the first call (from any thread of the
     * test). While a restartable broker is stopped it is the address it comes back on.
     */
    public synchronized String bootstrapServers() {
        if (!classRunning) {
            throw new IllegalStateException("the broker runs only while its test class runs: register it with "
                    + "@RegisterExtension on a static field");
        }
        if (stopped) {
            return "localhost:" + port;
        }
        if (broker == null) {
            start();
        }
        return broker.bootstrapServers();
    }

    private void start() {
        try {
            if (!restartable) {
                broker = EmbeddedBroker.start(0, null, Map.of());
                return;
            }
            if (dataDir == null) {
                dataDir = Files.createTempDirectory("streamfit-kafka-");
                // Clients reconnect to the address they bootstrapped from, so the restarted broker needs this one.
                port = freePort();
            }
            broker = EmbeddedBroker.start(port, dataDir, Map.of());
        } catch (Exception e) {
            throw new IllegalStateException("the in-JVM broker did not start", e);
        }
    }

    /** Stops a {@link #restartable()} broker; clients see it go away until {@link #restart()}. */
    public synchronized void stop() throws Exception {
        requireRestartable();
        if (broker == null) {
            throw new IllegalStateException("the broker is not running");
        }
        stopped = true;
        close();
    }

    /** Starts a {@link #stop() stopped} broker again: the same port, the same topics and records. */
    public synchronized void restart() {
        requireRestartable();
        if (!stopped) {
            throw new IllegalStateException("the broker was not stopped");
        }
        stopped = false;
        start();
    }

    private void requireRestartable() {
        if (!restartable) {
            throw new IllegalStateException("only InJvmKafka.restartable() keeps its port and logs across a restart");
        }
    }

    private void close() throws Exception {
        if (broker != null) {
            EmbeddedBroker b = broker;
            broker = null;
            b.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
