package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changing settings against a real (in-JVM) broker, and {@code streamfit reset}: a changed
 * learning rate starts and goes on from the saved models; a changed hidden size stops
 * {@code streamfit run} at once with one line and exit code 2, before any stream thread; reset is
 * refused while the application runs and without a confirmation, and then removes the internal
 * topics, the group and the local state, so that the next run starts new models from the input's
 * beginning (or, with {@code --keep-offsets}, from where the last run stopped).
 */
@Slow
class ResetIT {

    private static final int M = 3;
    private static final int SERIES = 4;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @TempDir
    Path dir;

    private final List<StreamfitApp> apps = new ArrayList<>();

    @AfterEach
    void closeApps() {
        apps.forEach(StreamfitApp::close);
        ResetCommand.terminal = ResetCommand.DEFAULT_TERMINAL;
    }

    private TestConfigs.Builder config(String app, String prefix) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app(app).topicPrefix(prefix)
                .stateDir(dir.resolve("state")).partitions(2).with("model.hidden", 4).with("http.port", 0)
                .with("batch.timesteps", 1);
    }

    private StreamfitApp start(TestConfigs.Builder config, StreamfitMetrics metrics) throws Exception {
        StreamfitApp app = new StreamfitApp(config.toConfig(), metrics);
        apps.add(app);
        app.start();
        return app;
    }

    private static void produce(String topic, int fromTimestep, int toTimestep) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all");
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int t = fromTimestep; t <= toTimestep; t++) {
                for (int s = 0; s < SERIES; s++) {
                    Timestep ts = new Timestep("s" + s, t, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                            new float[] {t % 3, s, 1}), 0.1 * s + t % 2, null)), null);
                    producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
                }
            }
        }
    }

    private static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    private static Set<String> topics(String prefix) throws Exception {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(prefix))
                    .collect(Collectors.toSet());
        }
    }

    private static boolean groupExists(String group) throws Exception {
        try (Admin admin = admin()) {
            return admin.listGroups().all().get(30, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
                    .anyMatch(group::equals);
        }
    }

    private static long lowestVersion(StreamfitMetrics metrics) {
        return metrics.models().stream().mapToLong(ModelInfo::version).min().orElse(0);
    }

    private static long highestVersion(StreamfitMetrics metrics) {
        return metrics.models().stream().mapToLong(ModelInfo::version).max().orElse(0);
    }

    @Test
    void aChangedLearningRateGoesOnAChangedHiddenSizeStopsAndResetStartsOver() throws Exception {
        String app = "reset-it";
        TestConfigs.Builder hidden4 = config(app, "r1-");
        StreamfitMetrics first = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp running = start(hidden4, first);
        produce("r1-features", 1, 10);
        await().atMost(Duration.ofMinutes(2)).until(() -> first.recordsTotal() >= 10 * SERIES);
        running.close();
        assertThat(topics(app + "-")).contains(app + "-model-store-changelog");

        // Another hidden size: `run` stops at its start, in one line, exit code 2.
        Path reshaped = config(app, "r1-").with("model.hidden", 8).writeTo(dir.resolve("hidden8.properties"));
        CliErrorsTest.Outcome refused = assertTimeoutPreemptively(Duration.ofMinutes(2),
                () -> CliErrorsTest.run("run", "--config", reshaped.toString()));
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.firstErrLine()).isEqualTo("streamfit run: model.hidden=8 does not fit the saved models of "
                + "application.id 'reset-it', trained with model.hidden=4 (a setting that shapes the weights); set it "
                + "back, use a new application.id, or delete the saved models with 'streamfit reset'");
        assertThat(refused.err().lines()).hasSize(1);

        // Another learning rate: the saved models go on learning.
        StreamfitMetrics second = new StreamfitMetrics(Registries.prometheus());
        running = start(config(app, "r1-").with("optimizer.learning.rate", 0.05), second);
        produce("r1-features", 11, 12);
        await().atMost(Duration.ofMinutes(2)).until(() -> second.models().size() == SERIES
                && lowestVersion(second) == 12);
        assertThat(second.recordsTotal()).as("the saved offsets hold: only the new records").isEqualTo(2L * SERIES);

        // While it runs, reset is refused.
        Path reset = config(app, "r1-").with("model.hidden", 8).writeTo(dir.resolve("reset.properties"));
        CliErrorsTest.Outcome busy = CliErrorsTest.run("reset", "--yes", "--config", reset.toString());
        assertThat(busy.code()).isEqualTo(2);
        assertThat(busy.err().lines()).singleElement().asString().startsWith("streamfit reset: application "
                + "'reset-it' is running: its consumer group has ").endsWith(" active member(s); stop every instance, "
                + "then run reset again (nothing was removed)");
        running.close();

        // Without a terminal and without --yes: refused; a wrong answer: refused; nothing removed.
        ResetCommand.terminal = () -> null;
        CliErrorsTest.Outcome unconfirmed = CliErrorsTest.run("reset", "--config", reset.toString());
        assertThat(unconfirmed.code()).isEqualTo(2);
        assertThat(unconfirmed.err().lines()).singleElement().asString().startsWith("streamfit reset: no terminal to "
                + "confirm on; pass --yes to remove the state of application.id 'reset-it' on "
                + broker.bootstrapServers() + ": topics reset-it-").contains("reset-it-model-store-changelog");
        ResetCommand.terminal = () -> prompt -> "reset-its";
        assertThat(CliErrorsTest.run("reset", "--config", reset.toString()).firstErrLine())
                .isEqualTo("streamfit reset: not confirmed (the application id was not typed); nothing was removed");
        assertThat(topics(app + "-")).contains(app + "-model-store-changelog");
        assertThat(groupExists(app)).isTrue();

        // Confirmed: the topics, the group and the local state go.
        List<String> prompts = new ArrayList<>();
        ResetCommand.terminal = () -> prompt -> {
            prompts.add(prompt);
            return app;
        };
        Path stateDir = dir.resolve("state").resolve(app);
        assertThat(stateDir).exists();
        CliErrorsTest.Outcome done = CliErrorsTest.run("reset", "--config", reset.toString());
        assertThat(done.code()).as(done.err()).isZero();
        assertThat(prompts).containsExactly("Type the application id (reset-it) to go on: ");
        assertThat(done.out()).contains("streamfit reset: removed the state of application.id 'reset-it' on ")
                .contains("reset-it-model-store-changelog").contains("consumer group 'reset-it' with its committed "
                        + "offsets of ").contains("this host's state directory " + stateDir)
                .contains("The next run starts new models from the input at auto.offset.reset=earliest");
        assertThat(topics(app + "-")).isEmpty();
        assertThat(groupExists(app)).isFalse();
        assertThat(stateDir).doesNotExist();

        // Nothing left: a second reset says so.
        CliErrorsTest.Outcome again = CliErrorsTest.run("reset", "--yes", "--config", reset.toString());
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("has no state on");

        // The next run, with the new hidden size, starts new models from the input's beginning.
        StreamfitMetrics fresh = new StreamfitMetrics(Registries.prometheus());
        StreamfitConfig eight = config(app, "r1-").with("model.hidden", 8).toConfig();
        start(config(app, "r1-").with("model.hidden", 8), fresh);
        await().atMost(Duration.ofMinutes(2)).until(() -> fresh.recordsTotal() >= 12L * SERIES
                && fresh.models().size() == SERIES && lowestVersion(fresh) == 12);
        assertThat(fresh.models()).extracting(ModelInfo::spec).containsOnly(eight.modelSpec().fingerprint());
    }

    /**
     * The start's look reads the tail of each changelog partition; a checkpoint of another shape
     * deeper down is found where it loads, and the instance stops with the same line (no loop).
     */
    @Test
    void aCheckpointOfAnotherShapeThatTheStartDoesNotSeeStopsTheInstanceWithTheLine() throws Exception {
        String app = "deep-it";
        TestConfigs.Builder eight = config(app, "r3-").with("model.hidden", 8);
        StreamfitMetrics first = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp running = start(eight, first);
        produce("r3-features", 1, 3);
        await().atMost(Duration.ofMinutes(2)).until(() -> first.recordsTotal() >= 3 * SERIES);
        running.close();

        // Series "a" has never been seen; its old-shape checkpoint goes into its task's changelog
        // partition, followed by four checkpoints of the configured shape under other keys.
        String changelog = app + "-model-store-changelog";
        int partition = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                "a".getBytes(java.nio.charset.StandardCharsets.UTF_8))) % 2;
        StreamfitConfig four = config(app, "r3-").toConfig();
        var serializer = StreamfitSerdes.modelCheckpoint().serializer();
        try (io.streamfit.model.OnlineModel old = four.kind().create();
             io.streamfit.model.OnlineModel now = eight.toConfig().kind().create();
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     broker.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(changelog, partition, "a", serializer.serialize(changelog,
                    io.streamfit.app.state.ModelCheckpoints.of("a", four.modelSpec(), old, Map.of(), Map.of(), 0, 0))));
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>(changelog, partition, "x" + i, serializer.serialize(changelog,
                        io.streamfit.app.state.ModelCheckpoints.of("x" + i, eight.toConfig().modelSpec(), now, Map.of(),
                                Map.of(), 0, 0))));
            }
        }

        StreamfitMetrics second = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp restarted = start(eight, second);
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            Timestep ts = new Timestep("a", 1, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                    new float[] {1, 2, 3}), 0.5, null)), null);
            producer.send(new ProducerRecord<>("r3-features", "a", StreamfitSerdes.timestep().serializer()
                    .serialize("r3-features", ts)));
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> restarted.fatalError() != null);
        assertThat(StreamfitApp.modelMismatch(restarted.fatalError()).getMessage()).isEqualTo("model.hidden=8 does "
                + "not fit the saved models of application.id 'deep-it', trained with model.hidden=4 (a setting that "
                + "shapes the weights); set it back, use a new application.id, or delete the saved models with "
                + "'streamfit reset'");
        await().atMost(Duration.ofMinutes(1)).until(() -> restarted.state() == org.apache.kafka.streams.KafkaStreams
                .State.ERROR);
        assertThat(second.recordsTotal()).isZero();
    }

    @Test
    void keepOffsetsEmptiesTheRouteTopicAndTheNextRunGoesOnFromTheInputWhereItStopped() throws Exception {
        String app = "keep-it";
        TestConfigs.Builder global = config(app, "r2-").with("model.scope", "global");
        StreamfitMetrics first = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp running = start(global, first);
        produce("r2-features", 1, 5);
        await().atMost(Duration.ofMinutes(2)).until(() -> first.recordsTotal() >= 5 * SERIES);
        running.close();
        String route = Names.globalRouteTopic(app);
        assertThat(topics(app + "-")).contains(route, app + "-model-store-changelog");

        Path file = config(app, "r2-").with("model.scope", "global").with("model.hidden", 2)
                .writeTo(dir.resolve("keep.properties"));
        CliErrorsTest.Outcome done = CliErrorsTest.run("reset", "--yes", "--keep-offsets", "--config",
                file.toString());
        assertThat(done.code()).as(done.err()).isZero();
        assertThat(done.out()).contains("the records of " + route)
                .contains("(its input offsets stay)")
                .contains("The next run starts new models from the input where the last run stopped.");
        assertThat(topics(app + "-")).containsExactly(route);
        assertThat(groupExists(app)).isTrue();
        try (Admin admin = admin()) {
            TopicPartition tp = new TopicPartition(route, 0);
            long start = admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get(30, TimeUnit.SECONDS)
                    .get(tp).offset();
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS)
                    .get(tp).offset();
            assertThat(start).as("the route topic's records are gone").isEqualTo(end).isGreaterThanOrEqualTo(5L * SERIES);
            assertThat(admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS))
                    .containsKeys(new TopicPartition("r2-features", 0), new TopicPartition("r2-features", 1))
                    .doesNotContainKey(tp);
        }

        // New models (another hidden size starts), and only the new input.
        StreamfitMetrics next = new StreamfitMetrics(Registries.prometheus());
        start(config(app, "r2-").with("model.scope", "global").with("model.hidden", 2), next);
        produce("r2-features", 6, 7);
        await().atMost(Duration.ofMinutes(2)).until(() -> next.recordsTotal() >= 2 * SERIES
                && highestVersion(next) == 2 * SERIES);
        assertThat(next.recordsTotal()).isEqualTo(2L * SERIES);
        assertThat(Files.exists(dir.resolve("state").resolve(app))).isTrue();
    }
}
