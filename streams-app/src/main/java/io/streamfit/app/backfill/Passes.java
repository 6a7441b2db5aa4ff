package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.STALL;
import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;
import static io.streamfit.app.backfill.BackfillClients.byTopic;

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
        /** Records skipped as dead letters, by reason: the features topic's and the labels topic's. */
        final Map<String, Long> skipped = new TreeMap<>();
        /** Records of the features topic trained on (or predicted, when they carry no truth). */
        long trained;
        /** Records skipped, both topics. */
        long skippedTotal;
        /** What the labels joined; {@link Backfill.LabelCounts#NONE} without labels in the range. */
        Backfill.LabelCounts labels = Backfill.LabelCounts.NONE;
    }

    /** Makes the label join of a pass, given the pass's features screen; null when the range has no labels. */
    interface LabelJoins {
        HistoryLabelJoin forPass(HistoryScreen screen);
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final HistoryRange range;
    private final HistoryScreen screen;
    private final BackfillTrainer trainer;
    private final Backfill.Options options;
    private final Backfill.Listener listener;
    private final LabelJoins labelJoins;

    /**
     * @param consumer   reads the input: read_committed and in no group, so nothing is committed
     * @param labelJoins the label join of each pass
     */
    Passes(KafkaConsumer<byte[], byte[]> consumer, HistoryRange range, HistoryScreen screen, BackfillTrainer trainer,
           Backfill.Options options, Backfill.Listener listener, LabelJoins labelJoins) {
        this.consumer = consumer;
        this.range = range;
        this.screen = screen;
        this.trainer = trainer;
        this.options = options;
        this.listener = listener;
        this.labelJoins = labelJoins;
    }

    /**
     * Reads the range once (features and labels in one merged order), screens each record, joins
     * labels, shuffles (pass e uses seed S + e, so passes differ but a backfill repeats) and trains.
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
        HistoryLabelJoin labels = labelJoins.forPass(screen);
        ShuffleBuffer<Sample> shuffle = new ShuffleBuffer<>(options.shuffleBuffer(), options.seed() + pass);

        List<TopicPartition> partitions = range.partitions();
        consumer.assign(partitions);
        consumer.resume(partitions);
        Map<TopicPartition, Long> readTo = new HashMap<>();
        long total = 0;
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, start.get(tp));
            readTo.put(tp, start.get(tp));
            total += end.get(tp) - start.get(tp);
        }
        TimestampMerge<byte[], byte[]> merge = new TimestampMerge<>(partitions);
        for (TopicPartition tp : partitions) {
            if (start.get(tp) >= end.get(tp)) {
                merge.finish(tp);
                consumer.pause(List.of(tp));
            }
        }
        long done = 0;
        long lastReport = System.nanoTime();
        long lastRead = lastReport;
        while (true) {
            ConsumerRecord<byte[], byte[]> r;
            while ((r = merge.next()) != null) {
                if (labels != null) {
                    labels.arrive(r);
                }
                if (labels != null && labels.isLabel(r)) {
                    Sample joined = labels.label(r);
                    if (joined != null) {
                        shuffle.add(joined, trainer::train);
                    }
                } else {
                    features(r, pass, stats, labels, shuffle);
                }
                done += r.offset() + 1 - readTo.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_EVERY_NANOS) {
                    lastReport = now;
                    listener.progress(new Progress(pass, options.epochs(), done, total, now - trainStart,
                            trainer.passLoss(), skipped(stats, labels)));
                }
            }
            if (merge.done()) {
                break;
            }
            for (TopicPartition tp : partitions) {
                if (merge.isOpen(tp)) {
                    if (merge.queued(tp) >= Backfill.MAX_QUEUED_PER_PARTITION) {
                        consumer.pause(List.of(tp));
                    } else {
                        consumer.resume(List.of(tp));
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
            for (TopicPartition tp : partitions) {
                if (merge.isOpen(tp) && consumer.position(tp, TIMEOUT) >= end.get(tp)) {
                    merge.finish(tp);
                    consumer.pause(List.of(tp));
                }
            }
            long now = System.nanoTime();
            if (fetched > 0) {
                lastRead = now;
            } else if (now - lastRead > STALL.toNanos()) {
                throw new IllegalStateException("pass " + pass + " read nothing from " + topics(partitions)
                        + " for " + STALL.toSeconds() + "s; positions " + positions(partitions) + ", range end "
                        + byTopic(end));
            }
        }
        shuffle.drain(trainer::train);
        trainer.endPass();
        if (labels != null) {
            stats.labels = labels.counts();
            labels.skipped().forEach((reason, n) -> stats.skipped.merge(reason, n, Long::sum));
            stats.skippedTotal += labels.skippedTotal();
            if (pass == 1) {
                LOG.info("Labels joined in pass 1: {}", stats.labels);
            }
        }
        Progress last = new Progress(pass, options.epochs(), total, total, System.nanoTime() - trainStart,
                trainer.passLoss(), stats.skippedTotal);
        listener.passFinished(last);
        return stats;
    }

    /** A record of the features topic: screened, joined with labels that came first, and trained on. */
    private void features(ConsumerRecord<byte[], byte[]> r, int pass, PassStats stats, HistoryLabelJoin labels,
                          ShuffleBuffer<Sample> shuffle) {
        HistoryScreen.Outcome outcome = screen.screen(r);
        if (outcome.sample() != null) {
            stats.trained++;
            Sample sample = labels == null ? outcome.sample() : labels.features(r, outcome.sample(), outcome.previous());
            shuffle.add(sample, trainer::train);
        } else {
            stats.skippedTotal++;
            stats.skipped.merge(outcome.rejection().reason(), 1L, Long::sum);
            if (pass == 1) {
                LOG.debug("Skipping {}-{}@{}: {} ({})", r.topic(), r.partition(), r.offset(),
                        outcome.rejection().reason(), outcome.rejection().message());
            }
        }
    }

    private static long skipped(PassStats stats, HistoryLabelJoin labels) {
        return stats.skippedTotal + (labels == null ? 0 : labels.skippedTotal());
    }

    private Map<String, Map<Integer, Long>> positions(List<TopicPartition> partitions) {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach(tp -> out.put(tp, consumer.position(tp, TIMEOUT)));
        return byTopic(out);
    }

    private static String topics(List<TopicPartition> partitions) {
        return String.join(" and ", partitions.stream().map(TopicPartition::topic).distinct().toList());
    }
}
