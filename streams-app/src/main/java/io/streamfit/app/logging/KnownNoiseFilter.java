package io.streamfit.app.logging;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops the few WARN lines of Kafka that a healthy start, stop or demo prints and that call for
 * nothing (each entry says why it is harmless), so that a WARN in the log means something. Only
 * these exact messages of these loggers are dropped, and only at WARN: the same loggers' other
 * warnings still show. {@code logback.xml} installs it on the console appender.
 */
public final class KnownNoiseFilter extends Filter<ILoggingEvent> {

    /** A logger (exact name) and a text its message contains. */
    record Noise(String logger, String contains, String why) {
    }

    static final List<Noise> NOISE = List.of(
            new Noise("org.apache.kafka.clients.producer.internals.Sender", "Error: CONCURRENT_TRANSACTIONS",
                    "with exactly-once, the first batch of a transaction is refused while the broker still writes "
                            + "the previous commit's markers; the producer retries it, and the retry goes through"),
            new Noise("org.apache.kafka.controller.QuorumController", "Performing controller activation.",
                    "the embedded dev broker's controller becomes active at every start, and on a new data dir "
                            + "appends the bootstrap records to its empty metadata log"),
            new Noise("org.apache.kafka.clients.NetworkClient",
                    "Attempting to close NetworkClient that has already been closed",
                    "the embedded broker's shutdown closes its controller channel twice (Kafka's test kit)"));

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (event.getLevel() != Level.WARN) {
            return FilterReply.NEUTRAL;
        }
        String message = event.getFormattedMessage();
        for (Noise n : NOISE) {
            if (n.logger().equals(event.getLoggerName()) && message != null && message.contains(n.contains())) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
