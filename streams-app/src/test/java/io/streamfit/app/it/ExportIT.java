package io.streamfit.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.streamfit.app.cli.StreamfitCli;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.testing.InJvmKafka;
import io.streamfit.app.testing.Slow;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
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
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

/**
 * {@code streamfit export} against a real (in-JVM KRaft) broker and a running service: the
 * exported SavedModel, loaded back by TensorFlow, predicts a new record exactly as the service
 * predicts it (the record has no targets, so the service's model does not change).
 */
@Slow
class ExportIT {

    private static final int M = 8;
    private static final int RECORDS = 300;

    @TempDir
    Path dir;

    @RegisterExtension
    static final InJvmKafka broker = new InJvmKafka();

    @Test
    void exportedModelPredictsWhatTheServicePredicts() throws Exception {
        TestConfigs.Builder p = TestConfigs.regressor(M).kafka(broker.bootstrapServers()).app("export-it")
                .stateDir(dir.resolve("state")).partitions(2).with("model.hidden", 16).with("model.scope", "global")
                .with("optimizer", "neuron-mean-momentum").with("optimizer.learning.rate", 0.003)
                .with("optimizer.clip.norm", 10);
        Path config = p.writeTo(dir.resolve("app.properties"));

        StreamfitMetrics metrics = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app = new StreamfitApp(p.toConfig(), metrics);
        app.start();
        try {
            SyntheticStream stream = new SyntheticStream(2, M, 0.2, 5, 1);
            List<Timestep> records = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                records.add(stream.next());
            }
            produce(records);
            await().atMost(Duration.ofMinutes(3)).until(() -> metrics.recordsTotal() >= RECORDS);

            // The last checkpoint becomes visible to read_committed readers with the next commit.
            AtomicInteger attempt = new AtomicInteger();
            AtomicReference<Path> exported = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                Path out = dir.resolve("saved-" + attempt.incrementAndGet());
                StringWriter stdout = new StringWriter();
                StringWriter stderr = new StringWriter();
                int code = StreamfitCli.commandLine().setOut(new PrintWriter(stdout))
                        .setErr(new PrintWriter(stderr))
                        .execute("export", "--config", config.toString(), "--model", "global", "--out",
                                out.toString());
                assertThat(code).as("exit code; stderr: %s", stderr).isZero();
                exported.set(out);
                return stdout.toString().contains("(version " + RECORDS + ")");
            });

            // A record without targets: predicted by the exported model, not trained on.
            Timestep next = stream.next();
            List<Timestep.ObjectInput> unlabeled = new ArrayList<>();
            for (Timestep.ObjectInput o : next.objects()) {
                unlabeled.add(new Timestep.ObjectInput(o.id(), o.features(), null, null));
            }
            Timestep probe = new Timestep(next.series(), next.timestep(), unlabeled, null);
            produce(List.of(probe));
            Map<String, Double> served = servedPredictions(probe);

            float[] x = new float[probe.objects().size() * M];
            for (int i = 0; i < probe.objects().size(); i++) {
                System.arraycopy(((FeatureVector.Dense) probe.objects().get(i).features()).values(), 0, x, i * M, M);
            }
            try (SavedModelBundle bundle = SavedModelBundle.load(exported.get().toString(), "serve");
                 TFloat32 in = TFloat32.tensorOf(Shape.of(probe.objects().size(), M), DataBuffers.of(x, true, false));
                 Result r = bundle.function("serve").call(Map.<String, Tensor>of("features", in))) {
                TFloat32 predictions = (TFloat32) r.get("predictions").orElseThrow();
                for (int i = 0; i < probe.objects().size(); i++) {
                    String id = probe.objects().get(i).id();
                    assertThat((double) predictions.getFloat(i)).as("object %s", id)
                            .isCloseTo(served.get(id), within(1e-6));
                }
            }
        } finally {
            app.close();
        }
    }

    private static void produce( List<Timestep> records) {
        Map<String, Object> props = Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers", broker.bootstrapServers(), "acks", "all");
        var json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (Timestep ts : records) {
                producer.send(new ProducerRecord<>("features", ts.series(), json.serialize("features", ts)));
            }
        }
    }

    /** The service's committed object predictions for {@code probe}, by object id. */
    private static Map<String, Double> servedPredictions(Timestep probe) {
        Map<String, Object> props = Map.of("bootstrap.servers", broker.bootstrapServers(), "group.id", "export-it-reader",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed", "enable.auto.commit", "false");
        Map<String, Double> out = new HashMap<>();
        try (KafkaConsumer<String, ObjectPrediction> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                StreamfitSerdes.objectPrediction().deserializer())) {
            consumer.subscribe(List.of("object-predictions"));
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                for (ConsumerRecord<String, ObjectPrediction> r : consumer.poll(Duration.ofMillis(500))) {
                    ObjectPrediction o = r.value();
                    if (o.getSeries().equals(probe.series()) && o.getTimestep() == probe.timestep()) {
                        assertThat(o.getModelVersion()).isEqualTo(RECORDS);
                        out.put(o.getObject(), o.getPrediction());
                    }
                }
                return out.size() == probe.objects().size();
            });
        }
        return out;
    }
}
