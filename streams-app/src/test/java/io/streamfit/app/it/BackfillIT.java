package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.backfill.ShuffleBuffer;
import io.streamfit.app.cli.StreamfitCli;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.kind.BatchAssembler;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsJson;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code streamfit backfill} against a real (in-JVM KRaft) broker, real TensorFlow and the real
 * service: the backfilled checkpoint is exactly the model trained in-process on the same history
 * in the same order, the application's offsets move to the end of the history, and
 * {@code streamfit run} then continues from the trained model with the new records only; a
 * backfill while the service runs is refused; labels that live in the labels topic, late, train as
 * their targets would have, and {@code run} does not read them again.
 */
@Slow
class BackfillIT {

    private static final int M = 8;
    private static final double SIGMA = 0.2;
    private static final int SERIES = 4;
    private static final int HISTORY = 2_000;
    private static final int NEW = 200;
    private static final int EPOCHS = 3;
    private static final int SHUFFLE = 256;
    private static final long SEED = 7;
    private static final int BATCH = 4;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private record Cli(int code, String out, String err) {
    }

    private static Cli backfill(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("backfill"));
        all.addAll(List.of(args));
        int code = StreamfitCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(all.toArray(String[]::new));
        return new Cli(code, out.toString(), err.toString());
    }

    private static TestConfigs.Builder props(String appId, String prefix, int partitions, String scope, Path state) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(appId).stateDir(state)
                .partitions(partitions).topicPrefix(prefix).with("model.hidden", 16).with("model.scope", scope)
                .with("optimizer.learning.rate", 0.003).with("http.port", 0);
    }

    private static void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static List<Timestep> produce(String topic, SyntheticStream stream, int n) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
                "linger.ms", 20, "max.in.flight.requests.per.connection", 1);
        var json = StreamfitSerdes.timestep().serializer();
        List<Timestep> sent = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                Timestep ts = stream.next();
                sent.add(ts);
                producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
            }
        }
        return sent;
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(),
                "isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            return c.endOffsets(tps, Duration.ofSeconds(30));
        }
    }

    private static Map<TopicPartition, Long> committed(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS)
                    .forEach((tp, om) -> out.put(tp, om.offset()));
            return out;
        }
    }

    private static byte[] state(ModelCheckpoint cp) {
        ByteBuffer b = cp.getModelState().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /**
     * The latest checkpoint per model key in the changelog, with the partition it is in, once there
     * are {@code keys} of them: the backfill's transaction may have returned before the broker wrote
     * its commit markers, and until then a read_committed reader ends before its records.
     */
    private static Map<String, ConsumerRecord<byte[], byte[]>> checkpoints(String appId, int keys) {
        try {
            return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> checkpoints(appId), read -> read.size() >= keys);
        } catch (ConditionTimeoutException e) {
            return checkpoints(appId); // the caller's assertions say what is missing
        }
    }

    /** The latest checkpoint per model key in the changelog, with the partition it is in. */
    private static Map<String, ConsumerRecord<byte[], byte[]>> checkpoints(String appId) {
        Map<String, ConsumerRecord<byte[], byte[]>> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                appId + "-model-store-changelog")) {
            out.put(new String(r.key(), StandardCharsets.UTF_8), r);
        }
        return out;
    }

    private static ModelCheckpoint decode(ConsumerRecord<byte[], byte[]> r) {
        return StreamfitSerdes.modelCheckpoint().deserializer().deserialize(r.topic(), r.value());
    }

    /**
     * The history in the order the backfill documents: each partition in offset order, merged by
     * smallest timestamp, ties to the lower partition. Written here independently of the engine.
     */
    private static List<Timestep> historyInMergedOrder(String topic) {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), topic)) {
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
        }
        byPartition.values().forEach(l -> l.sort(Comparator.comparingLong(ConsumerRecord::offset)));
        PriorityQueue<ConsumerRecord<byte[], byte[]>> heads = new PriorityQueue<>(
                Comparator.<ConsumerRecord<byte[], byte[]>>comparingLong(ConsumerRecord::timestamp)
                        .thenComparingInt(ConsumerRecord::partition));
        Map<Integer, Integer> next = new HashMap<>();
        byPartition.forEach((p, l) -> {
            heads.add(l.get(0));
            next.put(p, 1);
        });
        var json = StreamfitSerdes.timestep().deserializer();
        List<Timestep> out = new ArrayList<>();
        while (!heads.isEmpty()) {
            ConsumerRecord<byte[], byte[]> r = heads.poll();
            out.add(json.deserialize(topic, r.value()));
            List<ConsumerRecord<byte[], byte[]>> l = byPartition.get(r.partition());
            int i = next.get(r.partition());
            if (i < l.size()) {
                heads.add(l.get(i));
                next.put(r.partition(), i + 1);
            }
        }
        return out;
    }

    @Test
    void globalModelBackfilledInShuffledEpochsIsWhereRunContinues() throws Exception {
        String app = "backfill-it";
        TestConfigs.Builder p = props(app, "", 4, "global", dir.resolve("state-global"));
        Path config = p.writeTo(dir.resolve("global.properties"));
        createTopic("features", 4);
        SyntheticStream stream = new SyntheticStream(SERIES, M, SIGMA, 11, 1);
        List<Timestep> history = produce("features", stream, HISTORY);

        Cli run = backfill("--config", config.toString(), "--epochs", String.valueOf(EPOCHS), "--shuffle-buffer",
                String.valueOf(SHUFFLE), "--seed", String.valueOf(SEED), "--batch", String.valueOf(BATCH));
        assertThat(run.code()).as("exit code; stderr: %s", run.err()).isZero();
        System.out.print("BackfillIT: the summary of `streamfit backfill` (global scope):\n" + run.out());
        long steps = EPOCHS * (long) Math.ceil(HISTORY / (double) BATCH);
        assertThat(run.out()).contains("model 'global' (partition 0): version 0 -> " + steps + ", 2,000 records")
                .contains("skipped records: none");
        // Not a terminal: a progress line at the end of every epoch.
        assertThat(run.err()).contains("epoch 1/3 [####################] 2,000/2,000", "epoch 3/3 [####################]");

        // (a) The checkpoint is the model trained in-process on the same order and batches.
        Map<String, ConsumerRecord<byte[], byte[]>> cps = checkpoints(app, 1);
        assertThat(cps).containsOnlyKeys("global");
        assertThat(cps.get("global").partition()).isZero();
        ModelCheckpoint cp = decode(cps.get("global"));
        assertThat(cp.getModelVersion()).isEqualTo(steps);
        assertThat(cp.getRecords()).isEqualTo(HISTORY);
        assertThat(cp.getLastTimesteps()).containsEntry("series-0", (long) HISTORY / SERIES);
        ModelSpec spec = p.toConfig().modelSpec();
        List<Timestep> ordered = historyInMergedOrder("features");
        assertThat(ordered).containsExactlyInAnyOrderElementsOf(history);
        try (OnlineModel ref = Models.create(spec)) {
            ObjectBatch batch = new ObjectBatch(M);
            for (int epoch = 1; epoch <= EPOCHS; epoch++) {
                ShuffleBuffer<Timestep> shuffle = new ShuffleBuffer<>(SHUFFLE, SEED + epoch);
                List<Timestep> epochOrder = new ArrayList<>();
                ordered.forEach(ts -> shuffle.add(ts, epochOrder::add));
                shuffle.drain(epochOrder::add);
                for (int from = 0; from < epochOrder.size(); from += BATCH) {
                    batch.clear();
                    epochOrder.subList(from, Math.min(from + BATCH, epochOrder.size()))
                            .forEach(ts -> BatchAssembler.append(batch, ts));
                    ref.step(batch, true);
                }
            }
            assertThat(ref.version()).isEqualTo(steps);
            assertThat(CheckpointWeights.read(state(cp))).as("weights and optimizer slots")
                    .containsExactlyEntriesOf(CheckpointWeights.read(ref.exportState()));
            assertThat(state(cp)).isEqualTo(ref.exportState());
        }

        // (b) The application's committed offsets are the end of the history.
        Map<TopicPartition, Long> end = endOffsets("features");
        assertThat(end.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(HISTORY);
        assertThat(committed(app)).containsAllEntriesOf(end);

        // (c) The service starts from the trained model and predicts only the new records.
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp service = new StreamfitApp(p.toConfig(), metrics);
        service.start();
        try {
            List<Timestep> fresh = produce("features", stream, NEW);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> metrics.recordsTotal() >= NEW);
            assertThat(metrics.model("global").version()).isEqualTo(steps + NEW);

            // (d) A second backfill while the service runs is refused.
            Cli refused = backfill("--config", config.toString(), "--epochs", "1", "--quiet");
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("stop `streamfit run` first");

            List<SumPrediction> sums = new ArrayList<>();
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                sums.clear();
                Topics.readCommitted(broker.bootstrapServers(), "sum-predictions").forEach(r ->
                        sums.add(StreamfitSerdes.sumPrediction().deserializer().deserialize(r.topic(), r.value())));
                return sums.size() >= NEW;
            });
            Set<String> freshKeys = new HashSet<>();
            fresh.forEach(ts -> freshKeys.add(ts.series() + "@" + ts.timestep()));
            Set<String> predicted = new HashSet<>();
            sums.forEach(s -> predicted.add(s.getSeries() + "@" + s.getTimestep()));
            assertThat(sums).as("one sum prediction per new record, none for the history").hasSize(NEW);
            assertThat(predicted).isEqualTo(freshKeys);
            assertThat(sums.stream().mapToLong(SumPrediction::getModelVersion).min().orElseThrow())
                    .as("version of the first prediction").isEqualTo(steps);

            double sq = 0;
            int n = 0;
            for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                    "object-predictions")) {
                ObjectPrediction o = StreamfitSerdes.objectPrediction().deserializer().deserialize(r.topic(), r.value());
                double e = o.getPrediction() - o.getTarget();
                sq += e * e;
                n++;
            }
            double served = Math.sqrt(sq / n);
            double untrained = untrainedRmse(spec, fresh);
            System.out.printf("BackfillIT: object RMSE on the %d new records: %.4f served after backfill, %.4f "
                    + "untrained (noise sigma %.2f)%n", NEW, served, untrained, SIGMA);
            assertThat(served).as("object RMSE after backfill, untrained %s", untrained).isLessThan(0.5 * untrained);
        } finally {
            service.close();
        }
    }

    /** RMSE of a new (untrained) model of {@code spec} on the objects of {@code records}. */
    private static double untrainedRmse(ModelSpec spec, List<Timestep> records) {
        double sq = 0;
        int n = 0;
        try (OnlineModel model = Models.create(spec)) {
            ObjectBatch batch = new ObjectBatch(M);
            for (Timestep ts : records) {
                batch.clear();
                BatchAssembler.append(batch, ts);
                StepResult r = model.step(batch, false);
                for (int i = 0; i < ts.objects().size(); i++) {
                    double e = r.objectPredictions()[i] - ts.objects().get(i).target();
                    sq += e * e;
                    n++;
                }
            }
        }
        return Math.sqrt(sq / n);
    }

    @Test
    void seriesModelsGoToThePartitionsOfTheirTasks() throws Exception {
        String app = "backfill-series-it";
        String prefix = "s-";
        int partitions = 3;
        int series = 6;
        int history = 600;
        TestConfigs.Builder p = props(app, prefix, partitions, "series", dir.resolve("state-series"));
        Path config = p.writeTo(dir.resolve("series.properties"));
        createTopic(prefix + "features", partitions);
        SyntheticStream stream = new SyntheticStream(series, M, SIGMA, 5, 1);
        produce(prefix + "features", stream, history / 2);
        Thread.sleep(50);
        java.time.Instant middle = java.time.Instant.now();
        Thread.sleep(50);
        produce(prefix + "features", stream, history / 2);
        // A record the processor would dead-letter (m = 2): skipped and counted, not trained on.
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(prefix + "features", "series-0",
                    "{\"timestep\":999999,\"objects\":[{\"id\":\"a\",\"features\":[1,2],\"target\":1}]}"
                            .getBytes(StandardCharsets.UTF_8))).get();
        }

        // First the second half only, one update per record: 50 per series.
        Cli half = backfill("--config", config.toString(), "--epochs", "1", "--batch", "1", "--quiet", "--from",
                middle.toString());
        assertThat(half.code()).as("exit code; stderr: %s", half.err()).isZero();
        assertThat(half.out()).contains("1 epoch(s) over 301 records; 300 trained and 1 skipped per epoch")
                .contains("version 0 -> 50, 50 records");
        // Then all of it, twice, from those checkpoints: 100 more updates per series.
        Cli run = backfill("--config", config.toString(), "--epochs", "2", "--batch", "2", "--quiet");
        assertThat(run.code()).as("exit code; stderr: %s", run.err()).isZero();
        assertThat(run.err()).doesNotContain("epoch");
        assertThat(run.out()).contains("version 50 -> 150, 100 records")
                .contains("skipped records (per epoch; `run` would have sent these 1 to s-dead-letters): "
                        + "wrong-feature-count 1");

        Map<Integer, Integer> partitionOfSeries = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), prefix + "features")) {
            partitionOfSeries.put(new String(r.key(), StandardCharsets.UTF_8).hashCode(), r.partition());
        }
        Map<String, ConsumerRecord<byte[], byte[]>> cps = checkpoints(app, series);
        assertThat(cps).hasSize(series);
        long perSeries = history / series;
        Map<String, Long> versions = new HashMap<>();
        cps.forEach((key, r) -> {
            assertThat(r.partition()).as("changelog partition of %s", key)
                    .isEqualTo(partitionOfSeries.get(key.hashCode()));
            ModelCheckpoint cp = decode(r);
            // 50 updates from the first backfill, then 100 records in batches of 2, two epochs.
            assertThat(cp.getModelVersion()).as("version of %s", key).isEqualTo(perSeries / 2 + 2 * perSeries / 2);
            assertThat(cp.getRecords()).isEqualTo(perSeries / 2 + perSeries);
            assertThat(cp.getLastTimesteps()).containsExactlyEntriesOf(Map.of(key, perSeries));
            versions.put(key, cp.getModelVersion());
        });
        Map<TopicPartition, Long> end = endOffsets(prefix + "features");
        assertThat(committed(app)).containsAllEntriesOf(end);

        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp service = new StreamfitApp(p.toConfig(), metrics);
        service.start();
        try {
            int more = 60;
            produce(prefix + "features", stream, more);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> metrics.recordsTotal() >= more);
            // Every series model came back from its own partition's checkpoint and learned its 10 new records.
            versions.forEach((key, v) -> assertThat(metrics.model(key).version()).as("version of %s", key)
                    .isEqualTo(v + more / series));
            assertThat(metrics.deadLetters()).as("the bad history record is not read again").isZero();
        } finally {
            service.close();
        }
    }

    @Test
    void labelsFromTheLabelsTopicTrainAsImmediateTargetsWouldAndRunDoesNotTrainThemAgain() throws Exception {
        int partitions = 2;
        int history = 1_200;
        int epochs = 2;
        long step = 1_000;
        // Record time of the history: recent (a broker deletes old segments), before the new records.
        long t0 = System.currentTimeMillis() - 2 * history * step;
        SyntheticStream synthetic = new SyntheticStream(SERIES, M, SIGMA, 23, 1);
        List<Timestep> records = new ArrayList<>();
        for (int i = 0; i < history; i++) {
            records.add(synthetic.next());
        }
        createTopic("now-features", partitions);
        createTopic("late-features", partitions);
        createTopic("late-labels", partitions);
        // Each timestep's targets on the labels topic 5 to 50 timesteps (seconds) after its features.
        Random delays = new Random(3);
        List<ProducerRecord<String, byte[]>> labels = new ArrayList<>();
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "linger.ms", 20, "max.in.flight.requests.per.connection", 1),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < history; i++) {
                Timestep ts = records.get(i);
                long at = t0 + i * step;
                producer.send(new ProducerRecord<>("now-features", null, at, ts.series(), json.serialize("", ts)));
                producer.send(new ProducerRecord<>("late-features", null, at, ts.series(),
                        json.serialize("", withoutTargets(ts))));
                labels.add(new ProducerRecord<>("late-labels", null, at + (5 + delays.nextInt(46)) * step, ts.series(),
                        LabelsJson.toBytes(labelsOf(ts))));
            }
            // In time order, as a labelling service would write them.
            labels.sort(Comparator.comparingLong(ProducerRecord::timestamp));
            for (ProducerRecord<String, byte[]> r : labels) {
                producer.send(r);
            }
            producer.flush();
        }

        Map<String, ModelCheckpoint> trained = new HashMap<>();
        Map<String, TestConfigs.Builder> configs = new HashMap<>();
        for (String name : List.of("now", "late")) {
            TestConfigs.Builder p = props("backfill-labels-" + name, name + "-", partitions, "global",
                    dir.resolve("state-labels-" + name));
            configs.put(name, p);
            Path config = p.writeTo(dir.resolve("labels-" + name + ".properties"));
            Cli run = backfill("--config", config.toString(), "--epochs", String.valueOf(epochs), "--batch", "1",
                    "--quiet");
            assertThat(run.code()).as("exit code of %s; stderr: %s", name, run.err()).isZero();
            System.out.print("BackfillIT: the summary of `streamfit backfill` (" + name + "):\n" + run.out());
            // One update per labelled timestep and epoch, whether its targets came with it or later.
            assertThat(run.out()).contains("model 'global' (partition 0): version 0 -> " + epochs * history
                    + ", 1,200 records");
            if (name.equals("now")) {
                assertThat(run.out()).contains("labels: topic now-labels does not exist; trained on the features alone");
            } else {
                assertThat(run.out()).contains("2 epoch(s) over 2,400 records; 1,200 trained and 0 skipped per epoch")
                        .contains("labels per epoch (late-labels): 1,200 matched, 0 unmatched, 0 duplicate; "
                                + "features without targets: 0 expired\n")
                        .contains("skipped records: none");
            }
            Map<String, ConsumerRecord<byte[], byte[]>> cps = checkpoints("backfill-labels-" + name, 1);
            assertThat(cps).as("checkpoints of %s", name).containsKey("global");
            trained.put(name, decode(cps.get("global")));
            assertThat(trained.get(name).getModelVersion()).isEqualTo((long) epochs * history);
        }
        assertThat(trained.get("now").getRecords()).isEqualTo(history);
        assertThat(trained.get("late").getRecords()).as("labels are not records of their own").isEqualTo(history);

        // The error of the late-labelled model is that of the model with immediate targets.
        ModelSpec spec = configs.get("late").toConfig().modelSpec();
        List<Timestep> fresh = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fresh.add(synthetic.next());
        }
        double now = rmse(spec, trained.get("now"), fresh);
        double late = rmse(spec, trained.get("late"), fresh);
        double untrained = untrainedRmse(spec, fresh);
        System.out.printf("BackfillIT: object RMSE on 200 new records after %d epochs: immediate targets %.4f, "
                + "labels 5-50 timesteps late %.4f, untrained %.4f%n", epochs, now, late, untrained);
        assertThat(late).as("late labels' RMSE against immediate targets' (%.4f)", now).isLessThan(1.2 * now);
        assertThat(late).isLessThan(0.5 * untrained);

        // Both topics' committed offsets are at the end of the history.
        Map<TopicPartition, Long> featuresEnd = endOffsets("late-features");
        Map<TopicPartition, Long> labelsEnd = endOffsets("late-labels");
        assertThat(labelsEnd.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(history);
        Map<TopicPartition, Long> committed = committed("backfill-labels-late");
        assertThat(committed).containsAllEntriesOf(featuresEnd).containsAllEntriesOf(labelsEnd);

        // The service continues after the history: new records train once each, no label is read again.
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        try (StreamfitApp service = new StreamfitApp(configs.get("late").toConfig(), metrics)) {
            service.start();
            produce("late-features", synthetic, NEW);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> metrics.recordsTotal() >= NEW);
            assertThat(metrics.model("global").version()).isEqualTo((long) epochs * history + NEW);
            assertThat(metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED)).isZero();
            assertThat(metrics.labelsTotal(StreamfitMetrics.LABEL_UNMATCHED)).isZero();
            assertThat(metrics.deadLetters()).isZero();
        }
    }

    /** RMSE of the model of checkpoint {@code cp} on the objects of {@code records}. */
    private static double rmse(ModelSpec spec, ModelCheckpoint cp, List<Timestep> records) {
        double sq = 0;
        int n = 0;
        try (OnlineModel model = Models.create(spec)) {
            ModelCheckpoints.restore(cp, spec, model);
            ObjectBatch batch = new ObjectBatch(M);
            for (Timestep ts : records) {
                batch.clear();
                BatchAssembler.append(batch, ts);
                StepResult r = model.step(batch, false);
                for (int i = 0; i < ts.objects().size(); i++) {
                    double e = r.objectPredictions()[i] - ts.objects().get(i).target();
                    sq += e * e;
                    n++;
                }
            }
        }
        return Math.sqrt(sq / n);
    }

    private static Timestep withoutTargets(Timestep ts) {
        List<Timestep.ObjectInput> objects = new ArrayList<>();
        ts.objects().forEach(o -> objects.add(new Timestep.ObjectInput(o.id(), o.features(), null, null)));
        return new Timestep(ts.series(), ts.timestep(), objects, null);
    }

    private static Labels labelsOf(Timestep ts) {
        List<Labels.ObjectLabel> objects = new ArrayList<>();
        ts.objects().forEach(o -> objects.add(new Labels.ObjectLabel(o.id(), o.target(), null)));
        return new Labels(ts.series(), ts.timestep(), objects, ts.sumTarget());
    }
}
