package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsJson;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delayed labels through a real broker: the same synthetic stream twice, once with every target in
 * its features record and once with the targets on the labels topic {@value #DELAY} timesteps late.
 * The late run learns as well (its object error over the last 10% of each series within 1.2 times
 * the immediate run's), and with {@code batch.timesteps=1} every prediction's model version is the
 * number of labels its series had matched before it.
 */
@Slow
class DelayedLabelsIT {

    private static final int SERIES = 4;
    private static final int M = 4;
    private static final int TIMESTEPS = 2_400;
    private static final int DELAY = 50;
    /**
     * Record time of the first timestep: now, not a fixed date. Outputs keep their input's
     * timestamp, and a broker rolls a segment whose first record is older than segment.ms (7 days)
     * and deletes it by retention: an old fixed date made the first outputs vanish.
     */
    private static final long T0 = System.currentTimeMillis();
    /** Record time between two timesteps of the stream; a label comes half a step after its due features. */
    private static final long STEP_MS = 10;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static TestConfigs.Builder config(String name) {
        return TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("labels-" + name)
                .stateDir(dir.resolve(name)).partitions(2).topicPrefix(name + "-")
                .with("model.hidden", 16).with("optimizer.learning.rate", 0.01)
                .with("batch.timesteps", 1).with("processing.guarantee", "exactly_once_v2")
                .with("commit.interval.ms", 100)
                // Both inputs are there before the app starts: let Streams take them in timestamp order.
                .with("max.task.idle.ms", 2_000);
    }

    @Test
    void labelsFiftyTimestepsLateLearnAsWellAsImmediateTargetsAndEachPredictionCountsTheLabelsBeforeIt()
            throws Exception {
        List<Timestep> stream = new ArrayList<>();
        SyntheticStream synthetic = new SyntheticStream(SERIES, M, 0.1, 5, 1);
        for (int i = 0; i < TIMESTEPS; i++) {
            stream.add(synthetic.next());
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("now-features", 2, (short) 1),
                    new NewTopic("late-features", 2, (short) 1), new NewTopic("late-labels", 2, (short) 1))).all().get();
        }
        var json = StreamfitSerdes.timestep().serializer();
        Map<String, List<Timestep>> owed = new HashMap<>();
        int labels = 0;
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        // One request in flight: a first batch to a just-created partition refused for want of a
        // leader must not be overtaken by the next (the broker would then refuse that one for good).
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "acks", "all", "linger.ms", 20, "max.in.flight.requests.per.connection", 1),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < stream.size(); i++) {
                Timestep ts = stream.get(i);
                long at = T0 + i * STEP_MS;
                sent.add(producer.send(new ProducerRecord<>("now-features", null, at, ts.series(),
                        json.serialize("", ts))));
                sent.add(producer.send(new ProducerRecord<>("late-features", null, at, ts.series(),
                        json.serialize("", withoutTargets(ts)))));
                List<Timestep> waiting = owed.computeIfAbsent(ts.series(), k -> new ArrayList<>());
                waiting.add(ts);
                if (waiting.size() > DELAY) {
                    Timestep due = waiting.remove(0);
                    sent.add(producer.send(new ProducerRecord<>("late-labels", null, at + STEP_MS / 2, due.series(),
                            LabelsJson.toBytes(labelsOf(due)))));
                    labels++;
                }
            }
        }

        for (java.util.concurrent.Future<?> f : sent) {
            f.get(); // every input record is on the broker
        }

        Map<String, ObjectPrediction> now = run("now", TIMESTEPS, 0);
        Map<String, ObjectPrediction> late = run("late", TIMESTEPS, labels);

        List<String> missing = new ArrayList<>();
        for (Timestep ts : stream) {
            for (Timestep.ObjectInput o : ts.objects()) {
                String key = ts.series() + "@" + ts.timestep() + "/" + o.id();
                if (!late.containsKey(key) || !now.containsKey(key)) {
                    missing.add(key + (late.containsKey(key) ? "" : " late") + (now.containsKey(key) ? "" : " now"));
                }
            }
        }
        assertThat(missing).as("predictions missing (of %d late, %d immediate)", late.size(), now.size()).isEmpty();
        int perSeries = TIMESTEPS / SERIES;
        double nowError = 0;
        double lateError = 0;
        int n = 0;
        Map<String, Integer> index = new HashMap<>();
        for (Timestep ts : stream) {
            int i = index.merge(ts.series(), 1, Integer::sum) - 1;
            for (Timestep.ObjectInput o : ts.objects()) {
                String key = ts.series() + "@" + ts.timestep() + "/" + o.id();
                ObjectPrediction p = late.get(key);
                assertThat(p).as("late prediction of %s", key).isNotNull();
                // Labels of the series' timesteps up to i - DELAY - 1 came before this record.
                assertThat(p.getModelVersion()).as("version of %s (its series' %d-th timestep)", key, i)
                        .isEqualTo(Math.max(0, i - DELAY));
                if (i >= perSeries - perSeries / 10) {
                    nowError += square(now.get(key).getPrediction() - o.target());
                    lateError += square(p.getPrediction() - o.target());
                    n++;
                }
            }
        }
        assertThat(n).isPositive();
        System.out.printf("[DelayedLabelsIT] object MSE over the last 10%%: immediate %.5f, %d timesteps late %.5f%n",
                nowError / n, DELAY, lateError / n);
        assertThat(lateError / n).as("late labels' error against immediate targets' (%.5f)", nowError / n)
                .isLessThanOrEqualTo(1.2 * nowError / n);
    }

    /** Runs the app named {@code name} until it has predicted every timestep and matched {@code labels}; its object predictions by key. */
    private static Map<String, ObjectPrediction> run(String name, int timesteps, int labels) throws Exception {
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        try (StreamfitApp app = new StreamfitApp(config(name).toConfig(), metrics)) {
            app.start();
            long[] lastPrint = {System.nanoTime()};
            try {
                await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    if (System.nanoTime() - lastPrint[0] > 10_000_000_000L) {
                        lastPrint[0] = System.nanoTime();
                        System.out.printf("[DelayedLabelsIT] %s: %d records, %d labels matched, state %s%n", name,
                                metrics.recordsTotal(), metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED),
                                app.state());
                    }
                    return metrics.recordsTotal() >= timesteps
                            && metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED) >= labels
                            || app.fatalError() != null;
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError(name + ": " + metrics.recordsTotal() + " of " + timesteps + " records, "
                        + metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED) + " of " + labels + " labels matched, "
                        + metrics.deadLetters() + " dead letters, state " + app.state(), e);
            }
            assertThat(app.fatalError()).isNull();
            assertThat(metrics.deadLetters()).as("dead letters of %s", name).isZero();
            assertThat(metrics.labelsTotal(StreamfitMetrics.LABEL_MATCHED)).isEqualTo(labels);
        }
        Map<String, ObjectPrediction> out = new HashMap<>();
        var de = StreamfitSerdes.objectPrediction().deserializer();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(),
                name + "-object-predictions")) {
            ObjectPrediction p = de.deserialize("", r.value());
            assertThat(out.put(p.getSeries() + "@" + p.getTimestep() + "/" + p.getObject(), p)).isNull();
        }
        return out;
    }

    private static double square(double x) {
        return x * x;
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
