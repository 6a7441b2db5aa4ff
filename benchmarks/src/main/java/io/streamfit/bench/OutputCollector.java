package io.streamfit.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads an output topic from the beginning (read_committed, so under exactly-once only committed
 * outputs count) on its own thread and keeps, per record, its Kafka timestamp and the wall-clock
 * time it arrived here, both in epoch milliseconds. Stops after {@code capacity} records, when
 * closed, or when no record came for {@code idleTimeout}.
 */
final class OutputCollector implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final int capacity;
    private final Duration idleTimeout;
    private final long[] timestamps;
    private final long[] arrivals;
    private final AtomicInteger count = new AtomicInteger();
    private final Thread thread;
    private volatile boolean stop;
    private volatile RuntimeException failure;

    /**
     * @param bootstrap   the cluster
     * @param topic       the topic to read
     * @param capacity    most records kept; {@link #await()} waits for all of them (at least 1)
     * @param idleTimeout longest wait for the next record before giving up
     */
    OutputCollector(String bootstrap, String topic, int capacity, Duration idleTimeout) {
        this.capacity = capacity;
        this.idleTimeout = idleTimeout;
        this.timestamps = new long[capacity];
        this.arrivals = new long[capacity];
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "bench-collector-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        this.thread = new Thread(this::run, "collector-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            long lastProgress = System.nanoTime();
            while (!stop && count.get() < capacity) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                if (!records.isEmpty()) {
                    lastProgress = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    int i = count.get();
                    if (i >= capacity) {
                        break;
                    }
                    timestamps[i] = r.timestamp();
                    arrivals[i] = now;
                    count.set(i + 1);
                }
                if (System.nanoTime() - lastProgress > idleTimeout.toNanos()) {
                    failure = new IllegalStateException("no output for " + idleTimeout.toSeconds() + " s after "
                            + count.get() + " records");
                    return;
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close();
        }
    }

    /**
     * Waits until {@code capacity} records arrived.
     *
     * @throws IllegalStateException when the output stalled or the consumer failed
     */
    void await() throws InterruptedException {
        awaitCount(capacity);
    }

    /**
     * Waits until at least {@code n} records arrived; the collector goes on reading.
     *
     * @throws IllegalStateException when the output stalled or the consumer failed first
     */
    void awaitCount(int n) throws InterruptedException {
        while (count.get() < n && thread.isAlive()) {
            Thread.sleep(5);
        }
        if (count.get() >= n) {
            return;
        }
        if (failure != null) {
            throw new IllegalStateException("reading outputs failed: " + failure.getMessage(), failure);
        }
        throw new IllegalStateException("stopped after " + count.get() + " of " + n + " records");
    }

    /**
     * Waits up to {@code millis} for at least {@code n} records; the collector goes on reading.
     *
     * @return whether they arrived in time
     * @throws IllegalStateException when the output stalled or the consumer failed first
     */
    boolean awaitCountFor(int n, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (count.get() < n && thread.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        if (count.get() >= n) {
            return true;
        }
        if (!thread.isAlive()) {
            awaitCount(n);
        }
        return false;
    }

    /** Records received so far. */
    int count() {
        return count.get();
    }

    /** Kafka timestamps of the records received, in arrival order (epoch ms). */
    long[] timestamps() {
        return Arrays.copyOf(timestamps, count.get());
    }

    /** Wall-clock arrival times of the records received (epoch ms). */
    long[] arrivals() {
        return Arrays.copyOf(arrivals, count.get());
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }
}
