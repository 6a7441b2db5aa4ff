package io.streamfit.app.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a stuck input partition from a quiet one. A partition this instance owns is stalled when
 * it has records its group has not committed past (read-committed end offsets, so an open
 * transaction upstream is not mistaken for one) and its committed offset has not moved for
 * {@code timeout}, while no state store of the instance restored anything in between (a long
 * restoration is progress). A partition without a committed offset is never stalled: where the
 * consumer starts is then not known here.
 *
 * <p>Why it exists: a record cannot stop the processor without a dead letter or an error, but
 * nothing else would tell an operator that a task stopped being processed with the client RUNNING
 * (a fault of Streams, the broker or a blocked call). Only a restart cures that; so {@code /health}
 * answers 503 while a partition is stalled, and a liveness probe restarts the instance. It is a
 * safety net: no such stall has been seen (what once looked like one in a crash test was
 * {@code /models} losing a reopened task's models). Off with {@code health.stall.timeout.ms=0}.
 */
public final class ProgressWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressWatch.class);

    /** A partition that has not moved for {@code since} with {@code end - committed} records to go. */
    public record Stall(TopicPartition partition, long committed, long end, Duration since) {
    }

    /** Where the group stands and where the partitions end; any call may fail, and that look is skipped. */
    interface Offsets {
        Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) throws Exception;

        Map<TopicPartition, Long> ends(Set<TopicPartition> partitions) throws Exception;
    }

    private record Mark(long committed, long sinceNanos) {
    }

    private final Duration timeout;
    private final LongSupplier nanos;
    private final Map<TopicPartition, Mark> marks = new HashMap<>();
    private final Set<TopicPartition> reported = new java.util.HashSet<>();
    private volatile List<Stall> stalls = List.of();
    private ScheduledExecutorService timer;

    ProgressWatch(Duration timeout, LongSupplier nanos) {
        this.timeout = timeout;
        this.nanos = nanos;
    }

    /**
     * Watches the partitions that {@code owned} names (this instance's active input partitions)
     * every {@code timeout / 4} (at most 30 s) through {@code admin}.
     *
     * @param restored whether a store restored anything since it was last asked
     */
    static ProgressWatch start(Duration timeout, Admin admin, String groupId, Supplier<Set<TopicPartition>> owned,
            BooleanSupplier restored) {
        ProgressWatch watch = new ProgressWatch(timeout, System::nanoTime);
        Offsets offsets = adminOffsets(admin, groupId);
        long every = Math.max(1, Math.min(Duration.ofSeconds(30).toMillis(), timeout.toMillis() / 4));
        watch.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "streamfit-progress-watch");
            t.setDaemon(true);
            return t;
        });
        watch.timer.scheduleWithFixedDelay(() -> watch.look(owned.get(), offsets, restored.getAsBoolean()), every,
                every, TimeUnit.MILLISECONDS);
        return watch;
    }

    private static Offsets adminOffsets(Admin admin, String groupId) {
        return new Offsets() {
            @Override
            public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) throws Exception {
                Map<TopicPartition, Long> out = new HashMap<>();
                Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                c.forEach((tp, o) -> {
                    if (o != null && partitions.contains(tp)) {
                        out.put(tp, o.offset());
                    }
                });
                return out;
            }

            @Override
            public Map<TopicPartition, Long> ends(Set<TopicPartition> partitions) throws Exception {
                Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
                Map<TopicPartition, Long> out = new HashMap<>();
                admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                        .get(10, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
                return out;
            }
        };
    }

    /** One look through {@code offsets}; a failed call (broker away) leaves the marks as they were. */
    void look(Set<TopicPartition> owned, Offsets offsets, boolean restored) {
        if (owned.isEmpty()) {
            observe(owned, Map.of(), Map.of(), restored);
            return;
        }
        try {
            observe(owned, offsets.committed(owned), offsets.ends(owned), restored);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("Progress watch skipped a look: {}", e.toString());
        }
    }

    /**
     * Records where each owned partition stands now: {@code committed} and {@code ends} by
     * partition (absent: not known), {@code restored} whether any store restored since the last
     * look (which counts as progress for every partition).
     */
    synchronized void observe(Set<TopicPartition> owned, Map<TopicPartition, Long> committed,
            Map<TopicPartition, Long> ends, boolean restored) {
        long now = nanos.getAsLong();
        marks.keySet().retainAll(owned);
        reported.retainAll(owned);
        List<Stall> out = new ArrayList<>();
        for (TopicPartition tp : owned) {
            Long c = committed.get(tp);
            Long end = ends.get(tp);
            Mark mark = marks.get(tp);
            if (restored || c == null || end == null || c >= end || mark == null || mark.committed() != c) {
                marks.put(tp, new Mark(c == null ? -1 : c, now));
                if (reported.remove(tp)) {
                    LOG.info("Input partition {} moves again (committed offset {})", tp, c);
                }
                continue;
            }
            Duration since = Duration.ofNanos(now - mark.sinceNanos());
            if (since.compareTo(timeout) >= 0) {
                out.add(new Stall(tp, c, end, since));
                if (reported.add(tp)) {
                    LOG.error("Input partition {} has not moved for {} s: its group committed offset {} of {}, and this "
                            + "instance owns it. /health answers 503 while it lasts, so that a liveness probe restarts "
                            + "the instance; STREAMFIT_STREAMS_LOG_LEVEL=INFO shows where its task stands",
                            tp, since.toSeconds(), c, end);
                }
            }
        }
        out.sort(Comparator.comparing(s -> s.partition().toString()));
        stalls = List.copyOf(out);
    }

    /** The partitions stalled at the last look, by name. */
    public List<Stall> stalls() {
        return stalls;
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
