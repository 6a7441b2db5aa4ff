package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

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
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away for 30 s and comes back (same port, same data): the app resumes by itself,
 * and every timestep produced before and after is predicted exactly once.
 */
@Slow
class BrokerOutageIT {

    private static final int M = 6;

    @TempDir
    Path dir;

    @RegisterExtension
    static final InJvmKafka broker = InJvmKafka.restartable();

    @Test
    void theAppRidesOutA30SecondBrokerOutage() throws Exception {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("outage")
                .stateDir(dir.resolve("state")).partitions(2).with("model.hidden", 8).with("batch.timesteps", 4)
                .with("batch.max.wait.ms", 100).toConfig();
        SyntheticStream stream = new SyntheticStream(4, M, 0.2, 9, 1);
        Set<String> expected = new HashSet<>();
        StreamfitApp app = new StreamfitApp(config, metrics);
        try {
            app.start();
            produce(broker.bootstrapServers(), stream, 2_000, expected);
            await().atMost(Duration.ofMinutes(2)).until(() -> metrics.recordsTotal() >= 1_000);

            broker.stop();
            Thread.sleep(30_000);
            assertThat(app.fatalError()).as("the app survives the outage").isNull();
            broker.restart();

            produce(broker.bootstrapServers(), stream, 2_000, expected);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> metrics.recordsTotal() >= 4_000 || app.fatalError() != null);
            assertThat(app.fatalError()).isNull();
            assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
            app.close();

            var de = StreamfitSerdes.sumPrediction().deserializer();
            Set<String> seen = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), "sum-predictions")) {
                SumPrediction s = de.deserialize("t", r.value());
                assertThat(seen.add(s.getSeries() + "@" + s.getTimestep())).as("one prediction of %s@%d",
                        s.getSeries(), s.getTimestep()).isTrue();
            }
            assertThat(seen).isEqualTo(expected);
        } finally {
            app.close();
        }
    }

    private static void produce(String bootstrap, SyntheticStream stream, int n, Set<String> expected) {
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", bootstrap,
                "acks", "all", "linger.ms", 10), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                Timestep ts = stream.next();
                producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
                expected.add(ts.series() + "@" + ts.timestep());
            }
        }
    }
}
