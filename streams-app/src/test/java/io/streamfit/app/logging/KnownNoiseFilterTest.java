package io.streamfit.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** Only the listed WARN messages of the listed loggers are dropped; everything else passes. */
class KnownNoiseFilterTest {

    private static final String SENDER = "org.apache.kafka.clients.producer.internals.Sender";
    private static final String RETRY = "[Producer clientId=app-StreamThread-1-producer, transactionalId=app-1] Got error "
            + "produce response with correlation id 25 on topic-partition app-route-0, retrying (2147483646 attempts "
            + "left). Error: CONCURRENT_TRANSACTIONS";

    private final KnownNoiseFilter filter = new KnownNoiseFilter();
    private final LoggerContext context = new LoggerContext();

    private FilterReply decide(String logger, Level level, String message) {
        LoggingEvent e = new LoggingEvent(getClass().getName(), context.getLogger(logger), level, message, null, null);
        return filter.decide(e);
    }

    @Test
    void theListedWarningsAreDropped() {
        assertThat(decide(SENDER, Level.WARN, RETRY)).isEqualTo(FilterReply.DENY);
        assertThat(decide("org.apache.kafka.controller.QuorumController", Level.WARN,
                "[QuorumController id=0] Performing controller activation. The metadata log appears to be empty."))
                .isEqualTo(FilterReply.DENY);
        assertThat(decide("org.apache.kafka.clients.NetworkClient", Level.WARN,
                "[NodeToControllerChannelManager id=0 name=registration] Attempting to close NetworkClient that has "
                        + "already been closed.")).isEqualTo(FilterReply.DENY);
    }

    @Test
    void otherMessagesLevelsAndLoggersPass() {
        assertThat(decide(SENDER, Level.WARN, RETRY.replace("CONCURRENT_TRANSACTIONS", "NOT_LEADER_OR_FOLLOWER")))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(SENDER, Level.ERROR, RETRY)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("org.apache.kafka.clients.producer.KafkaProducer", Level.WARN, RETRY))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("org.apache.kafka.clients.NetworkClient", Level.WARN,
                "Connection to node -1 (/127.0.0.1:1) could not be established.")).isEqualTo(FilterReply.NEUTRAL);
    }
}
