package io.streamfit.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.bench.EndToEnd.Row;
import io.streamfit.bench.EndToEnd.Timing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The latency half of the end-to-end benchmark: streamfit's record-to-prediction latency at a
 * fixed rate. A producer sends fresh records with CreateTime = send time; streamfit keeps that
 * timestamp on its outputs; a read_committed consumer of {@code sum-predictions} takes its clock
 * at arrival minus that timestamp, so that only committed predictions count and every clock is
 * this JVM's. Before the timed phase a burst (at least 4 records per series, about 2 s worth)
 * builds every model and paced sending goes on until the JIT compiler has gone quiet
 * ({@link #settle}); neither is counted, since the first is a one-off cost and the second
 * measures the compiler rather than the service.
 */
final class LatencyRun {

    /** Length of one paced warm-up window: the JIT's share of a core is judged over one window. */
    private static final double WARM_UP_CHUNK_SECONDS = 5;

    private final EndToEndCluster cluster;
    private final EndToEndOptions options;

    LatencyRun(EndToEndCluster cluster, EndToEndOptions options) {
        this.cluster = cluster;
        this.options = options;
    }

    /** A latency run on a topic of its own; a failure is a row, so that the other runs still report. */
    Row measure(String guarantee, int batch, double rate) throws Exception {
        String id = cluster.nextRunId("l");
        String input = id + "-in";
        cluster.createTopic(input, false);
        StreamfitConfig config = cluster.streamfitConfig(id, guarantee, batch, input);
        // Output timestamps must stay the input's CreateTime here, so no LogAppendTime topics.
        cluster.createStreamfitTopics(config, false);
        int total = (int) Math.max(10, Math.round(rate * options.latencySeconds));
        // Warm-up burst: every series' model is built before anything is paced.
        int burst = Math.max(options.series * 4, (int) Math.min(total, Math.round(rate * 2)));
        int chunk = (int) Math.max(1, Math.round(rate * WARM_UP_CHUNK_SECONDS));
        int warmUpCapacity = options.latencyWarmUpSeconds <= 0 ? 0
                : chunk * (int) Math.ceil(Math.max(options.latencyWarmUpSeconds, options.latencyWarmUpMaxSeconds)
                        / WARM_UP_CHUNK_SECONDS);
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        String label = "c latency @" + Math.round(rate) + "/s";
        try (OutputCollector collector = new OutputCollector(cluster.bootstrapServers(),
                config.topics().sumPredictions().name(), burst + warmUpCapacity + total,
                Duration.ofSeconds(options.idleTimeoutSeconds));
             KafkaProducer<String, byte[]> producer = cluster.producer(true)) {
            KafkaStreams streams = new KafkaStreams(StreamfitTopology.build(config, metrics), config.streamsProperties());
            try {
                streams.start();
                TimestepRecords source = cluster.records();
                EndToEndCluster.produce(producer, input, source, burst, 0);
                collector.awaitCount(burst);
                List<Window> warmUp = settle(producer, input, source, chunk, rate);
                int sent = burst + warmUp.stream().mapToInt(Window::records).sum();

                long start = System.currentTimeMillis();
                // Records are in flight here (the warm-up goes straight on), so this may be one batch off.
                long recordsBefore = metrics.recordsTotal();
                long updatesBefore = metrics.updatesTotal();
                Window timed = paced(producer, input, source, total, rate);
                collector.awaitCount(sent + total);
                // How big the micro-batches were at this rate: what the latency buys in updates.
                long updates = metrics.updatesTotal() - updatesBefore;
                double perUpdate = (metrics.recordsTotal() - recordsBefore) / (double) Math.max(1, updates);
                long[] ts = collector.timestamps();
                long[] arrived = collector.arrivals();
                printWarmUp(warmUp, ts, arrived, rate);
                printTimed(timed, start, ts, arrived, rate);
                long[] l = latencies(ts, arrived, start, Long.MAX_VALUE);
                double warmUpSeconds = warmUp.isEmpty() ? 0
                        : (warmUp.get(warmUp.size() - 1).endMs() - warmUp.get(0).startMs()) / 1e3;
                return EndToEndReport.print(new Row(label, guarantee, String.valueOf(batch), l.length, rate,
                        Stats.percentile(l, 0.5), Stats.percentile(l, 0.99), perUpdate,
                        new Timing(warmUpSeconds, timed.jitPercent()), ""));
            } finally {
                streams.close(Duration.ofSeconds(30));
                streams.cleanUp();
            }
        } catch (RuntimeException e) {
            return EndToEndReport.print(new Row(label, guarantee, String.valueOf(batch), total, rate, -1, -1,
                    "FAILED: " + e.getMessage()));
        }
    }

    /** One line per warm-up window: shows whether the latency had settled along with the JIT. */
    private static void printWarmUp(List<Window> warmUp, long[] ts, long[] arrived, double rate) {
        for (Window w : warmUp) {
            long[] l = latencies(ts, arrived, w.startMs(), w.endMs());
            if (l.length == 0) {
                continue; // a window of a record or two can end in the millisecond it was sent
            }
            System.out.printf(Locale.ROOT, "  warm-up %5.1f s at %.0f/s: JIT %3.0f%% of a core, p50 %d ms, p99 %d ms%n",
                    (w.endMs() - warmUp.get(0).startMs()) / 1e3, rate, w.jitPercent(),
                    Stats.percentile(l, 0.5), Stats.percentile(l, 0.99));
        }
    }

    /** The timed phase in windows of about {@link #WARM_UP_CHUNK_SECONDS} each: a stall shows where it was. */
    private static void printTimed(Window timed, long start, long[] ts, long[] arrived, double rate) {
        int windows = (int) Math.max(1, Math.round((timed.endMs() - start) / (WARM_UP_CHUNK_SECONDS * 1000)));
        for (int i = 0; i < windows; i++) {
            long from = start + (timed.endMs() - start) * i / windows;
            long to = i == windows - 1 ? Long.MAX_VALUE : start + (timed.endMs() - start) * (i + 1) / windows;
            long[] w = latencies(ts, arrived, from, to);
            if (w.length == 0) {
                continue;
            }
            System.out.printf(Locale.ROOT, "  timed   %5.1f s at %.0f/s: p50 %d ms, p99 %d ms, max %d ms%n",
                    (Math.min(to, timed.endMs()) - start) / 1e3, rate, Stats.percentile(w, 0.5),
                    Stats.percentile(w, 0.99), Stats.percentile(w, 1.0));
        }
    }

    /**
     * Paced records sent in one stretch of time, and how much of one core the JIT compiler used
     * meanwhile (total compilation time over wall time; above 100% when compiler threads overlap).
     */
    record Window(int records, long startMs, long endMs, double jitPercent) {
    }

    /**
     * Sends at {@code rate} in windows of {@link #WARM_UP_CHUNK_SECONDS} until at least
     * {@code --latency-warm-up-seconds} passed and the JIT used less than
     * {@code --jit-quiet-percent} of a core in the last window, or {@code --latency-warm-up-max-seconds}
     * passed. A JVM compiles a freshly started broker, Streams and model for minutes; on few cores
     * that compiling competes with the service, and a latency measured meanwhile is the JIT's.
     */
    private List<Window> settle(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source,
                                int chunk, double rate) {
        List<Window> windows = new ArrayList<>();
        if (options.latencyWarmUpSeconds <= 0) {
            return windows;
        }
        long t0 = System.nanoTime();
        while (true) {
            Window w = paced(producer, topic, source, chunk, rate);
            windows.add(w);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            if (elapsed >= options.latencyWarmUpMaxSeconds
                    || elapsed >= options.latencyWarmUpSeconds && w.jitPercent() < options.jitQuietPercent) {
                return windows;
            }
        }
    }

    private static Window paced(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source, int n,
                                double rate) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jit0 = jit.getTotalCompilationTime();
        long w0 = System.nanoTime();
        long startMs = System.currentTimeMillis();
        EndToEndCluster.produce(producer, topic, source, n, rate);
        double wallMs = (System.nanoTime() - w0) / 1e6;
        return new Window(n, startMs, System.currentTimeMillis(), 100.0 * (jit.getTotalCompilationTime() - jit0) / wallMs);
    }

    /** Arrival minus timestamp of the outputs whose timestamp is in [fromMs, toMs). */
    private static long[] latencies(long[] timestamps, long[] arrivals, long fromMs, long toMs) {
        List<Long> lat = new ArrayList<>();
        for (int i = 0; i < timestamps.length; i++) {
            if (timestamps[i] >= fromMs && timestamps[i] < toMs) {
                lat.add(arrivals[i] - timestamps[i]);
            }
        }
        return lat.stream().mapToLong(Long::longValue).toArray();
    }
}
