package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.TimestepAvro;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code value.format=avro-registry} against a real schema registry: Apicurio Registry (its
 * Confluent-compatible API, in-memory), which {@code test-registry/} builds and this test starts as a
 * child JVM on loopback. A real producer writes features in the Confluent wire format with two
 * writer schemas (streamfit's own, and a newer one with an extra field that Avro's schema resolution
 * drops), among a record of an unknown schema id, a JSON record, and one of an incompatible schema;
 * the predictions are read back in the wire format with the schema the registry holds, decoded here
 * with Avro alone (not streamfit's code), and the three bad records are in the dead letters with
 * their reasons and original bytes.
 */
@Slow
class SchemaRegistryIT {

    private static final int M = 5;
    private static final String CCOMPAT = "/apis/ccompat/v7";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static Process registry;
    private static String registryUrl;
    private static Path registryWork;
    private static int registryPort;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRegistry(@TempDir Path work) throws Exception {
        String jar = System.getProperty("streamfit.test.registry.jar");
        assertThat(jar).as("streamfit.test.registry.jar (set by streams-app's pom)").isNotNull();
        assertThat(Path.of(jar)).as("the test registry is built by the test-registry module: "
                + "mvn -o -q package -pl test-registry").exists();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        registryWork = work;
        registryPort = port;
        registryUrl = "http://127.0.0.1:" + port + CCOMPAT;
        double seconds = start();
        System.out.printf("SchemaRegistryIT: Apicurio Registry answered %.1f s after its start%n", seconds);
    }

    /** Starts the registry (in-memory: empty) on {@link #registryPort}; the seconds until it answered. */
    private static double start() throws Exception {
        long t0 = System.nanoTime();
        Path log = registryWork.resolve("registry-" + t0 + ".log");
        registry = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + registryPort, "-Dquarkus.log.level=WARN", "-jar",
                System.getProperty("streamfit.test.registry.jar"))
                .directory(registryWork.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    assertThat(registry.isAlive()).as("registry process: %s", Files.readString(log)).isTrue();
                    return get(registryUrl + "/subjects").statusCode() == 200;
                });
        return (System.nanoTime() - t0) / 1e9;
    }

    @AfterAll
    static void stopRegistry() throws InterruptedException {
        if (registry != null) {
            registry.destroy();
            registry.waitFor();
        }
    }

    @Test
    void featuresInTheWireFormatArePredictedInTheWireFormatAndBadOnesAreDeadLettersWithReasons() throws Exception {
        Schema own = TimestepRecord.getClassSchema();
        Schema newer = withExtraField(own);
        int ownId = register("features-value", own);
        int newerId = register("features-value", newer);
        assertThat(newerId).isNotEqualTo(ownId);
        Schema incompatible = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"TimestepRecord\","
                + "\"namespace\":\"" + own.getNamespace() + "\",\"fields\":[{\"name\":\"timestep\",\"type\":\"string\"}]}");
        int incompatibleId = register("other-value", incompatible);

        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("registry")
                .stateDir(dir.resolve("state")).partitions(2).with("model.hidden", 8)
                .with("value.format", "avro-registry").with("schema.registry.url", registryUrl).toConfig();
        SyntheticStream stream = new SyntheticStream(3, M, 0.2, 5, 1);
        Set<String> expected = new HashSet<>();
        Map<String, byte[]> bad = new HashMap<>();
        StreamfitApp app = new StreamfitApp(config, metrics);
        try {
            app.start();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    broker.bootstrapServers(), "acks", "all", "max.in.flight.requests.per.connection", 1),
                    new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < 300; i++) {
                    Timestep ts = stream.next();
                    byte[] value = i % 2 == 0 ? frame(ownId, body(ts)) : frame(newerId, withNote(body(ts), "n" + i));
                    producer.send(new ProducerRecord<>("features", ts.series(), value));
                    expected.add(ts.series() + "@" + ts.timestep());
                    if (i == 100) {
                        bad.put("unknown-schema", frame(987_654, body(ts)));
                        bad.put("not-registry-format", StreamfitSerdes.timestep().serialize("features", ts));
                        bad.put("schema-mismatch", frame(incompatibleId, new byte[] {4, 'o', 'n', 'e'}));
                        for (byte[] b : bad.values()) {
                            producer.send(new ProducerRecord<>("features", ts.series(), b));
                        }
                    }
                }
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> metrics.recordsTotal() >= 303 || app.fatalError() != null);
            assertThat(app.fatalError()).isNull();
        } finally {
            app.close();
        }

        int sumId = latestId(TopicRegistry.SUM_PREDICTIONS + "-value");
        Schema sumSchema = schemaById(sumId);
        Set<String> predicted = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                TopicRegistry.SUM_PREDICTIONS)) {
            byte[] v = r.value();
            assertThat(v[0]).as("magic byte").isEqualTo((byte) 0);
            assertThat(ByteBuffer.wrap(v, 1, 4).getInt()).as("schema id").isEqualTo(sumId);
            GenericRecord p = new GenericDatumReader<GenericRecord>(sumSchema).read(null,
                    DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null));
            assertThat((Double) p.get("prediction")).isFinite();
            assertThat(predicted.add(p.get("series") + "@" + p.get("timestep"))).as("one prediction each").isTrue();
        }
        assertThat(predicted).isEqualTo(expected);
        int objectId = latestId(TopicRegistry.OBJECT_PREDICTIONS + "-value");
        List<ConsumerRecord<byte[], byte[]>> objects = Topics.readCommitted(broker.bootstrapServers(),
                TopicRegistry.OBJECT_PREDICTIONS);
        assertThat(objects).isNotEmpty().allSatisfy(r -> assertThat(ByteBuffer.wrap(r.value(), 1, 4).getInt())
                .isEqualTo(objectId));

        Map<String, byte[]> deadLetters = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                TopicRegistry.DEAD_LETTERS)) {
            deadLetters.put(Topics.header(r, TopicRegistry.HEADER_ERROR_REASON), r.value());
        }
        assertThat(deadLetters.keySet()).containsExactlyInAnyOrderElementsOf(bad.keySet());
        bad.forEach((reason, value) -> assertThat(deadLetters.get(reason)).as(reason).isEqualTo(value));
    }

    @Test
    void aShortRegistryOutageDelaysTheInputALongOneStopsTheInstanceAndNoRecordIsLost() throws Exception {
        String prefix = "outage-";
        int ownId = register(prefix + "features-value", TimestepRecord.getClassSchema());
        Schema newer = withExtraField(TimestepRecord.getClassSchema());
        int newerId = register(prefix + "features-value", newer);
        Schema third = withExtraField(newer, "source");
        int thirdId = register(prefix + "features-value", third);
        TestConfigs.Builder builder = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("registry-outage")
                .topicPrefix(prefix).stateDir(dir.resolve("state")).partitions(2).with("model.hidden", 8)
                .with("value.format", "avro-registry").with("schema.registry.url", registryUrl)
                .with("schema.registry.retry.backoff.max.ms", 200).with("schema.registry.request.timeout.ms", 1_000)
                .with("schema.registry.unavailable.max.ms", 7_000);
        SyntheticStream stream = new SyntheticStream(3, M, 0.2, 8, 1);
        Set<String> expected = new HashSet<>();
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitApp app = new StreamfitApp(builder.toConfig(), metrics);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "max.in.flight.requests.per.connection", 1),
                new StringSerializer(), new ByteArraySerializer())) {
            app.start();
            send(producer, prefix, stream, 60, ownId, 0, expected);
            await().atMost(Duration.ofMinutes(2)).until(() -> predictions(prefix).size() >= 60
                    || app.fatalError() != null);

            // Frozen (SIGSTOP: requests time out) for 2 s, under schema.registry.unavailable.max.ms: the
            // input waits, then goes on.
            signal("STOP");
            send(producer, prefix, stream, 30, newerId, 1, expected);
            Thread.sleep(2_000);
            signal("CONT");
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> predictions(prefix).size() >= 90 || app.fatalError() != null);
            assertThat(app.fatalError()).as("a short outage only delays").isNull();

            // Frozen for longer: the instance stops, dead-letters nothing and commits nothing of those records.
            signal("STOP");
            send(producer, prefix, stream, 30, thirdId, 2, expected);
            await().atMost(Duration.ofMinutes(1)).until(() -> app.fatalError() != null);
            assertThat(causes(app.fatalError())).contains("cannot be asked for schema id " + thirdId);
        } finally {
            app.close();
            signal("CONT");
        }
        assertThat(predictions(prefix)).hasSize(90);

        StreamfitMetrics metrics2 = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitApp again = new StreamfitApp(builder.toConfig(), metrics2);
        try {
            again.start();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> predictions(prefix).size() >= expected.size() || again.fatalError() != null);
            assertThat(again.fatalError()).isNull();
        } finally {
            again.close();
        }
        assertThat(predictions(prefix)).as("every record predicted once, none lost to the outages")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(Topics.readCommitted(broker.bootstrapServers(), prefix + TopicRegistry.DEAD_LETTERS)).isEmpty();
    }

    @Test
    void backfillReadsTheHistoryThroughTheRegistry() throws Exception {
        String prefix = "backfill-";
        int ownId = register(prefix + "features-value", TimestepRecord.getClassSchema());
        int newerId = register(prefix + "features-value", withExtraField(TimestepRecord.getClassSchema()));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(prefix + "features", 2, (short) 1)))
                    .all().get();
        }
        SyntheticStream stream = new SyntheticStream(3, M, 0.2, 4, 1);
        Set<String> expected = new HashSet<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
            send(producer, prefix, stream, 20, ownId, 0, expected);
            send(producer, prefix, stream, 20, newerId, 1, expected);
            Timestep json = stream.next();
            producer.send(new ProducerRecord<>(prefix + "features", json.series(),
                    StreamfitSerdes.timestep().serialize("features", json)));
        }
        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("registry-backfill")
                .topicPrefix(prefix).with("topic.labels", "").stateDir(dir.resolve("state")).with("model.hidden", 8)
                .with("value.format", "avro-registry").with("schema.registry.url", registryUrl).toConfig();
        io.streamfit.app.backfill.Backfill.Result result = new io.streamfit.app.backfill.Backfill(config,
                new io.streamfit.app.backfill.Backfill.Options(1, null, 0, 1L, 4),
                new io.streamfit.app.backfill.Backfill.Listener() { }).run();
        assertThat(result.trainedPerPass()).as("timesteps trained, both writer schemas").isEqualTo(40);
        assertThat(result.skipped()).isEqualTo(Map.of("not-registry-format", 1L));
    }

    private static void send(KafkaProducer<String, byte[]> producer, String prefix, SyntheticStream stream, int n,
            int id, int extraFields, Set<String> expected) throws IOException {
        for (int i = 0; i < n; i++) {
            Timestep ts = stream.next();
            byte[] body = body(ts);
            for (int f = 0; f < extraFields; f++) {
                body = withNote(body, "extra " + f);
            }
            producer.send(new ProducerRecord<>(prefix + "features", ts.series(), frame(id, body)));
            expected.add(ts.series() + "@" + ts.timestep());
        }
        producer.flush();
    }

    /** Sends the registry process a signal: STOP freezes it (its port still accepts, nothing answers), CONT thaws it. */
    private static void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(registry.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    private static String causes(Throwable t) {
        StringBuilder out = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            out.append(c).append(" / ");
        }
        return out.toString();
    }

    /** The committed sum predictions as series@timestep, each once (a duplicate fails). */
    private static List<String> predictions(String prefix) throws IOException {
        List<String> out = new java.util.ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                prefix + TopicRegistry.SUM_PREDICTIONS)) {
            byte[] v = r.value();
            GenericRecord p = new GenericDatumReader<GenericRecord>(SumPrediction.getClassSchema()).read(null,
                    DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null));
            out.add(p.get("series") + "@" + p.get("timestep"));
        }
        return out;
    }

    /** Streamfit's schema with one more field at the end, as a producer's newer schema might have. */
    private static Schema withExtraField(Schema schema) throws IOException {
        return withExtraField(schema, "note");
    }

    /** {@code schema} with a string field {@code name} at the end, a default so it stays compatible. */
    private static Schema withExtraField(Schema schema, String name) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
        ObjectNode note = JSON.createObjectNode().put("name", name).put("type", "string").put("default", "");
        ((com.fasterxml.jackson.databind.node.ArrayNode) json.get("fields")).add(note);
        return new Schema.Parser().parse(json.toString());
    }

    private static byte[] body(Timestep ts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<TimestepRecord>(TimestepRecord.class).write(TimestepAvro.toRecord(ts), encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** A body of {@link #withExtraField}'s schema: the fields of a record are their encodings in order. */
    private static byte[] withNote(byte[] body, String note) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(body);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        encoder.writeString(note);
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] frame(int id, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(id).put(body).array();
    }

    private static int register(String subject, Schema schema) throws Exception {
        String body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects/" + subject
                + "/versions")).header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("id").asInt();
    }

    private static int latestId(String subject) throws Exception {
        HttpResponse<String> r = get(registryUrl + "/subjects/" + subject + "/versions/latest");
        assertThat(r.statusCode()).as("%s: %s", subject, r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("id").asInt();
    }

    private static Schema schemaById(int id) throws Exception {
        HttpResponse<String> r = get(registryUrl + "/schemas/ids/" + id);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode json = JSON.readTree(r.body());
        return new Schema.Parser().parse(json.get("schema").asText());
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

}
