package io.streamfit.app.it;

import java.util.Map;

import io.streamfit.devkit.broker.EmbeddedBroker;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One in-JVM single-node KRaft broker per test class, started before the class's own
 * {@code @BeforeAll} methods and closed after its {@code @AfterAll} ones:
 * {@code @RegisterExtension static final InJvmKafka broker = new InJvmKafka();}
 */
final class InJvmKafka implements BeforeAllCallback, AfterAllCallback {

    private EmbeddedBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        broker = EmbeddedBroker.start(0, null, Map.of());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    /** The broker's {@code bootstrap.servers}; only between the class's first and last callback. */
    String bootstrapServers() {
        if (broker == null) {
            throw new IllegalStateException("the broker runs only while the test class runs");
        }
        return broker.bootstrapServers();
    }
}
