package io.streamfit.app.errors;

import java.util.Map;

import io.streamfit.app.metrics.StreamfitMetrics;
import org.apache.kafka.common.Configurable;

/**
 * What every dead-letter exception handler reads from the Streams configuration, read once in
 * {@link #configure}: the dead-letter topic, the metrics, the output limits and the route topic of
 * the global scope (whose origin stamps are the only ones believed).
 */
abstract class DeadLetterHandlerBase implements Configurable {

    protected String topic;
    protected StreamfitMetrics metrics;
    protected OutputLimits limits;
    protected String routeTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        topic = DeadLetterHandlers.topic(configs);
        metrics = DeadLetterHandlers.metrics(configs);
        limits = DeadLetterHandlers.limits(configs);
        routeTopic = DeadLetterHandlers.routeTopic(configs);
    }
}
