package io.streamfit.app.backfill;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.names.Names;
import io.streamfit.app.pipeline.MemoryLabelJoin;
import io.streamfit.app.screen.LabelScreen;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The delayed-labels join of one pass over the history: what the stream processor's join would
 * have done with the records of the features and labels topics in the merged order, task by task
 * ({@link MemoryLabelJoin}, the stream's own rules and bounds). Features that came with targets, or
 * with labels that came first, train at once; features without any truth are a sample as before
 * (predicted, not trained) and wait for their labels; a label that joins waiting features makes a
 * sample of its own ({@link Sample#label}). A label the stream would dead-letter
 * ({@code label-unmatched}, {@code label-duplicate}, or the label screen's reasons) is counted and
 * skipped.
 *
 * <p>A task is an input partition with {@code model.scope=series} (its features and labels
 * partitions), the one task with {@code global}; its stream time is the largest record timestamp it
 * read, as in Kafka Streams. Every {@value #SWEEP_EVERY} records of a task its entries past
 * {@code labels.max.wait.ms} are dropped, as the stream's punctuation drops them.
 *
 * <p>Memory: each task's entries within the wait bounds, as the stream's labels store holds them;
 * never the history. A new instance per pass: every pass joins the same way.
 */
final class HistoryLabelJoin {

    /** Records of a task between two sweeps of its entries. */
    static final int SWEEP_EVERY = 1_024;

    /** One task's join and its stream time. */
    private static final class Task {
        final MemoryLabelJoin join;
        long streamTime = Long.MIN_VALUE;
        int sinceSweep;

        Task(long maxWaitTimesteps, long maxWaitMs) {
            this.join = new MemoryLabelJoin(maxWaitTimesteps, maxWaitMs);
        }
    }

    private final String labelsTopic;
    private final boolean joins;
    private final boolean globalScope;
    private final long maxWaitTimesteps;
    private final long maxWaitMs;
    private final LabelScreen labelScreen;
    private final HistoryScreen screen;
    private final Map<Integer, Task> tasks = new HashMap<>();
    /** Label records skipped before they reached the join, by reason. */
    private final Map<String, Long> screened = new TreeMap<>();
    private long screenedTotal;

    /**
     * @param labelsTopic      the labels topic ({@code topic.labels}); records of any other topic are features
     * @param joins            whether the model kind joins labels; one that does not skips them ({@code label-unsupported})
     * @param globalScope      {@code model.scope=global}: one task
     * @param maxWaitTimesteps {@code labels.max.wait.timesteps}
     * @param maxWaitMs        {@code labels.max.wait.ms}
     * @param labelScreen      the stream's checks of a label record
     * @param screen           the pass's features screen, which knows each series' last timestep
     */
    HistoryLabelJoin(String labelsTopic, boolean joins, boolean globalScope, long maxWaitTimesteps,
                     long maxWaitMs, LabelScreen labelScreen, HistoryScreen screen) {
        this.labelsTopic = labelsTopic;
        this.joins = joins;
        this.globalScope = globalScope;
        this.maxWaitTimesteps = maxWaitTimesteps;
        this.maxWaitMs = maxWaitMs;
        this.labelScreen = labelScreen;
        this.screen = screen;
    }

    boolean isLabel(ConsumerRecord<byte[], byte[]> record) {
        return record.topic().equals(labelsTopic);
    }

    /**
     * Every record of the merged order comes here first, whatever becomes of it: it moves its
     * task's stream time (a record the stream dead-letters moves it too).
     */
    void arrive(ConsumerRecord<byte[], byte[]> record) {
        Task task = task(record.partition());
        task.streamTime = Math.max(task.streamTime, record.timestamp());
        if (++task.sinceSweep >= SWEEP_EVERY) {
            task.sinceSweep = 0;
            task.join.sweep(task.streamTime);
        }
    }

    /**
     * Features that passed the screen: the sample to train on now, with the truths of labels that
     * came first if any; features without any truth also start to wait for their labels.
     *
     * @param previous the series' timestep before these in this pass ({@link Long#MIN_VALUE}: none)
     */
    Sample features(ConsumerRecord<byte[], byte[]> record, Sample sample, long previous) {
        if (!joins) {
            return sample;
        }
        Task task = task(record.partition());
        Timestep ts = task.join.features(sample.series(), sample.timestep(), origin(record), previous,
                task.streamTime);
        return ts == sample.timestep() ? sample
                : new Sample(sample.modelKey(), sample.series(), sample.partition(), ts, false);
    }

    /**
     * A record of the labels topic: the sample it completes (a label after its features), or null
     * when it waits for its features or is skipped (counted).
     */
    Sample label(ConsumerRecord<byte[], byte[]> record) {
        if (!joins) {
            skip(Rejection.LABEL_UNSUPPORTED);
            return null;
        }
        LabelScreen.Outcome checked = labelScreen.screen(record.key(), record.value());
        if (checked.rejection() != null) {
            skip(checked.rejection().reason());
            return null;
        }
        String series = checked.series();
        Task task = task(record.partition());
        MemoryLabelJoin.LabelOutcome outcome = task.join.label(series, checked.labels(), origin(record),
                screen.lastTimestep(series, record.partition()), task.streamTime);
        if (outcome.joined() == null) {
            return null;
        }
        return new Sample(globalScope ? Names.GLOBAL_KEY : series, series, globalScope ? 0 : record.partition(),
                outcome.joined(), true);
    }

    /** Label records skipped so far: by the label screen, and as unmatched or duplicate by the join. */
    long skippedTotal() {
        long n = screenedTotal;
        for (Task t : tasks.values()) {
            n += t.join.unmatched() + t.join.duplicate();
        }
        return n;
    }

    /** Label records skipped so far, by dead-letter reason. */
    Map<String, Long> skipped() {
        Map<String, Long> out = new TreeMap<>(screened);
        Backfill.LabelCounts c = counts();
        if (c.unmatched() > 0) {
            out.merge(Rejection.LABEL_UNMATCHED, c.unmatched(), Long::sum);
        }
        long joinDuplicates = c.duplicate() - screened.getOrDefault(Rejection.LABEL_DUPLICATE, 0L);
        if (joinDuplicates > 0) {
            out.merge(Rejection.LABEL_DUPLICATE, joinDuplicates, Long::sum);
        }
        return out;
    }

    /** The counts so far; at the end of a pass, with what still waits. */
    Backfill.LabelCounts counts() {
        long matched = 0;
        long expired = 0;
        long unmatched = 0;
        long duplicate = screened.getOrDefault(Rejection.LABEL_DUPLICATE, 0L);
        long waitingFeatures = 0;
        long waitingLabels = 0;
        for (Task t : tasks.values()) {
            matched += t.join.matched();
            expired += t.join.expired();
            unmatched += t.join.unmatched();
            duplicate += t.join.duplicate();
            waitingFeatures += t.join.waitingFeatures();
            waitingLabels += t.join.waitingLabels();
        }
        return new Backfill.LabelCounts(matched, expired, unmatched, duplicate, waitingFeatures, waitingLabels);
    }

    /** Entries held by every task now: what the bounds let the join keep. */
    int entries() {
        return tasks.values().stream().mapToInt(t -> t.join.entries()).sum();
    }

    private void skip(String reason) {
        screened.merge(reason, 1L, Long::sum);
        screenedTotal++;
    }

    private Task task(int partition) {
        return tasks.computeIfAbsent(globalScope ? 0 : partition, p -> new Task(maxWaitTimesteps, maxWaitMs));
    }

    private static Origin origin(ConsumerRecord<byte[], byte[]> r) {
        return new Origin(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.headers(), r.timestamp());
    }
}
