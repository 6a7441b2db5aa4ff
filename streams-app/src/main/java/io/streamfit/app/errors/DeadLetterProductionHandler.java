package io.streamfit.app.errors;

import java.util.List;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code production.exception.handler} of streamfit: an input whose outputs cannot be written
 * goes to the dead letters, and processing resumes. (Kafka's default fails the client, and after
 * a restart the same input fails it again: any input could stop the service for good.)
 *
 * <p><b>Where it catches them.</b> The sinks check every output against its topic's limit while
 * serializing it ({@link OutputLimits}): an output that does not fit, or fails to serialize,
 * comes here through {@link #handleSerializationError}, in the task that made it, before the
 * producer has seen it. Its input ({@link Traced#origin()}) becomes a dead letter with reason
 * {@code output-too-large} (or {@code serialization-error}) and everything it had: key, value,
 * headers, position; with a stub for the value when it does not fit the dead-letter topic
 * ({@link DeadLetters#fitted}). An input with several such outputs gets one dead letter. Its
 * outputs that did fit are written as usual.
 *
 * <p><b>Exactly-once.</b> The check is what keeps a transaction good: the producer never gets the
 * record, the dead letter joins the task's transaction, and it commits with the input offsets and
 * the model. A record that passes the check but is refused all the same (a topic whose limit was
 * lowered after streamfit read it) fails inside the producer, in {@link #handleError}: by then the
 * transactional producer has put its transaction into an abortable error, and nothing the handler
 * answers saves that transaction; Kafka Streams aborts it and fails the stream thread. So the
 * handler lowers the topic's limit below the refused record ({@link OutputLimits#rejected}) and
 * answers FAIL; the service replaces the thread (it does so only while such refusals lower a
 * limit, see {@code StreamfitApp}), the aborted input is processed again from the last commit,
 * and this time the check catches the output and the input becomes a dead letter in a good
 * transaction. A refused dead letter is answered with a smaller one (a stub) and RESUME, which
 * with {@code at_least_once} keeps it. Limits only fall, so no input fails the same way twice and
 * none can make the service loop.
 *
 * <p>Other send errors (timeouts, a broker that is down) are not about a record: Kafka's default
 * answers, RETRY for a retriable error and FAIL otherwise.
 */
public final class DeadLetterProductionHandler extends DeadLetterHandlerBase implements ProductionExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionHandler.class);

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception error,
                                             SerializationExceptionOrigin part) {
        Object value = record.value();
        Origin origin = value instanceof Traced t ? t.origin() : Origin.ofHandlerContext(context, routeTopic);
        if (topic.equals(record.topic())) {
            // A dead letter already says why and where from; only its size is new. Its value is the input's.
            byte[] key = record.key() instanceof byte[] k ? k : origin.key();
            ProducerRecord<byte[], byte[]> letter = DeadLetters.fitted(topic, limits, key, origin.value(),
                    record.headers(), origin.timestamp());
            LOG.warn("The dead letter of {} cannot be written as it is ({}); {}", origin.position(),
                    DeadLetterHandlers.describe(error), letter == null ? "not even a stub of it fits " + topic
                            : "a stub of its value goes to " + topic);
            return Response.resume(letter == null ? List.of() : List.of(letter));
        }
        String reason = error instanceof OutputTooLargeException ? Rejection.OUTPUT_TOO_LARGE
                : Rejection.SERIALIZATION_ERROR;
        LOG.warn("An output of {} for {} cannot be written ({}); the record goes to {}", origin.position(),
                record.topic(), DeadLetterHandlers.describe(error), topic);
        if (!origin.claimDeadLetter()) {
            return Response.resume();
        }
        return Response.resume(DeadLetterHandlers.deadLetter(topic, limits, origin, reason,
                "output for " + record.topic() + ": " + DeadLetterHandlers.describe(error), metrics));
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                Exception error) {
        if (!(error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException)) {
            return error instanceof RetriableException ? Response.retry() : Response.fail();
        }
        long bytes = OutputLimits.recordBytes(record.key(), record.value(), record.headers());
        limits.rejected(record.topic(), bytes);
        if (!topic.equals(record.topic())) {
            // The input of this output is not known here (the task has moved on since it sent it):
            // fail, and let the replay dead-letter it from the check, with everything it had.
            LOG.error("{} refused a record of up to {} bytes ({}); its limit is now taken to be {} bytes. The stream "
                    + "thread fails; after its replacement the input goes to {}", record.topic(), bytes,
                    DeadLetterHandlers.describe(error), limits.limit(record.topic()), topic);
            return Response.fail();
        }
        ProducerRecord<byte[], byte[]> smaller = DeadLetters.fitted(topic, limits, record.key(), record.value(),
                record.headers(), record.timestamp() == null ? -1L : record.timestamp());
        LOG.error("{} refused a dead letter of up to {} bytes ({}); its limit is now taken to be {} bytes; {}",
                topic, bytes, DeadLetterHandlers.describe(error), limits.limit(topic),
                smaller == null ? "not even a stub of it fits" : "a stub of it goes instead");
        return Response.resume(smaller == null ? List.of() : List.of(smaller));
    }
}
