package io.streamfit.app.errors;

import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code processing.exception.handler} of streamfit: a record on which a processor throws goes to
 * the dead-letter topic with reason {@code processing-error}, its original bytes and headers, and
 * processing continues. Errors that are not about one record (a {@link ModelMismatchException}, a
 * Kafka client error such as a missing ACL) stop the client instead: see {@link #aboutTheRecord}.
 */
public final class DeadLetterProcessingHandler extends DeadLetterHandlerBase implements ProcessingExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);

    /**
     * Whether {@code error} concerns this one record. A stored model that does not fit the
     * configuration, or a Kafka client error (authorization, authentication, fencing, timeouts)
     * is about the service: dead-lettering and going on would drop every record silently, so
     * those fail the client instead, leaving the input offsets uncommitted.
     */
    static boolean aboutTheRecord(Throwable error) {
        // One table decides (FaultClass): store and client errors, a model of another spec and a
        // fault after outputs were emitted stop the client; only faults of the record resume.
        return FaultClass.of(error) == FaultClass.RECORD;
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception error) {
        if (error instanceof ModelMismatchException) {
            // Settings that do not fit a saved model: the uncaught-exception handler says so in
            // one line, which is all there is to say (no stack trace helps the user).
            LOG.debug("Processor {} found a saved model of another shape on {}-{}@{}; stopping",
                    context.processorNodeId(), context.topic(), context.partition(), context.offset());
            return Response.fail();
        }
        if (!aboutTheRecord(error)) {
            LOG.error("Processor {} failed on {}-{}@{} for a reason that is not the record's; stopping",
                    context.processorNodeId(), context.topic(), context.partition(), context.offset(), error);
            return Response.fail();
        }
        LOG.error("Processor {} failed on {}-{}@{}; the record goes to {}", context.processorNodeId(),
                context.topic(), context.partition(), context.offset(), topic, error);
        return Response.resume(DeadLetterHandlers.deadLetter(topic, limits, routeTopic, context,
                Rejection.PROCESSING_ERROR, error, metrics));
    }
}
