package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.AnomalyScore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.kind=seq-autoencoder} end to end against a real (in-JVM KRaft) broker, on the
 * stream of the model module's {@code SequenceExperiments anomaly}: 8 objects, each a noisy sine
 * x_t = sin(2 pi t / P + phase) + N(0, 0.1^2), one feature, windows of W = 16 (stride 1), an
 * LSTM of 32 units with differencing, Adam 1e-3, the threshold p99 of the last 1000 scores after
 * 100. At timestep 1500 object o0's level rises by 1 for good: a window holding the shift must be
 * flagged within W timesteps, and before it at most 1.5% of the windows scored against a finite
 * threshold may be flagged. The app is stopped at timestep 800 and a new instance with empty local
 * state continues: windows, model and threshold come back from the changelogs.
 */
@Slow
class SequenceAnomalyIT {

    private static final int OBJECTS = 8;
    private static final int W = 16;
    private static final int SHIFT_AT = 1500;
    private static final int TIMESTEPS = SHIFT_AT + 50;
    private static final int RESTART_AT = 800;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitConfig config(String stateDir) {
        return TestConfigs.sequence("seq-autoencoder", 1, W).kafka(broker.bootstrapServers())
                .app("sequence-anomaly-it").stateDir(dir.resolve(stateDir)).partitions(2).with("http.port", 0)
                .with("model.hidden", 32).with("model.lstm.difference", true).with("optimizer", "adam")
                .with("optimizer.learning.rate", 0.001).toConfig();
    }

    /** The experiment's stream: the same seed, periods, phases and noise, object by object. */
    private static List<Timestep> stream() {
        Random random = new Random(99);
        double[] period = new double[OBJECTS];
        double[] phase = new double[OBJECTS];
        for (int i = 0; i < OBJECTS; i++) {
            period[i] = 20 + 20 * random.nextDouble();
            phase[i] = 2 * Math.PI * random.nextDouble();
        }
        List<Timestep> out = new ArrayList<>(TIMESTEPS);
        for (int t = 0; t < TIMESTEPS; t++) {
            List<Timestep.ObjectInput> objects = new ArrayList<>(OBJECTS);
            for (int i = 0; i < OBJECTS; i++) {
                float x = (float) (Math.sin(2 * Math.PI * t / period[i] + phase[i]) + 0.1 * random.nextGaussian()
                        + (i == 0 && t >= SHIFT_AT ? 1.0 : 0));
                objects.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(new float[] {x}), null, null));
            }
            out.add(new Timestep("plant", t, objects, null));
        }
        return out;
    }

    @Test
    void flagsALevelShiftWithinOneWindowAndFewCleanWindows() throws Exception {
        List<Timestep> stream = stream();
        // The first instance sees the first RESTART_AT timesteps; a second one, with its local
        // state gone, gets the model, the threshold and every window back from the changelogs.
        run(stream.subList(0, RESTART_AT), "state-1");
        run(stream.subList(RESTART_AT, TIMESTEPS), "state-2");

        List<AnomalyScore> scores = readAll(OBJECTS * (TIMESTEPS - W + 1));
        int clean = 0;
        int cleanFlagged = 0;
        int warmUp = 0;
        long firstFlag = -1;
        for (AnomalyScore s : scores) {
            assertThat(s.getScore()).isFinite().isNotNegative();
            if (s.getThreshold() == null) {
                warmUp++;
                assertThat(s.getAnomaly()).isFalse();
            } else if (s.getTimestep() < SHIFT_AT) {
                clean++;
                cleanFlagged += s.getAnomaly() ? 1 : 0;
            }
            if (s.getObject().equals("o0") && s.getTimestep() >= SHIFT_AT && s.getAnomaly() && firstFlag < 0) {
                firstFlag = s.getTimestep();
            }
        }
        // Exactly-once across the restart: every object's every window scored once, versions rising by one per record.
        assertThat(scores.stream().map(s -> s.getObject() + "@" + s.getTimestep()).distinct().count())
                .isEqualTo(scores.size());
        assertThat(scores.stream().filter(s -> s.getObject().equals("o0")).mapToLong(AnomalyScore::getModelVersion))
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, TIMESTEPS - W + 1).boxed().toList());
        double rate = cleanFlagged / (double) clean;
        System.out.printf("SequenceAnomalyIT: %d clean windows scored against a threshold, %d flagged (%.2f%%); "
                + "warm-up %d; level shift at %d first flagged at %d%n", clean, cleanFlagged, 100 * rate, warmUp,
                SHIFT_AT, firstFlag);
        assertThat(warmUp).as("scores before the threshold is finite").isEqualTo(100);
        assertThat(clean).isGreaterThan(10_000);
        assertThat(rate).as("flag rate on clean data at p99").isLessThan(0.015);
        assertThat(firstFlag).as("timestep the shifted object is first flagged").isGreaterThanOrEqualTo(SHIFT_AT)
                .isLessThan(SHIFT_AT + W);
    }

    /** Starts an app with local state under {@code stateDir}, feeds it {@code records}, waits for them, stops it. */
    private static void run(List<Timestep> records, String stateDir) throws Exception {
        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app = new StreamfitApp(config(stateDir), metrics);
        app.start();
        try {
            Map<String, Object> props = Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers",
                    broker.bootstrapServers(), "linger.ms", 20, "acks", "all");
            var json = StreamfitSerdes.timestep().serializer();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                    new ByteArraySerializer())) {
                for (Timestep ts : records) {
                    producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
                }
            }
            await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> metrics.recordsTotal() >= records.size());
            assertThat(metrics.deadLetters()).isZero();
        } finally {
            app.close();
        }
    }

    private static List<AnomalyScore> readAll(int expected) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "reader-scores",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed", "enable.auto.commit", "false");
        List<AnomalyScore> out = new ArrayList<>();
        try (KafkaConsumer<String, AnomalyScore> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                StreamfitSerdes.anomalyScore().deserializer())) {
            consumer.subscribe(List.of("anomaly-scores"));
            long idle = 0;
            while (idle < 5 && out.size() < expected) {
                var records = consumer.poll(Duration.ofSeconds(1));
                idle = records.isEmpty() ? idle + 1 : 0;
                for (ConsumerRecord<String, AnomalyScore> r : records) {
                    out.add(r.value());
                }
            }
        }
        assertThat(out).hasSize(expected);
        return out;
    }
}
