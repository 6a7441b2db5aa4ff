package io.streamfit.app.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.errors.ModelMismatchException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class DeadLetterHandlersTest {

    private static final byte[] KEY = "plant-7".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = {1, 2, 3, (byte) 0xff};

    private record Context(Headers headers) implements ErrorHandlerContext {
        public String topic() {
            return "features";
        }

        public int partition() {
            return 4;
        }

        public long offset() {
            return 1234L;
        }

        public String processorNodeId() {
            return "learn";
        }

        public TaskId taskId() {
            return new TaskId(0, 4);
        }

        public long timestamp() {
            return 99L;
        }

        public byte[] sourceRawKey() {
            return KEY;
        }

        public byte[] sourceRawValue() {
            return VALUE;
        }
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    @Test
    void aProcessingFailureSendsTheOriginalBytesAndPositionToTheDeadLetterTopicAndResumes() {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(Map.of(DeadLetterHandlers.TOPIC_CONFIG, "my-dead-letters",
                DeadLetterHandlers.METRICS_CONFIG, metrics));
        Headers original = new RecordHeaders().add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        ProcessingExceptionHandler.Response response = handler.handleError(new Context(original),
                new Record<>("k", "v", 1L), new IllegalStateException("boom"));

        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        List<ProducerRecord<byte[], byte[]>> dlq = response.deadLetterQueueRecords();
        assertThat(dlq).hasSize(1);
        ProducerRecord<byte[], byte[]> r = dlq.get(0);
        assertThat(r.topic()).isEqualTo("my-dead-letters");
        assertThat(r.key()).isEqualTo(KEY);
        assertThat(r.value()).isEqualTo(VALUE);
        assertThat(header(r, "trace")).isEqualTo("abc");
        assertThat(header(r, "error.reason")).isEqualTo("processing-error");
        assertThat(header(r, "error.message")).contains("IllegalStateException").contains("boom");
        assertThat(header(r, "error.topic")).isEqualTo("features");
        assertThat(header(r, "error.partition")).isEqualTo("4");
        assertThat(header(r, "error.offset")).isEqualTo("1234");
        assertThat(metrics.deadLetters()).isEqualTo(1);
    }

    @Test
    void aModelThatDoesNotFitTheConfigurationStopsTheClientInsteadOfDeadLetteringEveryRecord() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(Map.of(DeadLetterHandlers.TOPIC_CONFIG, "dead-letters"));
        ProcessingExceptionHandler.Response response = handler.handleError(new Context(new RecordHeaders()),
                new Record<>("k", "v", 1L), new ModelMismatchException("spec changed"));
        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void aKafkaClientErrorSuchAsAMissingAclStopsTheClientRatherThanDroppingRecords() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(Map.of(DeadLetterHandlers.TOPIC_CONFIG, "dead-letters"));
        Exception denied = new org.apache.kafka.streams.errors.StreamsException("Exception caught in process",
                new org.apache.kafka.common.errors.TopicAuthorizationException(java.util.Set.of("sum-predictions")));
        ProcessingExceptionHandler.Response response = handler.handleError(new Context(new RecordHeaders()),
                new Record<>("k", "v", 1L), denied);
        assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void aDeserializationFailureIsADeadLetterWithItsOwnReason() {
        DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
        handler.configure(Map.of(DeadLetterHandlers.TOPIC_CONFIG, "dead-letters"));
        DeserializationExceptionHandler.Response response = handler.handleError(new Context(new RecordHeaders()),
                new ConsumerRecord<>("features", 4, 1234L, KEY, VALUE), new RuntimeException("bad bytes"));
        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> r = response.deadLetterQueueRecords().get(0);
        assertThat(r.value()).isEqualTo(VALUE);
        assertThat(header(r, "error.reason")).isEqualTo("deserialization-error");
    }

    @Test
    void theAppConfiguresOurHandlersNotKafkasLogAndFail() {
        java.util.Properties p = new io.streamfit.app.config.StreamfitConfig(Map.of("model.features", "3",
                "topic.dead.letters", "dlq")).streamsProperties();
        assertThat(p.get("deserialization.exception.handler"))
                .isEqualTo(DeadLetterDeserializationHandler.class.getName());
        assertThat(p.get("processing.exception.handler")).isEqualTo(DeadLetterProcessingHandler.class.getName());
        assertThat(p.get(DeadLetterHandlers.TOPIC_CONFIG)).isEqualTo("dlq");
    }

    @Test
    void withoutADeadLetterTopicTheHandlerRefusesToStart() {
        assertThatThrownBy(() -> new DeadLetterProcessingHandler().configure(Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dead-letter topic");
    }
}
