package io.streamfit.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.streamfit.devkit.broker.EmbeddedBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The million-instance case of issue 4: N synthetic instances, each one object with a
 * {@code features}-dimensional one-hot input ({@code active} indices set to 1), one of
 * {@code classes} classes (decided by a random linear teacher over the active indices), trained
 * by {@code streamfit backfill} for E epochs from a topic: a classifier with one hidden layer of
 * sigmoid units and sparse input. Each N runs in a fresh child JVM with the same -Xmx, which
 * reports its wall time, instances/s, and memory ({@link BackfillChild}); the table shows whether
 * memory grows with N (it must not: one set of weights, a bounded batch, a bounded shuffle buffer).
 *
 * <p>The broker runs in this JVM, so the child's memory is the backfill's alone.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "streamfit backfill over N one-hot instances: wall time, instances/s, peak RSS and heap.")
public final class BackfillBench implements Callable<Integer> {

    @Option(names = "--instances", split = ",", description = "Instance counts, one child run each (default ${DEFAULT-VALUE}).")
    List<Integer> instances = List.of(100_000, 1_000_000);

    @Option(names = "--features", description = "One-hot dimension m (default ${DEFAULT-VALUE}).")
    int features = 500;

    @Option(names = "--active", description = "Active indices per instance (default ${DEFAULT-VALUE}).")
    int active = 3;

    @Option(names = "--classes", description = "Classes (default ${DEFAULT-VALUE}).")
    int classes = 3;

    @Option(names = "--hidden", description = "Hidden sigmoid units (default ${DEFAULT-VALUE}).")
    int hidden = 64;

    @Option(names = "--epochs", description = "Epochs (default ${DEFAULT-VALUE}).")
    int epochs = 3;

    @Option(names = "--batch", description = "Timesteps (= instances) per update (default ${DEFAULT-VALUE}).")
    int batch = 256;

    @Option(names = "--shuffle-buffer", description = "Backfill shuffle buffer in records (default ${DEFAULT-VALUE}).")
    int shuffleBuffer = 10_000;

    @Option(names = "--xmx", description = "Heap limit of the backfill JVM (default ${DEFAULT-VALUE}).")
    String xmx = "1g";

    @Option(names = "--seed", description = "Data seed (default ${DEFAULT-VALUE}).")
    long seed = 3;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BackfillBench()).execute(args));
    }

    private record Run(int n, String summary, long wallMs, long rssKb, long peakHeap, long liveHeap) {
    }

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("streamfit-backfill-bench");
        List<Run> runs = new ArrayList<>();
        try (EmbeddedBroker broker = EmbeddedBroker.start(0, dir.resolve("broker"), Map.of())) {
            for (int n : instances) {
                String topic = "onehot-" + n;
                long t0 = System.nanoTime();
                produce(broker.bootstrapServers(), topic, n);
                System.err.printf(Locale.ROOT, "produced %,d instances to %s in %.1f s%n", n, topic,
                        (System.nanoTime() - t0) / 1e9);
                Path config = dir.resolve("backfill-" + n + ".properties");
                writeConfig(config, broker.bootstrapServers(), topic, n);
                runs.add(runChild(n, config));
            }
        }
        System.out.printf(Locale.ROOT, "%nbackfill: m=%d one-hot (%d active), %d classes, hidden %d sigmoid, sparse input, "
                + "%d epochs, batch %d, shuffle buffer %d, -Xmx%s, %d cores%n", features, active, classes, hidden,
                epochs, batch, shuffleBuffer, xmx, Runtime.getRuntime().availableProcessors());
        System.out.println("| instances | wall s | instances/s (all epochs) | peak RSS MiB | peak heap MiB | live heap after GC MiB |");
        System.out.println("|---|---|---|---|---|---|");
        for (Run r : runs) {
            System.out.printf(Locale.ROOT, "| %,d | %.1f | %,.0f | %.0f | %.0f | %.1f |%n", r.n, r.wallMs / 1e3,
                    (double) r.n * epochs / (r.wallMs / 1e3), r.rssKb / 1024.0, r.peakHeap / 1048576.0,
                    r.liveHeap / 1048576.0);
        }
        if (runs.size() >= 2) {
            Run a = runs.get(0);
            Run b = runs.get(runs.size() - 1);
            System.out.printf(Locale.ROOT, "peak RSS %,d -> %,d instances: %+.1f%%; peak heap %+.1f%%%n", a.n, b.n,
                    100.0 * (b.rssKb - a.rssKb) / a.rssKb, 100.0 * (b.peakHeap - a.peakHeap) / a.peakHeap);
        }
        for (Run r : runs) {
            System.out.println("--- " + r.n + ": " + r.summary.strip().replace("\n", "\n    "));
        }
        return 0;
    }

    /** One object per record: a one-hot input and the teacher's class. */
    private void produce(String bootstrap, String topic, int n) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        Random rnd = new Random(seed);
        double[][] teacher = new double[features][classes];
        for (double[] row : teacher) {
            for (int c = 0; c < classes; c++) {
                row[c] = rnd.nextGaussian();
            }
        }
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrap, "linger.ms", 20, "batch.size", 262_144,
                "acks", "all", "max.in.flight.requests.per.connection", 1, "compression.type", "lz4");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            StringBuilder sb = new StringBuilder(160);
            int[] idx = new int[active];
            double[] score = new double[classes];
            for (int i = 0; i < n; i++) {
                java.util.Arrays.fill(score, 0);
                for (int a = 0; a < active; a++) {
                    idx[a] = rnd.nextInt(features);
                    for (int c = 0; c < classes; c++) {
                        score[c] += teacher[idx[a]][c];
                    }
                }
                int label = 0;
                for (int c = 1; c < classes; c++) {
                    label = score[c] > score[label] ? c : label;
                }
                sb.setLength(0);
                sb.append("{\"timestep\":").append(i + 1).append(",\"objects\":[{\"id\":\"x\",\"features\":{\"indices\":[");
                for (int a = 0; a < active; a++) {
                    sb.append(a == 0 ? "" : ",").append(idx[a]);
                }
                sb.append("],\"values\":[");
                for (int a = 0; a < active; a++) {
                    sb.append(a == 0 ? "1" : ",1");
                }
                sb.append("]},\"label\":").append(label).append("}]}");
                producer.send(new ProducerRecord<>(topic, "onehot", sb.toString()));
            }
        }
    }

    private void writeConfig(Path file, String bootstrap, String topic, int n) throws Exception {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("bootstrap.servers=" + bootstrap + "\n");
            w.write("application.id=backfill-bench-" + n + "\n");
            w.write("topic.features=" + topic + "\n");
            w.write("topics.partitions=1\n");
            w.write("model.scope=global\n");
            w.write("model.kind=classifier\n");
            w.write("model.classes=" + classes + "\n");
            w.write("model.features=" + features + "\n");
            w.write("model.input=sparse\n");
            w.write("model.hidden=" + hidden + "\n");
            w.write("model.activation=sigmoid\n");
            w.write("loss.weight=1.0\n");
            w.write("optimizer=adam\n");
            w.write("optimizer.learning.rate=0.01\n");
            w.write("batch.timesteps=" + batch + "\n");
        }
    }

    private Run runChild(int n, Path config) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx" + xmx, "-cp", System.getProperty("java.class.path"),
                BackfillChild.class.getName(), "backfill", "--config", config.toString(), "--epochs",
                String.valueOf(epochs), "--from-beginning", "--shuffle-buffer", String.valueOf(shuffleBuffer),
                "--seed", String.valueOf(seed), "--quiet");
        System.err.println("running: backfill of " + n + " instances (" + String.join(" ", cmd.subList(5, cmd.size()))
                + ")");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.err.println("  | " + line);
                out.append(line).append('\n');
            }
        }
        int code = p.waitFor();
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        Matcher m = Pattern.compile("MEMORY exit=(\\d+) peak_rss_kb=(-?\\d+) peak_heap_bytes=(\\d+) live_heap_bytes=(\\d+)")
                .matcher(out);
        if (code != 0 || !m.find() || !"0".equals(m.group(1))) {
            throw new IllegalStateException("backfill of " + n + " instances failed (exit " + code + "):\n" + out);
        }
        String summary = out.substring(0, m.start());
        return new Run(n, summary, wallMs, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)));
    }
}
