package io.streamfit.app.errors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code deserialization.exception.handler} of streamfit: a record whose key or value cannot be
 * deserialized goes to the dead-letter topic with reason {@code deserialization-error}, its
 * original bytes and headers, and processing continues. (streamfit's own sources read bytes, so
 * this fires only for topics read with typed serdes; Kafka's default would stop the client.)
 */
public final class DeadLetterDeserializationHandler extends DeadLetterHandlerBase implements DeserializationExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception error) {
        LOG.warn("Record {}-{}@{} does not deserialize ({}); it goes to {}", context.topic(), context.partition(),
                context.offset(), DeadLetterHandlers.describe(error), topic);
        return Response.resume(DeadLetterHandlers.deadLetter(topic, limits, routeTopic, context,
                Rejection.DESERIALIZATION_ERROR, error, metrics));
    }
}
