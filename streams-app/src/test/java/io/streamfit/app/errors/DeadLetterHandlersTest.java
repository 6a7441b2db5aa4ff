package io.streamfit.app.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.metrics.StreamfitMetrics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
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
        assertThat(p.get("production.exception.handler")).isEqualTo(DeadLetterProductionHandler.class.getName());
        assertThat(p.get(DeadLetterHandlers.TOPIC_CONFIG)).isEqualTo("dlq");
    }

    @Test
    void withoutADeadLetterTopicTheHandlerRefusesToStart() {
        assertThatThrownBy(() -> new DeadLetterProcessingHandler().configure(Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dead-letter topic");
    }

    private record RouteContext(String topic, Headers headers) implements ErrorHandlerContext {
        public int partition() {
            return 0;
        }

        public long offset() {
            return 77L;
        }

        public String processorNodeId() {
            return "learn";
        }

        public TaskId taskId() {
            return new TaskId(0, 0);
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

    /** An output of {@code origin}, as the sinks hand it over. */
    private record Out(Origin origin) implements Traced {
        public int keyBytes() {
            return 1;
        }
    }

    private static Map<String, Object> configs(OutputLimits limits, StreamfitMetrics metrics) {
        Map<String, Object> c = new java.util.HashMap<>();
        c.put(DeadLetterHandlers.TOPIC_CONFIG, "dead-letters");
        c.put(DeadLetterHandlers.LIMITS_CONFIG, limits);
        c.put("application.id", "app");
        if (metrics != null) {
            c.put(DeadLetterHandlers.METRICS_CONFIG, metrics);
        }
        return c;
    }

    private static Origin origin(long offset) {
        Headers headers = new RecordHeaders().add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        return Origin.of("features", 2, offset, KEY, VALUE, headers, 1_000L);
    }

    @Test
    void aProcessingFailureOnTheGlobalRouteNamesTheStampedOriginalPosition() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(configs(new OutputLimits(1 << 20, 1 << 20), null));
        Headers stamped = new RecordHeaders()
                .add("streamfit.origin.topic", "features".getBytes(StandardCharsets.UTF_8))
                .add("streamfit.origin.partition", "5".getBytes(StandardCharsets.UTF_8))
                .add("streamfit.origin.offset", "4321".getBytes(StandardCharsets.UTF_8));

        ProducerRecord<byte[], byte[]> r = handler.handleError(new RouteContext("app-global-route", stamped),
                new Record<>("k", "v", 1L), new IllegalStateException("boom")).deadLetterQueueRecords().get(0);

        assertThat(header(r, "error.topic")).isEqualTo("features");
        assertThat(header(r, "error.partition")).isEqualTo("5");
        assertThat(header(r, "error.offset")).isEqualTo("4321");
        assertThat(r.headers().toArray()).extracting(h -> h.key()).noneMatch(k -> k.startsWith("streamfit."));
    }

    @Test
    void stampsOnAnyOtherTopicAreNotBelieved() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(configs(new OutputLimits(1 << 20, 1 << 20), null));
        Headers forged = new RecordHeaders()
                .add("streamfit.origin.topic", "elsewhere".getBytes(StandardCharsets.UTF_8))
                .add("streamfit.origin.partition", "5".getBytes(StandardCharsets.UTF_8))
                .add("streamfit.origin.offset", "4321".getBytes(StandardCharsets.UTF_8));

        ProducerRecord<byte[], byte[]> r = handler.handleError(new RouteContext("features", forged),
                new Record<>("k", "v", 1L), new IllegalStateException("boom")).deadLetterQueueRecords().get(0);

        assertThat(header(r, "error.topic")).isEqualTo("features");
        assertThat(header(r, "error.offset")).isEqualTo("77");
        assertThat(r.headers().toArray()).extracting(h -> h.key()).noneMatch(k -> k.startsWith("streamfit."));
    }

    @Test
    void anOutputThatDoesNotFitSendsItsInputToTheDeadLettersOnceAndResumes() {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
        handler.configure(configs(new OutputLimits(1 << 20, 1 << 20), metrics));
        Origin origin = origin(1234L);
        OutputTooLargeException tooLarge = new OutputTooLargeException("object-predictions", 5_000_000L, 1 << 20);

        ProductionExceptionHandler.Response first = handler.handleSerializationError(new Context(new RecordHeaders()),
                new ProducerRecord<>("object-predictions", KEY, new Out(origin)), tooLarge,
                ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
        ProductionExceptionHandler.Response second = handler.handleSerializationError(
                new Context(new RecordHeaders()), new ProducerRecord<>("object-predictions", KEY, new Out(origin)),
                tooLarge, ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);

        assertThat(first.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(first.deadLetterQueueRecords()).hasSize(1);
        ProducerRecord<byte[], byte[]> r = first.deadLetterQueueRecords().get(0);
        assertThat(r.topic()).isEqualTo("dead-letters");
        assertThat(r.key()).isEqualTo(KEY);
        assertThat(r.value()).isEqualTo(VALUE);
        assertThat(r.timestamp()).isEqualTo(1_000L);
        assertThat(header(r, "trace")).isEqualTo("abc");
        assertThat(header(r, "error.reason")).isEqualTo("output-too-large");
        assertThat(header(r, "error.message")).contains("object-predictions");
        assertThat(header(r, "error.topic")).isEqualTo("features");
        assertThat(header(r, "error.partition")).isEqualTo("2");
        assertThat(header(r, "error.offset")).isEqualTo("1234");
        assertThat(second.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(second.deadLetterQueueRecords()).as("the same input, a second output").isEmpty();
        assertThat(metrics.deadLetters()).isEqualTo(1);
    }

    @Test
    void anOutputTheBrokerRefusesLowersItsLimitAndFailsTheThreadSoThatTheReplayCatchesIt() {
        OutputLimits limits = new OutputLimits(1 << 20, 1 << 20);
        DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
        handler.configure(configs(limits, null));
        byte[] value = new byte[5_000];
        ProducerRecord<byte[], byte[]> refused = new ProducerRecord<>("object-predictions", KEY, value);

        ProductionExceptionHandler.Response response = handler.handleError(new Context(new RecordHeaders()), refused,
                new org.apache.kafka.common.errors.RecordTooLargeException("too large"));

        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(limits.lowerings()).isEqualTo(1);
        assertThat(limits.fits("object-predictions", OutputLimits.recordBytes(KEY, value, null))).isFalse();
        assertThat(limits.fits("object-predictions", OutputLimits.recordBytes(KEY, new byte[4_000], null))).isTrue();
        assertThat(limits.limit("sum-predictions")).isEqualTo(1 << 20);
    }

    @Test
    void aDeadLetterTheBrokerRefusesIsSentAgainAsAStubThatFits() {
        OutputLimits limits = new OutputLimits(1 << 20, 1 << 20);
        DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
        handler.configure(configs(limits, null));
        Headers headers = DeadLetters.headers(origin(1234L), "unparsable", "not JSON");
        ProducerRecord<byte[], byte[]> refused = new ProducerRecord<>("dead-letters", null, 5L, KEY, new byte[50_000],
                headers);

        ProductionExceptionHandler.Response response = handler.handleError(new Context(new RecordHeaders()), refused,
                new org.apache.kafka.common.errors.RecordTooLargeException("too large"));

        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> stub = response.deadLetterQueueRecords().get(0);
        assertThat(stub.key()).isEqualTo(KEY);
        assertThat(header(stub, "error.reason")).isEqualTo("unparsable");
        assertThat(header(stub, "error.stub")).isEqualTo("50000");
        assertThat(header(stub, "trace")).isEqualTo("abc");
        assertThat(new String(stub.value(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"stub\":\"value-too-large\",\"valueBytes\":50000,\"topic\":\"features\",\"partition\":2,\"offset\":1234}");

        // Refused in turn, the stub names the size of the value it stands for, not its own.
        ProductionExceptionHandler.Response again = handler.handleError(new Context(new RecordHeaders()), stub,
                new org.apache.kafka.common.errors.RecordTooLargeException("still too large"));
        ProducerRecord<byte[], byte[]> bare = again.deadLetterQueueRecords().get(0);
        assertThat(bare.key()).isNull();
        assertThat(bare.headers().lastHeader("trace")).isNull();
        assertThat(header(bare, "error.stub")).isEqualTo("50000");
        assertThat(bare.headers().headers("error.stub")).hasSize(1);
        assertThat(OutputLimits.recordBytes(bare.key(), bare.value(), bare.headers()))
                .isLessThan(OutputLimits.recordBytes(stub.key(), stub.value(), stub.headers()));
    }

    @Test
    void sendErrorsThatAreNotAboutTheRecordAreKafkasToDecide() {
        DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
        handler.configure(configs(new OutputLimits(1 << 20, 1 << 20), null));
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("sum-predictions", KEY, VALUE);

        assertThat(handler.handleError(new Context(new RecordHeaders()), r,
                new org.apache.kafka.common.errors.TimeoutException("slow")).result())
                .isEqualTo(ProductionExceptionHandler.Result.RETRY);
        assertThat(handler.handleError(new Context(new RecordHeaders()), r,
                new org.apache.kafka.common.errors.InvalidTopicException("gone")).result())
                .isEqualTo(ProductionExceptionHandler.Result.FAIL);
    }

    @Test
    void aHandlerDeadLetterTooLargeForItsTopicIsAStub() {
        OutputLimits limits = new OutputLimits(1 << 20, 1 << 20);
        limits.set("dead-letters", 1_500);
        DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
        handler.configure(configs(limits, null));

        ProducerRecord<byte[], byte[]> r = handler.handleError(new BigContext(), new ConsumerRecord<>("features", 4,
                1234L, KEY, new byte[0]), new RuntimeException("bad bytes")).deadLetterQueueRecords().get(0);

        assertThat(header(r, "error.reason")).isEqualTo("deserialization-error");
        assertThat(header(r, "error.stub")).isEqualTo("4000");
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).contains("\"valueBytes\":4000")
                .contains("\"offset\":1234");
        assertThat(OutputLimits.recordBytes(r.key(), r.value(), r.headers())).isLessThanOrEqualTo(1_500);
    }

    private static final class BigContext implements ErrorHandlerContext {
        public String topic() {
            return "features";
        }

        public int partition() {
            return 4;
        }

        public long offset() {
            return 1234L;
        }

        public Headers headers() {
            return new RecordHeaders();
        }

        public String processorNodeId() {
            return "features-source";
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
            return new byte[4_000];
        }
    }
}
