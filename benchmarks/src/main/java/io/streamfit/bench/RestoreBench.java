package io.streamfit.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.devkit.broker.EmbeddedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a checkpoint costs and how long a restore takes, for a model of about 1 MB (m=64,
 * hidden 256,256, Adam: weights plus two slots): trains one global model on N records, reports
 * the checkpoint size, the changelog records and bytes written per commit, then starts a second
 * instance with empty local state and reports how long the model took to come back from the
 * changelog ({@code streamfit_restore_seconds}: changelog restore, then the model import).
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Checkpoint bytes per commit and restore time of a ~1 MB model from its changelog.")
public final class RestoreBench implements Callable<Integer> {

    @Option(names = "--records", description = "Records to train on before the restore (default ${DEFAULT-VALUE}).")
    int records = 2_000;

    @Option(names = "--hidden", description = "model.hidden (default ${DEFAULT-VALUE}).")
    String hidden = "256,256";

    @Option(names = "--features", description = "m (default ${DEFAULT-VALUE}).")
    int features = 64;

    @Option(names = "--objects", description = "k (default ${DEFAULT-VALUE}).")
    int objects = 32;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RestoreBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("streamfit-restore-bench");
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, null, Map.of())) {
            Map<String, String> p = new HashMap<>();
            p.put("bootstrap.servers", broker.bootstrapServers());
            p.put("application.id", "restore-bench");
            p.put("model.features", String.valueOf(features));
            p.put("model.hidden", hidden);
            p.put("model.scope", "global");
            p.put("topics.partitions", "1");
            p.put("batch.timesteps", "8");
            p.put("state.dir", dir.resolve("first").toString());
            TimestepRecords gen = new TimestepRecords(objects, features, 4, 1);
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("features", 1, (short) 1)))
                        .all().get();
            }
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers",
                    broker.bootstrapServers(), "linger.ms", 20), new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < records; i++) {
                    producer.send(new ProducerRecord<>("features", gen.nextKey(), gen.nextValue()));
                }
            }

            StreamfitMetrics m1 = new StreamfitMetrics(new SimpleMeterRegistry());
            long checkpointBytes;
            double commits;
            try (StreamfitApp first = new StreamfitApp(new StreamfitConfig(p), m1)) {
                first.start();
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                while (m1.recordsTotal() < records && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                Thread.sleep(1_000); // let the last commit go out
                ModelInfo info = m1.model("global");
                checkpointBytes = info.checkpointBytes();
                commits = streamsMetric(first, "commit-total");
            }
            String changelog = "restore-bench-model-store-changelog";
            long changelogRecords;
            long changelogBytes;
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
                TopicPartition tp = new TopicPartition(changelog, 0);
                ListOffsetsResult.ListOffsetsResultInfo end = admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
                        .all().get().get(tp);
                changelogRecords = end.offset();
                changelogBytes = admin.describeLogDirs(List.of(0)).allDescriptions().get().values().stream()
                        .flatMap(d -> d.values().stream())
                        .mapToLong(d -> d.replicaInfos().entrySet().stream()
                                .filter(e -> e.getKey().topic().equals(changelog))
                                .mapToLong(e -> e.getValue().size()).sum())
                        .sum();
            }

            p.put("state.dir", dir.resolve("second").toString());
            StreamfitMetrics m2 = new StreamfitMetrics(new SimpleMeterRegistry());
            long t0 = System.nanoTime();
            try (StreamfitApp second = new StreamfitApp(new StreamfitConfig(p), m2)) {
                second.start();
                // A record makes the task load the model; the restore timer covers changelog and import.
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("max.in.flight.requests.per.connection", 1, "bootstrap.servers",
                        broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                    producer.send(new ProducerRecord<>("features", gen.nextKey(), gen.nextValue()));
                }
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (m2.model("global") == null && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                double startToModel = (System.nanoTime() - t0) / 1e9;
                Timer restore = m2.registry().find("streamfit.restore").timer();
                System.out.printf(Locale.ROOT, "model: m=%d hidden=%s k=%d, %d records trained%n", features, hidden,
                        objects, records);
                System.out.printf(Locale.ROOT, "checkpoint: %,d bytes (weights + Adam slots)%n", checkpointBytes);
                System.out.printf(Locale.ROOT, "changelog: %,d records, %,d bytes on disk over %.0f commits = "
                        + "%.2f records and %,.0f bytes per commit%n", changelogRecords, changelogBytes, commits,
                        changelogRecords / Math.max(1, commits), changelogBytes / Math.max(1, commits));
                System.out.printf(Locale.ROOT, "restore: %d timed restores, total %.1f ms, max %.1f ms "
                                + "(changelog restore and model import); start to live model %.1f s%n",
                        restore.count(), restore.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS),
                        restore.max(java.util.concurrent.TimeUnit.MILLISECONDS), startToModel);
            }
        }
        return 0;
    }

    private static double streamsMetric(StreamfitApp app, String name) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : app.streams().metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getKey().group().equals("stream-thread-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number n) {
                    total += n.doubleValue();
                }
            }
        }
        return total;
    }
}
