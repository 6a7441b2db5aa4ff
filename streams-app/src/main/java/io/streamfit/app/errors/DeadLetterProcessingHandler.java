package io.streamfit.app.errors;

import java.util.Map;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.processor.ModelMismatchException;
import io.streamfit.app.processor.Rejection;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processing.exception.handler} of streamfit: a record on which a processor throws goes to
 * the dead-letter topic with reason {@code processing-error}, its original bytes and headers, and
 * processing continues. A {@link ModelMismatchException} is not about one record (the stored model
 * does not fit the configuration), so it stops the client instead.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);

    private String topic;
    private StreamfitMetrics metrics;

    @Override
    public void configure(Map<String, ?> configs) {
        topic = DeadLetterHandlers.topic(configs);
        metrics = DeadLetterHandlers.metrics(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
        if (error instanceof ModelMismatchException) {
            return Response.fail();
        }
        LOG.error("Processor {} failed on {}-{}@{}; the record goes to {}", context.processorNodeId(),
                context.topic(), context.partition(), context.offset(), topic, error);
        return Response.resume(DeadLetterHandlers.deadLetter(topic, context, Rejection.PROCESSING_ERROR, error,
                metrics));
    }
}
