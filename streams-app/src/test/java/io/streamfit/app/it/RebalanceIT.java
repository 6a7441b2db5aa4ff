package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Timer;
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
 * Models move with their tasks: two instances share the input (with a standby replica each), one
 * is stopped, later a new one with empty state joins. Every timestep is predicted exactly once,
 * no model's version ever goes back, and the joining instance reports its restore time.
 */
@Slow
class RebalanceIT {

    private static final int M = 6;
    private static final int SERIES = 8;

    @TempDir
    static Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    private static StreamfitApp instance(String name, StreamfitMetrics metrics) throws Exception {
        StreamfitConfig config = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("rebalance")
                .stateDir(dir.resolve(name)).partitions(4).with("model.hidden", 16).with("num.standby.replicas", 1)
                .with("batch.timesteps", 4).with("batch.max.wait.ms", 100).toConfig();
        StreamfitApp app = new StreamfitApp(config, metrics);
        app.start();
        return app;
    }

    @Test
    void modelsMoveWithTheirTasksAndNeverGoBack() throws Exception {
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicInteger produced = new AtomicInteger();
        Set<String> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Thread feeder = new Thread(() -> {
            SyntheticStream stream = new SyntheticStream(SERIES, M, 0.2, 3, 1);
            var json = StreamfitSerdes.timestep().serializer();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers",
                    broker.bootstrapServers(), "acks", "all"), new StringSerializer(), new ByteArraySerializer())) {
                while (producing.get()) {
                    Timestep ts = stream.next();
                    producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
                    expected.add(ts.series() + "@" + ts.timestep());
                    produced.incrementAndGet();
                    Thread.sleep(2);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "feeder");

        StreamfitMetrics ma = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitMetrics mb = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitMetrics mc = new StreamfitMetrics(new SimpleMeterRegistry());
        StreamfitApp a = instance("a", ma);
        StreamfitApp b = instance("b", mb);
        StreamfitApp c = null;
        try {
            await().atMost(Duration.ofMinutes(2)).until(() -> a.state() == KafkaStreams.State.RUNNING
                    && b.state() == KafkaStreams.State.RUNNING);
            feeder.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> ma.recordsTotal() > 300 && mb.recordsTotal() > 300);

            // A leaves: B takes over its tasks (its standby replicas hold the models already).
            a.close();
            long bBefore = mb.recordsTotal();
            // B lists every model from its stores (in memory or not), as GET /models does.
            await().atMost(Duration.ofMinutes(2)).until(() -> b.models().total().count() == SERIES
                    && mb.recordsTotal() > bBefore + 500);

            // C joins with empty state: tasks move to it and their models come from the changelog.
            c = instance("c", mc);
            StreamfitApp joined = c;
            await().atMost(Duration.ofMinutes(3)).until(() -> joined.state() == KafkaStreams.State.RUNNING
                    && mc.recordsTotal() > 300);
            producing.set(false);
            feeder.join();
            int total = produced.get();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> Topics.readCommitted(broker.bootstrapServers(), "sum-predictions").size() >= total);
            Timer restore = mc.registry().find("streamfit.restore").timer();
            assertThat(restore).isNotNull();
            assertThat(restore.count()).as("restores timed on the joining instance").isPositive();
        } finally {
            producing.set(false);
            feeder.join();
            a.close();
            b.close();
            if (c != null) {
                c.close();
            }
        }

        var de = StreamfitSerdes.sumPrediction().deserializer();
        Map<String, TreeMap<Long, Long>> versions = new HashMap<>();
        Set<String> seen = new HashSet<>();
        List<String> duplicates = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readCommitted(broker.bootstrapServers(), "sum-predictions")) {
            SumPrediction p = de.deserialize("t", r.value());
            String key = p.getSeries() + "@" + p.getTimestep();
            if (!seen.add(key)) {
                duplicates.add(key);
            }
            versions.computeIfAbsent(p.getSeries(), s -> new TreeMap<>()).put(p.getTimestep(), p.getModelVersion());
        }
        assertThat(duplicates).isEmpty();
        assertThat(seen).isEqualTo(expected);
        versions.forEach((series, byTimestep) -> {
            long last = -1;
            for (Map.Entry<Long, Long> e : byTimestep.entrySet()) {
                assertThat(e.getValue()).as("%s at timestep %d: version went back", series, e.getKey())
                        .isGreaterThanOrEqualTo(last);
                last = e.getValue();
            }
            assertThat(last).as("%s learned", series).isPositive();
        });
    }
}
