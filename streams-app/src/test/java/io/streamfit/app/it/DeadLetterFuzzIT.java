package io.streamfit.app.it;

import static io.streamfit.app.it.Topics.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input is harmless: every kind of bad record of the contract reaches {@code dead-letters}
 * with its original bytes and headers naming reason, topic, partition and offset; and a fuzz of
 * 10,000 mutated and random records mixed with good ones neither crashes nor stalls the app,
 * accounts for every record exactly once (a prediction or a dead letter), predicts every good one
 * and leaves every weight finite.
 */
@Slow
class DeadLetterFuzzIT {

    private static final int M = 4;
    private static final int MAX_OBJECTS = 64;
    private static final int MAX_RECORD_BYTES = 64 * 1024;
    private static final String PROBE = "probe-id";

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitConfig config(String app) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app).stateDir(dir.resolve(app))
                .topicPrefix(app + "-").partitions(3).with("model.hidden", 8).with("max.objects", MAX_OBJECTS)
                .with("max.record.bytes", MAX_RECORD_BYTES).with("batch.timesteps", 4).with("batch.max.wait.ms", 50)
                .toConfig();
    }

    private static String good(String series, long t, double... features) {
        StringBuilder f = new StringBuilder();
        for (int i = 0; i < M; i++) {
            f.append(i == 0 ? "" : ",").append(i < features.length ? features[i] : 0.5);
        }
        return "{\"series\":\"" + series + "\",\"timestep\":" + t + ",\"objects\":[{\"id\":\"a\",\"features\":[" + f
                + "],\"target\":1.5},{\"id\":\"b\",\"features\":[" + f + "]}],\"sumTarget\":3.0}";
    }

    private record Probe(String name, String key, byte[] value, String reason) {
    }

    @Test
    void everyKindOfBadRecordIsADeadLetterWithItsOriginalBytesAndWhereItCameFrom() throws Exception {
        String app = "bad-kinds";
        StreamfitConfig cfg = config(app);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        List<Probe> probes = new ArrayList<>();
        probes.add(new Probe("unparsable bytes", "s1", new byte[] {'{', 0x01, (byte) 0xfe, 'x'}, "unparsable"));
        probes.add(new Probe("empty value", "s1", new byte[0], "empty"));
        probes.add(new Probe("wrong JSON type", "s1",
                utf8("{\"timestep\":\"ten\",\"objects\":[{\"id\":\"a\",\"features\":[1,2,3,4]}]}"), "wrong-type"));
        probes.add(new Probe("missing field", "s1", utf8("{\"timestep\":3}"), "missing-field"));
        probes.add(new Probe("wrong m", "s1",
                utf8("{\"timestep\":4,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3]}]}"), "wrong-feature-count"));
        probes.add(new Probe("NaN feature", "s1",
                utf8("{\"timestep\":5,\"objects\":[{\"id\":\"a\",\"features\":[1,NaN,3,4]}]}"), null));
        probes.add(new Probe("Infinity by overflow", "s1",
                utf8("{\"timestep\":6,\"objects\":[{\"id\":\"a\",\"features\":[1,1e300,3,4]}]}"), "non-finite"));
        probes.add(new Probe("sparse index out of range", "s1", utf8("{\"timestep\":7,\"objects\":[{\"id\":\"a\","
                + "\"features\":{\"indices\":[0,9],\"values\":[1,1]}}]}"), "index-out-of-range"));
        probes.add(new Probe("no objects", "s1", utf8("{\"timestep\":8,\"objects\":[]}"), "no-objects"));
        StringBuilder many = new StringBuilder("{\"timestep\":9,\"objects\":[");
        for (int i = 0; i <= MAX_OBJECTS; i++) {
            many.append(i == 0 ? "" : ",").append("{\"id\":\"o").append(i).append("\",\"features\":[1,2,3,4]}");
        }
        probes.add(new Probe("too many objects", "s1", utf8(many.append("]}").toString()), "too-many-objects"));
        probes.add(new Probe("good record", "s2", utf8(good("s2", 100)), null));
        probes.add(new Probe("timestep going backwards", "s2", utf8(good("s2", 99)), "timestep-not-increasing"));
        byte[] big = new byte[MAX_RECORD_BYTES + 1000];
        byte[] g = utf8(good("s3", 1));
        java.util.Arrays.fill(big, (byte) ' ');
        System.arraycopy(g, 0, big, 0, g.length);
        probes.add(new Probe("oversized record", "s3", big, "too-large"));
        Timestep avro = StreamfitSerdes.timestep().deserializer().deserialize("t", utf8(good("s4", 1)));
        byte[] unknownSchema = StreamfitSerdes.timestepAvro().serializer().serialize("t", avro);
        unknownSchema[2] ^= 0x5a; // the schema fingerprint follows the two marker bytes
        probes.add(new Probe("Avro with an unknown schema fingerprint", "s4", unknownSchema, "unknown-schema"));
        probes.add(new Probe("tombstone", "s5", null, "null-value"));

        Map<String, RecordMetadata> sent = new LinkedHashMap<>();
        try (StreamfitApp streamfit = new StreamfitApp(cfg, metrics)) {
            streamfit.start();
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (Probe p : probes) {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add(PROBE, utf8(p.name()));
                    headers.add("trace", utf8("keep-me"));
                    sent.put(p.name(), producer.send(new ProducerRecord<>(app + "-features", null, utf8(p.key()),
                            p.value(), headers)).get());
                }
            }
            long bad = probes.stream().filter(p -> !p.name().equals("good record")).count();
            await().atMost(Duration.ofMinutes(2)).until(() -> metrics.deadLetters() >= bad);
            assertThat(streamfit.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }

        Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), app + "-dead-letters")) {
            dead.put(header(r, PROBE), r);
        }
        for (Probe p : probes) {
            if (p.name().equals("good record")) {
                assertThat(dead).doesNotContainKey(p.name());
                continue;
            }
            ConsumerRecord<byte[], byte[]> r = dead.get(p.name());
            assertThat(r).as("dead letter of '%s'", p.name()).isNotNull();
            assertThat(r.key()).as("key of '%s'", p.name()).isEqualTo(utf8(p.key()));
            assertThat(r.value()).as("bytes of '%s'", p.name()).isEqualTo(p.value());
            assertThat(header(r, "trace")).isEqualTo("keep-me");
            if (p.reason() != null) {
                assertThat(header(r, "error.reason")).as("reason of '%s'", p.name()).isEqualTo(p.reason());
            } else {
                assertThat(header(r, "error.reason")).as("reason of '%s'", p.name()).isNotBlank();
            }
            assertThat(header(r, "error.topic")).isEqualTo(app + "-features");
            RecordMetadata md = sent.get(p.name());
            assertThat(header(r, "error.partition")).isEqualTo(String.valueOf(md.partition()));
            assertThat(header(r, "error.offset")).isEqualTo(String.valueOf(md.offset()));
            assertThat(header(r, "error.message")).isNotBlank();
        }
    }

    @Test
    void tenThousandMutatedAndRandomRecordsAmongGoodOnesAreEachAccountedForOnce() throws Exception {
        String app = "fuzz";
        StreamfitConfig cfg = config(app);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        long seed = new Random().nextLong();
        Random rnd = new Random(seed);
        SyntheticStream synthetic = new SyntheticStream(4, M, 0.2, 5, 1);
        var json = StreamfitSerdes.timestep().serializer();
        var avro = StreamfitSerdes.timestepAvro().serializer();
        int goodCount = 0;
        int fuzzCount = 0;
        Set<String> goodKeys = new HashSet<>();
        List<byte[]> corpus = new ArrayList<>();
        try (StreamfitApp streamfit = new StreamfitApp(cfg, metrics)) {
            streamfit.start();
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                while (fuzzCount < 10_000) {
                    Timestep ts = synthetic.next();
                    byte[] value = rnd.nextInt(4) == 0 ? avro.serialize("t", ts) : json.serialize("t", ts);
                    corpus.add(value);
                    acks.add(producer.send(new ProducerRecord<>(app + "-features", utf8(ts.series()), value)));
                    goodKeys.add(ts.series() + "@" + ts.timestep());
                    goodCount++;
                    for (int i = 0; i < 5; i++) {
                        // Fuzzed records get series of their own, so a mutated timestep cannot push a good
                        // series' timeline forward and make its good records late.
                        byte[] fuzzed = Mutations.mutate(rnd, corpus.get(rnd.nextInt(corpus.size())), M, MAX_OBJECTS);
                        acks.add(producer.send(new ProducerRecord<>(app + "-features",
                                utf8("fuzz-" + rnd.nextInt(8)), fuzzed)));
                        fuzzCount++;
                    }
                }
                producer.flush();
            }
            for (Future<RecordMetadata> a : acks) {
                a.get();
            }
            int total = goodCount + fuzzCount;
            // Stop waiting early only if the app failed; REBALANCING (e.g. still starting) is fine.
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> metrics.recordsTotal() >= total || streamfit.fatalError() != null
                            || streamfit.state() == KafkaStreams.State.ERROR
                            || streamfit.state() == KafkaStreams.State.NOT_RUNNING);
            await().atMost(Duration.ofMinutes(1)).until(() -> streamfit.state() != KafkaStreams.State.REBALANCING);
            assertThat(streamfit.state()).as("fuzz seed %d", seed).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(streamfit.fatalError()).isNull();
            // decode.ahead (the default): the helper thread screened records before the stream thread
            // came to them, and the accounting below holds for those as for the rest.
            assertThat(metrics.recordsScreenedAhead()).as("records screened ahead of %d", total).isPositive();
            System.out.printf("[DeadLetterFuzzIT] %d of %d records screened ahead by the decode helper%n",
                    metrics.recordsScreenedAhead(), total);
        }

        List<ConsumerRecord<byte[], byte[]>> dead = Topics.readCommitted(broker.bootstrapServers(), app + "-dead-letters");
        List<ConsumerRecord<byte[], byte[]>> sums = Topics.readCommitted(broker.bootstrapServers(),
                app + "-sum-predictions");
        assertThat(dead.size() + sums.size()).as("records accounted for (seed %d)", seed)
                .isEqualTo(goodCount + fuzzCount);
        assertThat(dead.size()).as("most mutations break a record").isGreaterThan(fuzzCount / 2);
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            assertThat(header(r, "error.reason")).isNotBlank();
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).as("only fuzzed records are bad").startsWith("fuzz-");
        }
        var de = StreamfitSerdes.sumPrediction().deserializer();
        Set<String> predicted = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : sums) {
            SumPrediction p = de.deserialize("t", r.value());
            predicted.add(p.getSeries() + "@" + p.getTimestep());
            if (!p.getSeries().startsWith("fuzz-")) {
                // A fuzzed record may be valid with features near Float.MAX_VALUE: its prediction may
                // overflow (written as "Infinity"); a good series' model must stay sound.
                assertThat(Double.isFinite(p.getPrediction())).as("finite prediction %s", p).isTrue();
            }
        }
        assertThat(predicted).containsAll(goodKeys);

        var cp = StreamfitSerdes.modelCheckpoint().deserializer();
        Map<String, byte[]> models = Topics.latestByKey(Topics.readCommitted(broker.bootstrapServers(),
                app + "-model-store-changelog"));
        assertThat(models).containsKeys("series-0", "series-1", "series-2", "series-3");
        models.forEach((key, bytes) -> {
            ModelCheckpoint c = cp.deserialize("t", bytes);
            java.nio.ByteBuffer b = c.getModelState().duplicate();
            byte[] state = new byte[b.remaining()];
            b.get(state);
            CheckpointWeights.read(state).forEach((var, values) -> {
                for (float v : values) {
                    assertThat(Float.isFinite(v)).as("%s of model %s is finite (seed %d)", var, key, seed).isTrue();
                }
            });
        });
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                "linger.ms", 10, "max.request.size", 4 * 1024 * 1024), new ByteArraySerializer(),
                new ByteArraySerializer());
    }
    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
