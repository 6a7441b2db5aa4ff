package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.STALL;
import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;
import static io.streamfit.app.backfill.BackfillClients.byPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The passes over the history. Every pass reads the same range in the same order
 * ({@link TimestampMerge}), so that every pass skips the same records and a seed reproduces a
 * backfill; the consumer pauses a partition that is far ahead instead of buffering it, so that
 * memory does not grow with the history.
 */
final class Passes {

    // Backfill's name, as before this class was split from it, so that the log lines read the same.
    private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);

    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

    /** Counts of one pass. */
    static final class PassStats {
        final Map<String, Long> skipped = new TreeMap<>();
        long trained;
        long skippedTotal;
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final HistoryRange range;
    private final HistoryScreen screen;
    private final BackfillTrainer trainer;
    private final Backfill.Options options;
    private final Backfill.Listener listener;
    private final String inputTopic;

    /** @param consumer reads the input: read_committed and in no group, so nothing is committed */
    Passes(KafkaConsumer<byte[], byte[]> consumer, HistoryRange range, HistoryScreen screen, BackfillTrainer trainer,
           Backfill.Options options, Backfill.Listener listener, String inputTopic) {
        this.consumer = consumer;
        this.range = range;
        this.screen = screen;
        this.trainer = trainer;
        this.options = options;
        this.listener = listener;
        this.inputTopic = inputTopic;
    }

    /**
     * Reads the range once, screens each record, shuffles (pass e uses seed S + e, so passes
     * differ but a backfill repeats) and trains.
     *
     * @param pass       the pass, from 1
     * @param trainStart when the first pass began ({@link System#nanoTime}), for the progress
     * @throws IllegalStateException when the pass reads nothing for {@link BackfillClients#STALL}
     */
    PassStats run(int pass, long trainStart) {
        Map<TopicPartition, Long> start = range.start();
        Map<TopicPartition, Long> end = range.end();
        PassStats stats = new PassStats();
        screen.beginPass();
        trainer.beginPass(pass);
        ShuffleBuffer<Sample> shuffle = new ShuffleBuffer<>(options.shuffleBuffer(), options.seed() + pass);

        List<TopicPartition> partitions = new ArrayList<>(start.keySet());
        consumer.assign(partitions);
        consumer.resume(partitions);
        Map<Integer, TopicPartition> byNumber = new TreeMap<>();
        Map<Integer, Long> readTo = new HashMap<>();
        long total = 0;
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, start.get(tp));
            byNumber.put(tp.partition(), tp);
            readTo.put(tp.partition(), start.get(tp));
            total += end.get(tp) - start.get(tp);
        }
        TimestampMerge<byte[], byte[]> merge = new TimestampMerge<>(byNumber.keySet());
        for (TopicPartition tp : partitions) {
            if (start.get(tp) >= end.get(tp)) {
                merge.finish(tp.partition());
                consumer.pause(List.of(tp));
            }
        }
        long done = 0;
        long lastReport = System.nanoTime();
        long lastRead = lastReport;
        while (true) {
            ConsumerRecord<byte[], byte[]> r;
            while ((r = merge.next()) != null) {
                HistoryScreen.Outcome outcome = screen.screen(r);
                if (outcome.sample() != null) {
                    stats.trained++;
                    shuffle.add(outcome.sample(), trainer::train);
                } else {
                    stats.skippedTotal++;
                    stats.skipped.merge(outcome.rejection().reason(), 1L, Long::sum);
                    if (pass == 1) {
                        LOG.debug("Skipping {}-{}@{}: {} ({})", r.topic(), r.partition(), r.offset(),
                                outcome.rejection().reason(), outcome.rejection().message());
                    }
                }
                done += r.offset() + 1 - readTo.put(r.partition(), r.offset() + 1);
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_EVERY_NANOS) {
                    lastReport = now;
                    listener.progress(new Progress(pass, options.epochs(), done, total, now - trainStart,
                            trainer.passLoss(), stats.skippedTotal));
                }
            }
            if (merge.done()) {
                break;
            }
            for (Map.Entry<Integer, TopicPartition> e : byNumber.entrySet()) {
                if (merge.isOpen(e.getKey())) {
                    if (merge.queued(e.getKey()) >= Backfill.MAX_QUEUED_PER_PARTITION) {
                        consumer.pause(List.of(e.getValue()));
                    } else {
                        consumer.resume(List.of(e.getValue()));
                    }
                }
            }
            int fetched = 0;
            for (ConsumerRecord<byte[], byte[]> f : consumer.poll(Duration.ofMillis(200))) {
                if (f.offset() < end.get(new TopicPartition(f.topic(), f.partition()))) {
                    merge.add(f);
                    fetched++;
                }
            }
            for (Map.Entry<Integer, TopicPartition> e : byNumber.entrySet()) {
                TopicPartition tp = e.getValue();
                if (merge.isOpen(e.getKey()) && consumer.position(tp, TIMEOUT) >= end.get(tp)) {
                    merge.finish(e.getKey());
                    consumer.pause(List.of(tp));
                }
            }
            long now = System.nanoTime();
            if (fetched > 0) {
                lastRead = now;
            } else if (now - lastRead > STALL.toNanos()) {
                throw new IllegalStateException("pass " + pass + " read nothing from " + inputTopic + " for "
                        + STALL.toSeconds() + " s; positions " + positions(partitions) + ", range end "
                        + byPartition(end));
            }
        }
        shuffle.drain(trainer::train);
        trainer.endPass();
        Progress last = new Progress(pass, options.epochs(), total, total, System.nanoTime() - trainStart,
                trainer.passLoss(), stats.skippedTotal);
        listener.passFinished(last);
        return stats;
    }

    private Map<Integer, Long> positions(List<TopicPartition> partitions) {
        Map<Integer, Long> out = new TreeMap<>();
        partitions.forEach(tp -> out.put(tp.partition(), consumer.position(tp, TIMEOUT)));
        return out;
    }
}
