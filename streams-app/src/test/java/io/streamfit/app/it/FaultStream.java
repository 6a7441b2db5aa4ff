package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The input and the checks of the fault-injection ITs: a synthetic stream of {@code series} series
 * with timesteps 1, 2, ... of one app whose topics are named {@code <app>-features} and so on
 * ({@code TestConfigs.topicPrefix(app + "-")}), produced a slice of timesteps at a time, and what a
 * downstream reader sees of the app's outputs.
 */
final class FaultStream {

    private final InJvmKafka broker;
    private final String app;
    /** The stream by series, each in timestep order. */
    private final Map<String, List<Timestep>> bySeries;

    private FaultStream(InJvmKafka broker, String app, Map<String, List<Timestep>> bySeries) {
        this.broker = broker;
        this.app = app;
        this.bySeries = bySeries;
    }

    /** Creates the input topic ({@code partitions}) and a stream of {@code timesteps} per series. */
    static FaultStream create(InJvmKafka broker, String app, int series, int features, int timesteps, int partitions)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(app + "-features", partitions, (short) 1))).all().get();
        }
        SyntheticStream synthetic = new SyntheticStream(series, features, 0.2, 17, 1);
        Map<String, List<Timestep>> bySeries = new LinkedHashMap<>();
        for (int i = 0; i < series * timesteps; i++) {
            Timestep ts = synthetic.next();
            bySeries.computeIfAbsent(ts.series(), s -> new ArrayList<>()).add(ts);
        }
        return new FaultStream(broker, app, bySeries);
    }

    Set<String> series() {
        return bySeries.keySet();
    }

    /** Produces the timesteps [from, to) of every series, in timestep order. */
    void produce(int from, int to) {
        String topic = app + "-features";
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "max.in.flight.requests.per.connection", 1),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                for (List<Timestep> series : bySeries.values()) {
                    Timestep ts = series.get(i);
                    producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
                }
            }
        }
    }

    /** Produces [from, to) {@code step} timesteps per series at a time, {@code pause} apart, so that they spread over commits. */
    void produceInSteps(int from, int to, int step, Duration pause) throws InterruptedException {
        for (int i = from; i < to; i += step) {
            produce(i, Math.min(to, i + step));
            Thread.sleep(pause.toMillis());
        }
    }

    /** Committed sum predictions (one per timestep, unless something is wrong). */
    int committedSums() {
        return Topics.readCommitted(broker.bootstrapServers(), app + "-sum-predictions").size();
    }

    /**
     * Whether nothing was ever written to the dead-letter topic, not even in a transaction that
     * aborted: its end offsets (which count aborted records and transaction markers) are all 0.
     */
    boolean deadLetterTopicUntouched() throws Exception {
        String topic = app + "-dead-letters";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get()
                    .values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum() == 0;
        }
    }

    /**
     * The whole stream was learned exactly once, as a downstream {@code read_committed} reader and
     * the changelogs see it: one prediction per (series, timestep, object) and per (series,
     * timestep), each made by the version the model had after the batches before it (batches of
     * {@code batch} timesteps that close by size, test-then-train), every model at its final
     * version, and no micro-batch left half done.
     */
    void assertLearnedExactlyOnce(int batch) {
        String bootstrap = broker.bootstrapServers();
        Set<String> expectedSums = new HashSet<>();
        Set<String> expectedObjects = new HashSet<>();
        bySeries.values().forEach(series -> series.forEach(ts -> {
            expectedSums.add(ts.series() + "@" + ts.timestep());
            ts.objects().forEach(o -> expectedObjects.add(ts.series() + "@" + ts.timestep() + "/" + o.id()));
        }));

        var sums = StreamfitSerdes.sumPrediction().deserializer();
        Set<String> sumKeys = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(bootstrap, app + "-sum-predictions")) {
            SumPrediction p = sums.deserialize("t", r.value());
            String key = p.getSeries() + "@" + p.getTimestep();
            assertThat(sumKeys.add(key)).as("duplicate sum prediction for %s", key).isTrue();
            assertThat(p.getModelVersion()).as("version of the model that predicted %s", key)
                    .isEqualTo((p.getTimestep() - 1) / batch);
        }
        assertThat(sumKeys).as("timesteps with a committed sum prediction").isEqualTo(expectedSums);

        var objects = StreamfitSerdes.objectPrediction().deserializer();
        Set<String> objectKeys = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(bootstrap, app + "-object-predictions")) {
            ObjectPrediction p = objects.deserialize("t", r.value());
            String key = p.getSeries() + "@" + p.getTimestep() + "/" + p.getObject();
            assertThat(objectKeys.add(key)).as("duplicate prediction for %s", key).isTrue();
        }
        assertThat(objectKeys).as("objects with a committed prediction").isEqualTo(expectedObjects);

        String changelog = app + "-" + Names.MODEL_STORE + "-changelog";
        var checkpoints = StreamfitSerdes.modelCheckpoint().deserializer();
        Map<String, ModelCheckpoint> models = new HashMap<>();
        Topics.latestByKey(Topics.readCommitted(bootstrap, changelog))
                .forEach((k, v) -> models.put(k, checkpoints.deserialize(changelog, v)));
        assertThat(models.keySet()).as("models in the changelog").isEqualTo(bySeries.keySet());
        models.forEach((key, cp) -> {
            int timesteps = bySeries.get(key).size();
            assertThat(cp.getModelVersion()).as("final version of %s", key).isEqualTo(timesteps / batch);
            assertThat(cp.getRecords()).as("records learned by %s", key).isEqualTo(timesteps);
        });
        assertThat(Topics.latestByKey(Topics.readCommitted(bootstrap, app + "-" + Names.PENDING_STORE + "-changelog")))
                .as("pending timesteps left in the pending store").isEmpty();
    }
}
