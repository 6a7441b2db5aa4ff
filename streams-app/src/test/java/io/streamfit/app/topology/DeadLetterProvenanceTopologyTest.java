package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.names.Names;
import io.streamfit.app.state.PendingCodec;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.avro.PendingTimestep;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every dead letter carries its input record whole (key, value, headers) and the position the
 * service read it at, whatever the reason: a rejected record, a failed model call on buffered
 * timesteps, an output that does not fit its topic. Positions come from the service's own record
 * metadata or stamp, never from {@code streamfit.*} headers that arrive with the input.
 */
class DeadLetterProvenanceTopologyTest {

    private static final int M = 2;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path stateDir;

    private TopologyHarness h;

    @AfterEach
    void close() {
        if (h != null) {
            h.close();
        }
    }

    private TestConfigs.Builder config() {
        return TestConfigs.regressor(M).app("provenance-test").stateDir(stateDir).with("model.hidden", "");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String good(long t, String... ids) {
        StringBuilder objects = new StringBuilder();
        for (String id : ids) {
            objects.append(objects.length() == 0 ? "" : ",").append("{\"id\":\"").append(id)
                    .append("\",\"features\":[0.5,-1.0],\"target\":1.0}");
        }
        return "{\"series\":\"s\",\"timestep\":" + t + ",\"objects\":[" + objects + "]}";
    }

    private static Headers forged(String trace) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace", utf8(trace));
        headers.add(Names.ORIGIN_TOPIC_HEADER, utf8("somewhere-else"));
        headers.add(Names.ORIGIN_PARTITION_HEADER, utf8("99"));
        headers.add(Names.ORIGIN_OFFSET_HEADER, utf8("123456"));
        headers.add("streamfit.anything", utf8("x"));
        return headers;
    }

    private void send(byte[] key, String value, Headers headers) {
        h.input().pipeInput(new TestRecord<>(key, utf8(value), headers));
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header hd = r.headers().lastHeader(name);
        return hd == null ? null : new String(hd.value(), StandardCharsets.UTF_8);
    }

    private static void assertNoInternalHeaders(TestRecord<byte[], byte[]> r) {
        assertThat(r.headers().toArray()).extracting(Header::key).noneMatch(k -> k.startsWith("streamfit."));
    }

    private static void assertFrom(TestRecord<byte[], byte[]> r, String topic, int partition, long offset) {
        assertThat(header(r, "error.topic")).isEqualTo(topic);
        assertThat(header(r, "error.partition")).isEqualTo(String.valueOf(partition));
        assertThat(header(r, "error.offset")).isEqualTo(String.valueOf(offset));
    }

    /** A kind whose models fail every call: as a native error or a bug in a model would. */
    private static ConfiguredKind failingModels(ConfiguredKind real) {
        InvocationHandler kind = (proxy, method, args) -> {
            Object out = invoke(real, method, args);
            if (method.getName().equals("create")) {
                OnlineModel model = (OnlineModel) out;
                return Proxy.newProxyInstance(OnlineModel.class.getClassLoader(), new Class<?>[] {OnlineModel.class},
                        (p, m, a) -> {
                            if (m.getName().equals("step")) {
                                throw new IllegalStateException("the model failed");
                            }
                            return invoke(model, m, a);
                        });
            }
            return out;
        };
        return (ConfiguredKind) Proxy.newProxyInstance(ConfiguredKind.class.getClassLoader(),
                new Class<?>[] {ConfiguredKind.class}, kind);
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void forgedOriginHeadersOnInputAreIgnoredAndStrippedInSeriesScope() {
        h = TopologyHarness.start(config().toMap());
        send(utf8("s"), good(1, "a"), new RecordHeaders());
        send(utf8("s"), "{not json", forged("bad-one"));

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).hasSize(1);
        TestRecord<byte[], byte[]> r = dead.get(0);
        assertThat(header(r, "error.reason")).isEqualTo("unparsable");
        assertFrom(r, "features", 0, 1L);
        assertThat(header(r, "trace")).isEqualTo("bad-one");
        assertNoInternalHeaders(r);
        assertThat(r.key()).isEqualTo(utf8("s"));
        assertThat(r.value()).isEqualTo(utf8("{not json"));
    }

    @Test
    void forgedOriginHeadersOnInputAreReplacedByTheStampInGlobalScope() {
        h = TopologyHarness.start(config().with("model.scope", "global").toMap());
        send(utf8("s"), good(1, "a"), forged("good-one"));
        send(utf8("s"), good(2, "a"), new RecordHeaders());
        send(utf8("s"), "{not json", forged("bad-one"));
        send(utf8("s"), good(2, "a"), forged("backwards"));

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).hasSize(2);
        assertThat(header(dead.get(0), "error.reason")).isEqualTo("unparsable");
        assertFrom(dead.get(0), "features", 0, 2L);
        assertThat(header(dead.get(0), "trace")).isEqualTo("bad-one");
        assertThat(header(dead.get(1), "error.reason")).isEqualTo("timestep-not-increasing");
        assertFrom(dead.get(1), "features", 0, 3L);
        assertThat(header(dead.get(1), "trace")).isEqualTo("backwards");
        dead.forEach(DeadLetterProvenanceTopologyTest::assertNoInternalHeaders);
        assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getTimestep).containsExactly(1L, 2L);
    }

    @Test
    void aFailedModelCallDeadLettersEveryBufferedRecordWithItsKeyHeadersAndPosition() {
        h = TopologyHarness.start(config().with("batch.timesteps", 3).with("batch.max.wait.ms", 3_600_000).toMap(),
                DeadLetterProvenanceTopologyTest::failingModels, new OutputLimits(8 * MIB, 64 * MIB));
        RecordHeaders withNull = new RecordHeaders();
        withNull.add("trace", utf8("first"));
        withNull.add("no-value", null);
        send(utf8("s"), good(1, "a"), withNull);
        send(null, good(2, "a"), forged("second, keyless"));

        // The pending store holds each buffered record whole (format version 2), not just its value.
        KeyValueStore<String, byte[]> pendingStore = h.store(Names.PENDING_STORE);
        List<PendingTimestep> pending = new java.util.ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = pendingStore.all()) {
            it.forEachRemaining(kv -> pending.add(PendingCodec.decode(kv.value)));
        }
        assertThat(pending).extracting(PendingTimestep::getFormatVersion).containsOnly(2);
        assertThat(pending).extracting(PendingTimestep::getOffset).containsExactlyInAnyOrder(0L, 1L);
        assertThat(pending).extracting(PendingTimestep::getTopic).containsOnly("features");
        assertThat(pending).flatExtracting(PendingTimestep::getHeaders).extracting(hd -> hd.getKey())
                .containsExactlyInAnyOrder("trace", "no-value", "trace");

        send(utf8("s"), good(3, "a", "b"), new RecordHeaders().add("trace", utf8("third")));

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();
        assertThat(dead).hasSize(3);
        for (int i = 0; i < 3; i++) {
            TestRecord<byte[], byte[]> r = dead.get(i);
            assertThat(header(r, "error.reason")).as("dead letter %d", i).isEqualTo("processing-error");
            assertThat(header(r, "error.message")).contains("IllegalStateException").contains("the model failed");
            assertFrom(r, "features", 0, i);
            assertNoInternalHeaders(r);
        }
        assertThat(dead.get(0).key()).isEqualTo(utf8("s"));
        assertThat(dead.get(0).value()).isEqualTo(utf8(good(1, "a")));
        assertThat(dead.get(0).headers().toArray()).extracting(Header::key)
                .containsExactly("trace", "no-value", "error.reason", "error.message", "error.topic", "error.partition",
                        "error.offset");
        assertThat(dead.get(0).headers().lastHeader("no-value").value()).isNull();
        assertThat(dead.get(1).key()).as("the record had no key, and its dead letter has none").isNull();
        assertThat(header(dead.get(1), "trace")).isEqualTo("second, keyless");
        assertThat(dead.get(2).value()).isEqualTo(utf8(good(3, "a", "b")));
        assertThat(header(dead.get(2), "trace")).isEqualTo("third");
        assertThat(h.sums().readValuesToList()).isEmpty();
        assertThat(h.metrics().deadLetters()).isEqualTo(3);
    }

    @Test
    void aFailedModelCallInGlobalScopeNamesTheInputTopicNotTheRoute() {
        h = TopologyHarness.start(config().with("model.scope", "global").toMap(),
                DeadLetterProvenanceTopologyTest::failingModels, new OutputLimits(8 * MIB, 64 * MIB));
        send(utf8("s"), good(1, "a"), new RecordHeaders());
        send(utf8("t"), good(1, "a"), forged("forged"));

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).hasSize(2);
        assertFrom(dead.get(0), "features", 0, 0L);
        assertFrom(dead.get(1), "features", 0, 1L);
        assertThat(dead.get(1).key()).isEqualTo(utf8("t"));
        assertThat(header(dead.get(1), "trace")).isEqualTo("forged");
        dead.forEach(DeadLetterProvenanceTopologyTest::assertNoInternalHeaders);
    }

    @Test
    void anOutputTooLargeForItsTopicSendsItsInputToTheDeadLettersOnceAndTheRestGoesOn() {
        OutputLimits limits = new OutputLimits(8 * MIB, 64 * MIB);
        limits.set("object-predictions", 600);
        // Ids up to max.id.bytes pass the screen; one this long only fails at its output's topic.
        h = TopologyHarness.start(config().with("max.id.bytes", 2048).toMap(), k -> k, limits);
        String longId = "x".repeat(700);
        String big = good(2, "a", longId, longId + "y");
        send(utf8("s"), good(1, "a"), new RecordHeaders());
        send(utf8("s"), big, new RecordHeaders().add("trace", utf8("big")));
        send(utf8("s"), good(3, "a"), new RecordHeaders());

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).as("one dead letter for the input, however many of its outputs fail").hasSize(1);
        TestRecord<byte[], byte[]> r = dead.get(0);
        assertThat(header(r, "error.reason")).isEqualTo("output-too-large");
        assertThat(header(r, "error.message")).contains("object-predictions").contains("600");
        assertFrom(r, "features", 0, 1L);
        assertThat(r.key()).isEqualTo(utf8("s"));
        assertThat(r.value()).isEqualTo(utf8(big));
        assertThat(header(r, "trace")).isEqualTo("big");
        assertThat(header(r, "error.stub")).isNull();
        // What fits is written: the record's small object, its sum, and the records around it.
        assertThat(h.objects().readValuesToList()).extracting(p -> p.getTimestep() + "/" + p.getObject())
                .containsExactly("1/a", "2/a", "3/a");
        assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getTimestep).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aPerTimestepRecordTooLargeForItsTopicSendsItsInputToTheDeadLettersAndTheRestGoesOn() {
        OutputLimits limits = new OutputLimits(8 * MIB, 64 * MIB);
        limits.set("object-predictions", 600);
        h = TopologyHarness.start(config().with("max.id.bytes", 2048).with("output.objects", "per-timestep").toMap(),
                k -> k, limits);
        String longId = "x".repeat(700);
        String big = good(2, "a", longId, longId + "y");
        send(utf8("s"), good(1, "a"), new RecordHeaders());
        send(utf8("s"), big, new RecordHeaders().add("trace", utf8("big")));
        send(utf8("s"), good(3, "a"), new RecordHeaders());

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).hasSize(1);
        assertThat(header(dead.get(0), "error.reason")).isEqualTo("output-too-large");
        assertThat(dead.get(0).value()).isEqualTo(utf8(big));
        // The timestep's objects leave together or not at all; its sum and the records around it are written.
        assertThat(h.output("object-predictions", new org.apache.kafka.common.serialization.StringDeserializer(),
                io.streamfit.schemas.StreamfitSerdes.timestepPredictions()).readValuesToList())
                .extracting(p -> p.getTimestep() + "/" + p.getObjects().size()).containsExactly("1/1", "3/1");
        assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getTimestep).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aDeadLetterTooLargeForItsTopicBecomesAStubNamingSizeAndPosition() {
        OutputLimits limits = new OutputLimits(8 * MIB, 64 * MIB);
        limits.set("dead-letters", 2_000);
        h = TopologyHarness.start(config().toMap(), k -> k, limits);
        byte[] value = new byte[10_000];
        Arrays.fill(value, (byte) '{');
        h.input().pipeInput(new TestRecord<>(utf8("s"), value, new RecordHeaders().add("trace", utf8("huge"))));
        byte[] hugeKey = new byte[5_000];
        h.input().pipeInput(new TestRecord<>(hugeKey, value, forged("huge key")));
        send(utf8("s"), good(1, "a"), new RecordHeaders());

        List<TestRecord<byte[], byte[]>> dead = h.deadLetters().readRecordsToList();

        assertThat(dead).hasSize(2);
        TestRecord<byte[], byte[]> stub = dead.get(0);
        assertThat(header(stub, "error.reason")).as("the record's own reason stays").isEqualTo("unparsable");
        assertThat(header(stub, "error.stub")).isEqualTo("10000");
        assertThat(header(stub, "trace")).isEqualTo("huge");
        assertFrom(stub, "features", 0, 0L);
        assertThat(stub.key()).isEqualTo(utf8("s"));
        assertThat(new String(stub.value(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"stub\":\"value-too-large\",\"valueBytes\":10000,\"topic\":\"features\",\"partition\":0,\"offset\":0}");

        TestRecord<byte[], byte[]> bare = dead.get(1);
        assertThat(bare.key()).as("a key too large goes too").isNull();
        assertThat(header(bare, "trace")).isNull();
        assertThat(header(bare, "error.stub")).isEqualTo("10000");
        assertFrom(bare, "features", 0, 1L);
        assertNoInternalHeaders(bare);
        assertThat(new String(bare.value(), StandardCharsets.UTF_8)).startsWith(
                "{\"stub\":\"value-too-large\",\"valueBytes\":10000,\"topic\":\"features\",\"partition\":0,\"offset\":1,"
                        + "\"keyBytes\":5000,\"headerBytes\":");
        assertThat(h.sums().readValuesToList()).extracting(SumPrediction::getTimestep).containsExactly(1L);
    }

    @Test
    void theTopicsStreamfitCreatesTakeItsLargestDeadLetter() {
        Map<String, String> props = config().with("max.record.bytes", 8 * MIB).toMap();
        int limit = new io.streamfit.app.config.StreamfitConfig(props).outputMaxMessageBytes();
        // An input value of max.record.bytes with a key and headers of up to a megabyte fits as a dead letter.
        assertThat(limit).isEqualTo(9 * MIB);
        Map<String, String> classifier = TestConfigs.classifier(M, 1_000_000).with("max.record.bytes", 1024).toMap();
        assertThat(new io.streamfit.app.config.StreamfitConfig(classifier).outputMaxMessageBytes())
                .as("a million classes: 32 bytes each in an object prediction").isEqualTo(32_000_000 + MIB);
        assertThat(new io.streamfit.app.config.StreamfitConfig(config().with("max.record.bytes", 200 * MIB).toMap())
                .outputMaxMessageBytes()).as("never more than the producer sends").isEqualTo(32 * MIB);
    }
}
