package io.streamfit.app.pipeline;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.streamfit.app.screen.RecordScreen;
import io.streamfit.schemas.ConfluentWire;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Screens (decodes and checks) fetched input records on a helper thread while the stream thread
 * processes the records before them. The main consumer hands each poll's records of the
 * features topic over ({@link Interceptor}, which Kafka calls on the stream thread inside its
 * poll); the learning processor then takes a record's outcome, or screens the record itself where
 * none was started. Screening is a function of the record alone, so the outcome is the one the
 * processor would have had: only the thread that computes it changes.
 *
 * <p>One per stream thread (the consumer and the processors of a stream thread share it through
 * a thread-local); outcomes are found by the identity of the value's byte array, which Kafka
 * Streams passes from the consumer to the processor unchanged. At most {@link #MAX_AHEAD}
 * outcomes of at most {@link #MAX_AHEAD_BYTES} of input are kept, the oldest leaving first: a
 * record dropped with a revoked task is never taken, and leaves that way; a record whose outcome
 * left is screened by the processor when it gets to it.
 */
final class DecodeAhead {

    /**
     * Records screened ahead at most, and their input bytes at most: what Kafka Streams buffers for
     * a stream thread's tasks (up to 1,000 records a partition) in the usual cases; the decoded
     * records take about as much heap again as their input.
     */
    static final int MAX_AHEAD = 16_384;
    static final long MAX_AHEAD_BYTES = 32L << 20;

    private static final ThreadLocal<DecodeAhead> CURRENT = new ThreadLocal<>();
    /** Name prefix of the helper threads (the e2e benchmark reports their CPU time apart). */
    static final String THREAD_PREFIX = "streamfit-decode-";
    private static final AtomicInteger THREADS = new AtomicInteger();
    /**
     * The helpers of every stream thread in this JVM: half the cores, at least one. A record whose
     * helper has not started it is screened by its stream thread, so a busy helper costs no wait.
     */
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), r -> {
                Thread t = new Thread(r, THREAD_PREFIX + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    /** Topics whose records are not timesteps (commands, labels). */
    private final Set<String> others;
    private final ThreadLocal<RecordScreen> screens;
    private final Map<byte[], Ahead> ahead = new LinkedHashMap<>();
    /** Input bytes of the records in {@link #ahead}. */
    private long aheadBytes;

    private record Ahead(String topic, FutureTask<RecordScreen.Outcome> task) {
    }

    private DecodeAhead(Set<String> others, Supplier<RecordScreen> screen) {
        this.others = Set.copyOf(others);
        this.screens = ThreadLocal.withInitial(screen);
    }

    /**
     * Makes the records that this stream thread's consumer fetches from now on, except those of
     * {@code others}, be screened ahead, each helper thread with its own screen from
     * {@code screen}; once per thread.
     */
    static void enable(Set<String> others, Supplier<RecordScreen> screen) {
        if (CURRENT.get() == null) {
            CURRENT.set(new DecodeAhead(others, screen));
        }
    }

    /**
     * The outcome of screening {@code value}, read from {@code topic}, if it was started ahead
     * (waiting for it if the helper is at it, computing it here if the helper has not started it);
     * {@code null} where it was not. {@code whenAhead} runs if the helper had finished it.
     */
    static RecordScreen.Outcome take(String topic, byte[] value, Runnable whenAhead) {
        DecodeAhead d = CURRENT.get();
        if (d == null || value == null) {
            return null;
        }
        Ahead a = d.ahead.remove(value);
        if (a == null) {
            return null;
        }
        d.aheadBytes -= value.length;
        if (!a.topic().equals(topic)) {
            return null;
        }
        if (a.task().isDone()) {
            whenAhead.run();
        } else {
            a.task().run(); // a no-op once the helper has started it
        }
        try {
            return a.task().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a record's screening", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (CancellationException e) {
            return null;
        }
    }

    /** Whether the outcome of {@code value} is computed and waits to be taken (for tests). */
    static boolean isDone(String topic, byte[] value) {
        DecodeAhead d = CURRENT.get();
        Ahead a = d == null ? null : d.ahead.get(value);
        return a != null && a.topic().equals(topic) && a.task().isDone();
    }

    private void submit(ConsumerRecord<byte[], byte[]> r) {
        byte[] value = r.value();
        if (value == null || ConfluentWire.installed() != null && ConfluentWire.isFramed(value)) {
            return; // nothing to decode; a registry's lookups stay on the stream thread
        }
        FutureTask<RecordScreen.Outcome> task = new FutureTask<>(
                () -> screens.get().screen(r.topic(), r.headers(), r.key(), value));
        ahead.put(value, new Ahead(r.topic(), task));
        aheadBytes += value.length;
        if (ahead.size() > MAX_AHEAD || aheadBytes > MAX_AHEAD_BYTES) {
            evictOldest();
        }
        POOL.execute(task);
    }

    /** Lets the oldest outcomes go until the bounds hold again (the newest always stays). */
    private void evictOldest() {
        Iterator<Map.Entry<byte[], Ahead>> oldest = ahead.entrySet().iterator();
        while (ahead.size() > MAX_AHEAD || aheadBytes > MAX_AHEAD_BYTES && ahead.size() > 1) {
            Map.Entry<byte[], Ahead> e = oldest.next();
            e.getValue().task().cancel(false);
            aheadBytes -= e.getKey().length;
            oldest.remove();
        }
    }

    /**
     * The main consumer's interceptor: hands the features records of each poll to the stream
     * thread's {@link DecodeAhead}, if its processors enabled one; the records pass on unchanged.
     */
    public static final class Interceptor implements ConsumerInterceptor<byte[], byte[]> {

        @Override
        public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
            DecodeAhead d = CURRENT.get();
            if (d != null && !records.isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (!d.others.contains(r.topic())) {
                        d.submit(r);
                    }
                }
            }
            return records;
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(Map<String, ?> configs) {
        }
    }
}
