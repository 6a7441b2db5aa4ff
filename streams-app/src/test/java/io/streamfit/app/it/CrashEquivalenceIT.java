package io.streamfit.app.it;

import static io.streamfit.app.it.ChildApp.freePort;
import static io.streamfit.app.it.ChildApp.logTail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsAvro;
import io.streamfit.schemas.LabelsJson;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.TimestepPredictions;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once promise under crashes: the app runs in a child JVM over a fixed stream (20,000
 * timesteps of 8 series; and 12,000 of 400 series with room for about a dozen models in memory,
 * so models leave memory and come back from their checkpoints all the time; and 6,000 timesteps of
 * 8 series whose features carry no targets, the targets coming on the labels topic between 3
 * timesteps early and 20 late, so that the labels store, the models and the offsets of both inputs
 * must commit together; and 6,000 timesteps of 8 series with {@code output.objects=per-timestep},
 * whose committed records must each hold one whole timestep) and is killed with
 * SIGKILL three times (at a random moment, right after a model checkpoint, and with its local
 * state wiped before the restart), restarted each time, and let finish. Its committed outputs and final models must equal those of an uninterrupted run on
 * the same stream: one prediction per (series, timestep, object), the same model versions, the
 * same weights and optimizer slots and the same predictions within 1e-5. TensorFlow runs
 * single-threaded (the default tf.*.op.threads=1) so both runs compute identically.
 */
@Slow
class CrashEquivalenceIT {

    /**
     * A stream and how the app keeps its models: {@code cacheBytes} (models.cache.max.bytes) small
     * enough makes models leave memory between batches all the time, so the crashed run restores
     * them in other orders than the reference did.
     */
    record Variant(String name, int series, int timesteps, long cacheBytes, boolean delayedLabels, String layout) {
        Variant(String name, int series, int timesteps, long cacheBytes, boolean delayedLabels) {
            this(name, series, timesteps, cacheBytes, delayedLabels, "per-object");
        }

        boolean perTimestep() {
            return layout.equals("per-timestep");
        }

        String input() {
            return "eq-" + name + "-features";
        }

        /** The labels topic of a variant with delayed labels. */
        String labels() {
            return "eq-" + name + "-labels";
        }

        String app(String run) {
            return "eq-" + name + "-" + run;
        }

        @Override
        public String toString() {
            return name + ": " + series + " series, " + timesteps + " timesteps, models.cache.max.bytes " + cacheBytes
                    + (delayedLabels ? ", targets on the labels topic" : "") + ", output.objects=" + layout;
        }
    }

    /** Eight series in memory throughout; 400 series with room for about a dozen models in memory. */
    static List<Variant> variants() {
        return List.of(new Variant("few", 8, 20_000, 256L << 20, false),
                new Variant("many", 400, 12_000, 160_000, false));
    }

    /**
     * Every timestep's targets come as one record on the labels topic (every third in Avro), none
     * with the features: 5 to 20 timesteps of its series late, or (about one in seven) 1 to 3
     * early, so that features wait for labels and labels for features. See
     * {@link #writeWithDelayedLabels} for why late means at least 5.
     */
    static final Variant LABELS = new Variant("labels", 8, 6_000, 256L << 20, true);

    /**
     * A champion with a learning rate too low and a challenger with a good one: the challenger is
     * promoted during the run, so kills fall before, around and after promotions.
     */
    static final Variant RACE = new Variant("race", 8, 8_000, 256L << 20, false);

    /**
     * {@code output.objects=per-timestep}: the committed records hold each timestep's objects
     * together, one record per (series, timestep), and flattened they equal the reference's.
     */
    static final Variant PER_TIMESTEP = new Variant("timesteps", 8, 6_000, 256L << 20, false, "per-timestep");

    private static List<Variant> allVariants() {
        List<Variant> all = new ArrayList<>(variants());
        all.add(LABELS);
        all.add(RACE);
        all.add(PER_TIMESTEP);
        return all;
    }

    /**
     * Record time of the first features record of a stream with delayed labels (now: the broker
     * deletes records older than its retention, 7 days), and the time between records.
     */
    private static final long T0 = System.currentTimeMillis();
    private static final long STEP_MS = 10;

    private static final int M = 8;
    /** A divisor of the timesteps per series, so that every micro-batch fills and none waits on the clock. */
    private static final int BATCH = 5;
    /** No progress for this long while alive is a stall (a restart plus restoration takes seconds here). */
    private static final Duration STALL = Duration.ofSeconds(90);
    /** The child logs Kafka Streams' task life cycle, so that a stall shows where its tasks stood. */
    private static final Map<String, String> STREAMS_LOG_ENV = Map.of("STREAMFIT_STREAMS_LOG_LEVEL", "INFO");

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();
    private static final Map<String, List<Timestep>> streams = new HashMap<>();
    /** Per variant with delayed labels: each timestep's label delay in timesteps of its series (negative: early). */
    private static final Map<String, int[]> labelDelays = new HashMap<>();

    @BeforeAll
    static void writeTheStreams() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (Variant v : allVariants()) {
                topics.add(new NewTopic(v.input(), 4, (short) 1));
                if (v.delayedLabels()) {
                    topics.add(new NewTopic(v.labels(), 4, (short) 1));
                }
            }
            admin.createTopics(topics).all().get();
        }
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "linger.ms", 20), new StringSerializer(),
                new ByteArraySerializer())) {
            for (Variant v : allVariants()) {
                SyntheticStream synthetic = new SyntheticStream(v.series(), M, 0.2, 21, 1);
                if (v.delayedLabels()) {
                    streams.put(v.name(), writeWithDelayedLabels(producer, v, synthetic));
                    continue;
                }
                List<Timestep> stream = new ArrayList<>();
                for (int i = 0; i < v.timesteps(); i++) {
                    Timestep ts = synthetic.next();
                    stream.add(ts);
                    producer.send(new ProducerRecord<>(v.input(), ts.series(), json.serialize(v.input(), ts)));
                }
                streams.put(v.name(), stream);
            }
        }
    }

    /**
     * Writes {@code v}'s stream with its targets on the labels topic (see {@link #LABELS}), each
     * record stamped with its place in the stream, so that Kafka Streams takes features and labels
     * in the same order in every run.
     *
     * @return the stream with its targets (what the labels carry)
     */
    private static List<Timestep> writeWithDelayedLabels(KafkaProducer<String, byte[]> producer, Variant v,
            SyntheticStream synthetic) throws Exception {
        var json = StreamfitSerdes.timestep().serializer();
        int series = v.series();
        // A late label is a micro-batch item of its own (its features were one before, predicted
        // only); an early one makes its features' item trainable. Late by 5 or more, a label comes
        // after its features' micro-batch ran, so each series' items are exactly its features
        // records and its late labels; with the early ones per series a multiple of BATCH, they
        // fill every micro-batch and none is left waiting at the end.
        Random random = new Random(31L);
        int[] delay = new int[v.timesteps()];
        int[] early = new int[series];
        for (int g = 0; g < delay.length; g++) {
            boolean soon = g / series >= 3 && random.nextInt(7) == 0;
            delay[g] = soon ? -(1 + random.nextInt(3)) : 5 + random.nextInt(16);
            early[g % series] += soon ? 1 : 0;
        }
        for (int s = 0; s < series; s++) {
            for (int g = 3 * series + s; early[s] % BATCH != 0; g += series) {
                if (delay[g] > 0) {
                    delay[g] = -1;
                    early[s]++;
                }
            }
        }
        labelDelays.put(v.name(), delay);
        List<Timestep> stream = new ArrayList<>();
        List<ProducerRecord<String, byte[]>> labels = new ArrayList<>();
        for (int g = 0; g < v.timesteps(); g++) {
            Timestep ts = synthetic.next();
            stream.add(ts);
            List<Timestep.ObjectInput> bare = new ArrayList<>();
            List<Labels.ObjectLabel> truth = new ArrayList<>();
            for (Timestep.ObjectInput o : ts.objects()) {
                bare.add(new Timestep.ObjectInput(o.id(), o.features(), null, null));
                truth.add(new Labels.ObjectLabel(o.id(), o.target(), null));
            }
            long at = featuresAt(g);
            producer.send(new ProducerRecord<>(v.input(), null, at, ts.series(),
                    json.serialize(v.input(), new Timestep(ts.series(), ts.timestep(), bare, null))));
            Labels l = new Labels(ts.series(), ts.timestep(), truth, null);
            labels.add(new ProducerRecord<>(v.labels(), null, labelAt(g, delay[g], series), ts.series(),
                    g % 3 == 0 ? LabelsAvro.toBytes(l) : LabelsJson.toBytes(l)));
        }
        // In record-time order on each partition, as a labelling system would send them.
        labels.sort(java.util.Comparator.comparingLong(ProducerRecord::timestamp));
        for (ProducerRecord<String, byte[]> r : labels) {
            producer.send(r);
        }
        producer.flush();
        return stream;
    }

    /** Record time of the features of the {@code g}-th timestep of the stream. */
    private static long featuresAt(int g) {
        return T0 + g * STEP_MS;
    }

    /** Record time of its label: its series' features {@code delay} timesteps later (or earlier), and half a step. */
    private static long labelAt(int g, int delay, int series) {
        return featuresAt(g) + (long) delay * series * STEP_MS + STEP_MS / 2;
    }

    /**
     * The updates the model of the {@code s}-th series makes: its items in record time (Kafka
     * Streams takes both inputs of a task in timestamp order), in micro-batches of BATCH, each
     * batch with at least one item to learn from one update.
     */
    private static long expectedUpdates(Variant v, int s) {
        if (!v.delayedLabels()) {
            return v.timesteps() / v.series() / BATCH;
        }
        int[] delay = labelDelays.get(v.name());
        // Time, and 1 for an item to learn from. Two labels of a series may share a time: both learn.
        List<long[]> items = new ArrayList<>();
        for (int g = s; g < delay.length; g += v.series()) {
            items.add(new long[] {featuresAt(g), delay[g] < 0 ? 1 : 0});
            if (delay[g] > 0) {
                items.add(new long[] {labelAt(g, delay[g], v.series()), 1});
            }
        }
        items.sort(java.util.Comparator.comparingLong(item -> item[0]));
        assertThat(items.size() % BATCH).as("items of series %d fill whole micro-batches", s).isZero();
        List<Boolean> inOrder = items.stream().map(item -> item[1] == 1).toList();
        long updates = 0;
        for (int i = 0; i < inOrder.size(); i += BATCH) {
            updates += inOrder.subList(i, i + BATCH).contains(true) ? 1 : 0;
        }
        return updates;
    }

    private static TestConfigs.Builder config(Variant v, String app) {
        TestConfigs.Builder b = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app).partitions(4);
        if (v.delayedLabels()) {
            b.with("topic.labels", v.labels())
                    // Both inputs are there before the app starts: Streams takes them in timestamp order,
                    // waiting for a partition it has not fetched yet rather than running ahead of it.
                    .with("max.task.idle.ms", 2_000);
        }
        if (v == RACE) {
            b.with("challengers", "fast").with("challenger.fast.optimizer.learning.rate", 0.003)
                    .with("challenger.promote.after", 150).with("metrics.window", 100);
        }
        return b
                .with("topic.model.commands", app + "-commands")
                .with("topic.model.events", app + "-events")
                .with("topic.features", v.input())
                .with("models.cache.max.bytes", v.cacheBytes())
                .with("output.objects", v.layout())
                .with("topic.object.predictions", app + "-objects")
                .with("topic.sum.predictions", app + "-sums")
                .with("topic.dead.letters", app + "-dead-letters")
                .with("model.hidden", 16).with("optimizer.learning.rate", v == RACE ? 3e-5 : 0.003)
                .with("batch.timesteps", BATCH)
                // Batches close by size only, so that both runs batch identically.
                .with("batch.max.wait.ms", Duration.ofHours(1).toMillis())
                .with("batch.flush.when.idle", false)
                .with("processing.guarantee", "exactly_once_v2")
                .with("commit.interval.ms", 100)
                // A restarted member takes its predecessor's place at once instead of waiting out the session.
                .with("group.instance.id", app + "-member")
                .with("session.timeout.ms", 10_000);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aRunKilledThreeTimesEndsWithTheOutputsAndModelsOfAnUninterruptedRun(Variant v) throws Exception {
        killThreeTimesAndCompare(v);
    }

    /**
     * Delayed labels: besides all the above, every model learned from exactly the label records
     * of its series, each once: its matched count is the number of label records its series sent,
     * none was unmatched, duplicate or left waiting, and its update count is exactly the number of
     * its micro-batches with a label to learn from ({@link #expectedUpdates}), in both runs.
     */
    @org.junit.jupiter.api.Test
    void aRunWithDelayedLabelsKilledThreeTimesTrainsEachLabelOnceAndEndsAsAnUninterruptedRun() throws Exception {
        killThreeTimesAndCompare(LABELS);
    }

    /**
     * Challengers: a run killed three times while a challenger races (and wins) against the
     * champion emits the same predictions from the same variants and generations, the same
     * promoted events once each, and ends with the same models of every variant.
     */
    @org.junit.jupiter.api.Test
    void aRunWithAChallengerKilledThreeTimesPromotesAndEmitsAsAnUninterruptedRun() throws Exception {
        killThreeTimesAndCompare(RACE);
    }

    /**
     * Per-timestep outputs: besides all the above, every committed object-predictions record holds
     * one whole timestep, none twice, in both runs.
     */
    @org.junit.jupiter.api.Test
    void aRunWithPerTimestepOutputsKilledThreeTimesEndsWithTheOutputsAndModelsOfAnUninterruptedRun()
            throws Exception {
        killThreeTimesAndCompare(PER_TIMESTEP);
    }

    private void killThreeTimesAndCompare(Variant v) throws Exception {
        final int SERIES = v.series();
        final int TIMESTEPS = v.timesteps();
        List<Timestep> stream = streams.get(v.name());
        String crashApp = v.app("crash");
        String refApp = v.app("reference");
        // The uninterrupted reference, in this JVM.
        StreamfitConfig refConfig = config(v, refApp).stateDir(dir.resolve(v.name() + "-reference-state")).with("http.port", 0)
                .toConfig();
        StreamfitMetrics refMetrics = new StreamfitMetrics(new SimpleMeterRegistry());
        long t0 = System.nanoTime();
        try (StreamfitApp reference = new StreamfitApp(refConfig, refMetrics)) {
            reference.start();
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
                    .until(() -> refMetrics.recordsTotal() >= TIMESTEPS
                            && (!v.delayedLabels() || refMetrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED) >= TIMESTEPS));
        }
        phase(t0, "uninterrupted reference run done");

        // The same stream, in a child JVM killed three times.
        Path state = dir.resolve(v.name() + "-crash-state");
        Map<String, String> crashConfig = config(v, crashApp).stateDir(state).toMap();
        Path log = dir.resolve(v.name() + "-crash-app.log");
        Random random = new Random(System.nanoTime());
        long seed = random.nextLong();
        random = new Random(seed);
        int port = freePort();
        List<String> kills = new ArrayList<>();

        ChildApp child = ChildApp.start(crashConfig, dir, log, port, ChildApp.DEFAULT_JVM_OPTIONS, STREAMS_LOG_ENV);
        try {
            // 1: at a random moment.
            long at1 = (long) (TIMESTEPS * (0.10 + 0.15 * random.nextDouble()));
            child = awaitProcessed(v, child, at1, log);
            child.kill();
            kills.add("random moment after " + at1 + " records");
            phase(t0, "kill 1: " + kills.get(kills.size() - 1));

            // 2: right after a checkpoint (the moment a model's version moves on /models).
            child = ChildApp.start(crashConfig, dir, log, port, ChildApp.DEFAULT_JVM_OPTIONS, STREAMS_LOG_ENV);
            long at2 = (long) (TIMESTEPS * (0.35 + 0.15 * random.nextDouble()));
            child = awaitProcessed(v, child, at2, log);
            // A series whose model has batches left: one that has learned all of its input (its task
            // may have run ahead while others restored) never checkpoints again, and waiting for it
            // would let the run finish before the next kills.
            String watched = "series-0";
            long version0 = child.version(watched);
            for (int s = 0; s < SERIES; s++) {
                String key = stream.get(s).series();
                long at = child.version(key);
                if (at >= 0 && at < expectedUpdates(v, s)) {
                    watched = key;
                    version0 = at;
                    break;
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (child.version(watched) == version0 && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            child.kill();
            kills.add("right after checkpoint of " + watched + " past version " + version0);
            phase(t0, "kill 2: " + kills.get(kills.size() - 1));

            // 3: at a random moment, and the local state is lost too: everything comes from the changelogs.
            child = ChildApp.start(crashConfig, dir, log, port, ChildApp.DEFAULT_JVM_OPTIONS, STREAMS_LOG_ENV);
            long at3 = (long) (TIMESTEPS * (0.60 + 0.20 * random.nextDouble()));
            child = awaitProcessed(v, child, at3, log);
            child.kill();
            deleteRecursively(state);
            kills.add("random moment after " + at3 + " records, state dir deleted");
            phase(t0, "kill 3: " + kills.get(kills.size() - 1));

            child = ChildApp.start(crashConfig, dir, log, port, ChildApp.DEFAULT_JVM_OPTIONS, STREAMS_LOG_ENV);
            ChildApp last = child;
            await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> Topics.readCommitted(broker.bootstrapServers(), crashApp + "-sums").size() >= TIMESTEPS
                            && (!v.delayedLabels() || matched(checkpoints(crashApp)) >= TIMESTEPS)
                            || !last.alive());
            assertThat(child.alive()).as("child alive; log %s", log).isTrue();
            phase(t0, "crashed run complete");
            if (v.cacheBytes() < (1 << 20)) {
                assertThat(evictions(child)).as("models that left memory in the last run (%s)", v).isPositive();
            }
            // SIGTERM runs the shutdown hook, which closes the app; the JVM then exits with 128 + 15.
            assertThat(child.terminate()).as("exit code after SIGTERM").isIn(0, 143);
        } finally {
            child.close();
        }
        String childLog = Files.readString(log);
        assertThat(childLog).as("kills (seed %d): %s", seed, kills)
                .contains("resumes a micro-batch of") // at least one kill left a batch half full
                // Kafka Streams wrote the waiting timesteps through the pending store's pre-commit hook.
                .doesNotContain("without calling the pre-commit hook");

        // No input became a dead letter (one would explain an output missing below).
        List<String> deadLetters = Topics.readCommitted(broker.bootstrapServers(), crashApp + "-dead-letters").stream()
                .map(r -> Topics.header(r, "error.reason") + ": " + Topics.header(r, "error.message")).toList();
        assertThat(deadLetters).as("dead letters of the crashed run").isEmpty();

        // Exactly one committed prediction per (series, timestep, object) and per (series, timestep).
        Map<String, ObjectPrediction> crashObjects = objects(v, crashApp + "-objects");
        Map<String, ObjectPrediction> refObjects = objects(v, refApp + "-objects");
        Set<String> expectedObjects = new HashSet<>();
        Set<String> expectedSums = new HashSet<>();
        for (Timestep ts : stream) {
            expectedSums.add(ts.series() + "@" + ts.timestep());
            ts.objects().forEach(o -> expectedObjects.add(ts.series() + "@" + ts.timestep() + "/" + o.id()));
        }
        assertSameKeys("object predictions of the crashed run", crashObjects.keySet(), expectedObjects);
        assertSameKeys("object predictions of the reference run", refObjects.keySet(), expectedObjects);
        Map<String, SumPrediction> crashSums = sums(crashApp + "-sums");
        assertSameKeys("sum predictions of the crashed run", crashSums.keySet(), expectedSums);

        // The same predictions, made by the same model versions.
        for (String key : expectedObjects) {
            ObjectPrediction c = crashObjects.get(key);
            ObjectPrediction r = refObjects.get(key);
            assertThat(c.getModelVersion()).as("version of %s", key).isEqualTo(r.getModelVersion());
            assertThat(c.getVariant()).as("variant of %s", key).isEqualTo(r.getVariant());
            assertThat(c.getGeneration()).as("generation of %s", key).isEqualTo(r.getGeneration());
            assertThat(Math.abs(c.getPrediction() - r.getPrediction())).as("prediction of %s", key)
                    .isLessThanOrEqualTo(1e-5);
        }
        // The same lifecycle events, each once (exactly-once: none repeated, none lost).
        List<String> crashEvents = events(crashApp + "-events");
        List<String> refEvents = events(refApp + "-events");
        assertThat(crashEvents).containsExactlyInAnyOrderElementsOf(refEvents);
        if (v == RACE) {
            assertThat(refEvents).as("promotions in the reference run").isNotEmpty()
                    .allMatch(e -> e.contains(" promoted "));
            assertThat(crashObjects.values()).anyMatch(o -> o.getVariant().toString().equals("fast"));
        }

        // The same final models: versions, weights and optimizer slots.
        Map<String, ModelCheckpoint> crashModels = checkpoints(crashApp);
        Map<String, ModelCheckpoint> refModels = checkpoints(refApp);
        assertThat(crashModels.keySet()).hasSize(v == RACE ? 2 * SERIES : SERIES).isEqualTo(refModels.keySet());
        for (String key : refModels.keySet()) {
            ModelCheckpoint c = crashModels.get(key);
            ModelCheckpoint r = refModels.get(key);
            // A challenger's model (<series> NUL <name>) learns every batch of its series' champion.
            String seriesKey = key.indexOf('\u0000') < 0 ? key : key.substring(0, key.indexOf('\u0000'));
            int s = stream.subList(0, SERIES).stream().map(Timestep::series).toList().indexOf(seriesKey);
            assertThat(r.getModelVersion()).as("updates of %s", key).isEqualTo(expectedUpdates(v, s));
            assertThat(c.getModelVersion()).as("version of %s", key).isEqualTo(r.getModelVersion());
            assertThat(c.getRecords()).isEqualTo(r.getRecords());
            Map<String, float[]> cw = CheckpointWeights.read(bytes(c.getModelState()));
            Map<String, float[]> rw = CheckpointWeights.read(bytes(r.getModelState()));
            assertThat(cw.keySet()).isEqualTo(rw.keySet()).isNotEmpty();
            for (String var : rw.keySet()) {
                float[] a = cw.get(var);
                float[] b = rw.get(var);
                assertThat(a).hasSameSizeAs(b);
                for (int i = 0; i < a.length; i++) {
                    assertThat(Math.abs(a[i] - b[i])).as("%s %s[%d]", key, var, i).isLessThanOrEqualTo(1e-5f);
                }
            }
        }
        if (v.delayedLabels()) {
            for (String key : refModels.keySet()) {
                Map<String, Double> c = crashModels.get(key).getMetrics();
                assertThat(c.get("labels.matched")).as("label records matched by %s", key)
                        .isEqualTo((double) (TIMESTEPS / SERIES))
                        .isEqualTo(refModels.get(key).getMetrics().get("labels.matched"));
                for (String none : List.of("labels.unmatched", "labels.duplicate", "labels.expired", "labels.waiting")) {
                    assertThat(c.get(none)).as("%s of %s", none, key).isZero();
                }
            }
        }
        // No batch is left half done.
        assertThat(Topics.latestByKey(Topics.readCommitted(broker.bootstrapServers(),
                crashApp + "-pending-store-changelog"))).isEmpty();
    }

    private static void phase(long t0, String what) {
        System.out.printf("[CrashEquivalenceIT +%.1fs] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /**
     * Waits until the child has processed {@code records} (per {@code /models}). A child that
     * makes no progress for {@link #STALL} while alive fails the test with a full report first:
     * what the broker holds for the group, the child's health, models and stream threads, and its
     * log (also kept in {@code target/}). Such "stalls" in CI were once {@code /models} losing the
     * models of a task that Streams reopened after it had processed all its input (fixed:
     * {@code Checkpointer.publishStored}); the report tells that apart from a task that stopped.
     */
    private ChildApp awaitProcessed(Variant v, ChildApp child, long records, Path log) throws Exception {
        long[] last = {child.recordsProcessed(), System.nanoTime()};
        try {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
                long n = child.recordsProcessed();
                if (n != last[0]) {
                    last[0] = n;
                    last[1] = System.nanoTime();
                }
                if (System.nanoTime() - last[1] > STALL.toNanos()) {
                    throw new IllegalStateException("stalled at " + n);
                }
                return n >= records || !child.alive();
            });
        } catch (ConditionTimeoutException | IllegalStateException e) {
            String report = "the child app stalled at " + child.recordsProcessed() + " of " + records
                    + " processed records (no progress for " + STALL.toSeconds() + " s, alive: " + child.alive()
                    + ")\n" + diagnostics(v, child, log);
            Path kept = Path.of("target", "CrashEquivalenceIT-stall-" + System.currentTimeMillis() + ".txt");
            Files.writeString(kept, report + "\nfull log:\n" + Files.readString(log));
            throw new AssertionError(report, e);
        }
        assertThat(child.alive()).as("child app alive; the end of its log:%n%s", logTail(log)).isTrue();
        return child;
    }

    /** What tells a stuck task from a slow one: the group's committed offsets against the input's ends, the child's view, its stream threads. */
    private static String diagnostics(Variant v, ChildApp child, Path log) {
        StringBuilder out = new StringBuilder();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            var committed = admin.listConsumerGroupOffsets(v.app("crash")).partitionsToOffsetAndMetadata()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < 4; p++) {
                ends.put(new org.apache.kafka.common.TopicPartition(v.input(), p),
                        org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            var latest = admin.listOffsets(ends).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
            for (var tp : new java.util.TreeMap<String, org.apache.kafka.common.TopicPartition>(
                    ends.keySet().stream().collect(java.util.stream.Collectors.toMap(Object::toString, t -> t))).values()) {
                var c = committed.get(tp);
                out.append("input ").append(tp).append(": committed ").append(c == null ? "none" : c.offset())
                        .append(" of ").append(latest.get(tp).offset()).append('\n');
            }
        } catch (Exception e) {
            out.append("(no group offsets: ").append(e).append(")\n");
        }
        try {
            out.append("/health: ").append(child.get("/health", Duration.ofSeconds(5)).body()).append('\n');
        } catch (java.io.IOException | InterruptedException e) {
            out.append("/health: ").append(e).append('\n');
        }
        out.append("/models: ").append(child.models()).append('\n');
        String threads = threadDump(child);
        out.append("stream threads:\n");
        for (String block : threads.split("\n\n")) {
            if (block.contains("StreamThread") || block.contains("StateUpdater")) {
                out.append(block).append("\n\n");
            }
        }
        out.append("the end of its log:\n").append(logTail(log));
        return out.toString();
    }

    /** Where every thread of a stalled child stands (jcmd of the running JDK), to tell a hang from slowness. */
    private static String threadDump(ChildApp child) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(child.pid()), "Thread.print").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            jcmd.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            return out;
        } catch (java.io.IOException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(no thread dump: interrupted)";
        }
    }
    /** streamfit_model_cache_evictions_total on the child's /metrics. */
    private static double evictions(ChildApp child) throws Exception {
        for (String line : child.get("/metrics", Duration.ofSeconds(10)).body().split("\n")) {
            if (line.startsWith("streamfit_model_cache_evictions_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no streamfit_model_cache_evictions_total on the child's /metrics");
    }

    /** {@code actual} equals {@code expected}; if not, the message names what is missing and what is extra (sorted, 40 of each). */
    private static void assertSameKeys(String what, Set<String> actual, Set<String> expected) {
        if (actual.equals(expected)) {
            return;
        }
        List<String> missing = expected.stream().filter(k -> !actual.contains(k)).sorted().toList();
        List<String> extra = actual.stream().filter(k -> !expected.contains(k)).sorted().toList();
        throw new AssertionError(what + ": " + actual.size() + " keys, expected " + expected.size() + "; "
                + missing.size() + " missing " + missing.subList(0, Math.min(40, missing.size())) + ", "
                + extra.size() + " not expected " + extra.subList(0, Math.min(40, extra.size())));
    }

    /** The object predictions of a topic by (series, timestep, object), per-timestep records taken apart. */
    private static Map<String, ObjectPrediction> objects(Variant v, String topic) {
        if (!v.perTimestep()) {
            return objects(topic);
        }
        Map<String, ObjectPrediction> out = new HashMap<>();
        Set<String> timesteps = new HashSet<>();
        var de = StreamfitSerdes.timestepPredictions().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), topic)) {
            TimestepPredictions t = de.deserialize(topic, r.value());
            assertThat(timesteps.add(t.getSeries() + "@" + t.getTimestep()))
                    .as("second record of %s@%d in %s", t.getSeries(), t.getTimestep(), topic).isTrue();
            for (PredictedObject o : t.getObjects()) {
                String key = t.getSeries() + "@" + t.getTimestep() + "/" + o.getId();
                ObjectPrediction p = new ObjectPrediction(t.getSeries(), t.getTimestep(), o.getId(), o.getPrediction(),
                        o.getTarget(), t.getModelVersion(), t.getVariant(), t.getGeneration(), o.getProbabilities(),
                        o.getPredictedClass());
                assertThat(out.put(key, p)).as("duplicate prediction for %s in %s", key, topic).isNull();
            }
        }
        return out;
    }

    private static Map<String, ObjectPrediction> objects(String topic) {
        Map<String, ObjectPrediction> out = new HashMap<>();
        var de = StreamfitSerdes.objectPrediction().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), topic)) {
            ObjectPrediction p = de.deserialize(topic, r.value());
            String key = p.getSeries() + "@" + p.getTimestep() + "/" + p.getObject();
            assertThat(out.put(key, p)).as("duplicate prediction for %s in %s", key, topic).isNull();
        }
        return out;
    }

    private static Map<String, SumPrediction> sums(String topic) {
        Map<String, SumPrediction> out = new HashMap<>();
        var de = StreamfitSerdes.sumPrediction().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), topic)) {
            SumPrediction p = de.deserialize(topic, r.value());
            String key = p.getSeries() + "@" + p.getTimestep();
            assertThat(out.put(key, p)).as("duplicate sum prediction for %s in %s", key, topic).isNull();
        }
        return out;
    }

    /** Label records matched by all the models. */
    private static long matched(Map<String, ModelCheckpoint> models) {
        return models.values().stream().mapToLong(m -> m.getMetrics().getOrDefault("labels.matched", 0.0).longValue())
                .sum();
    }

    /**
     * The events of a model-events topic, read committed, as what identifies them (their metrics
     * are left out: they are sums of predictions, which the comparison allows to differ by 1e-5).
     */
    private static List<String> events(String topic) {
        List<String> out = new ArrayList<>();
        var de = StreamfitSerdes.modelEvent().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), topic)) {
            var e = de.deserialize(topic, r.value());
            out.add(e.getModel() + " " + e.getEvent() + " " + e.getChallenger() + " " + e.getReason() + " at "
                    + e.getAtTimestep() + " generation " + e.getGeneration() + " " + e.getFromVersion() + "->"
                    + e.getToVersion());
        }
        return out;
    }

    private static Map<String, ModelCheckpoint> checkpoints(String app) {
        String topic = app + "-model-store-changelog";
        Map<String, ModelCheckpoint> out = new HashMap<>();
        var de = StreamfitSerdes.modelCheckpoint().deserializer();
        Topics.latestByKey(Topics.readCommitted(broker.bootstrapServers(), topic))
                .forEach((k, v) -> out.put(k, de.deserialize(topic, v)));
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
    private static void deleteRecursively(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
