package io.streamfit.app.backfill;

import java.util.HashMap;
import java.util.Map;

import io.streamfit.app.names.Names;
import io.streamfit.app.pipeline.LearnProcessor;
import io.streamfit.app.screen.RecordScreen;
import io.streamfit.app.errors.Rejection;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decides for each history record, in input order, what the stream processor would have done
 * with it: the same checks ({@link RecordScreen}), and a timestep that must rise per series. A record the processor
 * would have sent to the dead letters comes back as a {@link Rejection}; backfill skips it.
 *
 * <p>The rising-timestep check runs within one pass over the history, from the start of the
 * range: a pass repeats the history, and the model may already have learned it from {@code run},
 * so neither the previous pass nor the existing checkpoint counts. Because every pass reads the
 * records in the same order, every pass skips the same records.
 *
 * <p>Memory: one entry per series (its last timestep and its partition), none per record.
 */
final class HistoryScreen {

    /**
     * What became of one record: a sample to train on, or why it was skipped.
     *
     * @param previous with a sample: the series' timestep before it in this pass ({@link Long#MIN_VALUE}: none)
     */
    record Outcome(Sample sample, Rejection rejection, long previous) {
        Outcome(Sample sample, Rejection rejection) {
            this(sample, rejection, Long.MIN_VALUE);
        }
    }

    private final RecordScreen screen;
    private final boolean globalScope;
    /** Last accepted timestep per series in this pass. */
    private final Map<String, Long> lastTimesteps = new HashMap<>();
    /** Input partition of each series, kept across passes. */
    private final Map<String, Integer> partitions = new HashMap<>();

    /**
     * @param validator      the model's checks (m, finite numbers, object count)
     * @param maxRecordBytes larger record values are skipped unparsed ({@code max.record.bytes})
     * @param globalScope    whether one model learns every series ({@code model.scope=global})
     */
    HistoryScreen(TimestepValidator validator, int maxRecordBytes, boolean globalScope) {
        this(validator, maxRecordBytes, maxRecordBytes, globalScope);
    }

    /** As {@link #HistoryScreen(TimestepValidator, int, boolean)}, with ids of at most {@code maxIdBytes} ({@code max.id.bytes}). */
    HistoryScreen(TimestepValidator validator, int maxRecordBytes, int maxIdBytes, boolean globalScope) {
        this.screen = new RecordScreen(validator, maxRecordBytes, maxIdBytes);
        this.globalScope = globalScope;
    }

    /** Starts a pass over the history: the timestep order is checked afresh. */
    void beginPass() {
        lastTimesteps.clear();
    }

    /**
     * @throws SeriesInSeveralPartitions with {@code model.scope=series}, when a series has records
     *         in two input partitions: its model would belong to two tasks
     */
    Outcome screen(ConsumerRecord<byte[], byte[]> record) {
        RecordScreen.Outcome screened = screen.screen(record.topic(), record.headers(), record.key(), record.value());
        if (screened.rejection() != null) {
            return new Outcome(null, screened.rejection());
        }
        Timestep ts = screened.timestep();
        String series = screened.series();
        Long last = lastTimesteps.get(series);
        if (last != null && ts.timestep() <= last) {
            return new Outcome(null, new Rejection(Rejection.TIMESTEP_NOT_INCREASING,
                    "timestep " + ts.timestep() + " of series '" + series + "' is not after " + last));
        }
        Integer before = partitions.putIfAbsent(series, record.partition());
        if (!globalScope && before != null && before != record.partition()) {
            throw new SeriesInSeveralPartitions(series, record.topic(), before, record.partition(), record.offset());
        }
        lastTimesteps.put(series, ts.timestep());
        String modelKey = globalScope ? Names.GLOBAL_KEY : series;
        return new Outcome(new Sample(modelKey, series, globalScope ? 0 : record.partition(), ts), null,
                last == null ? Long.MIN_VALUE : last);
    }

    /**
     * The last accepted timestep of {@code series} in this pass as the task of input partition
     * {@code partition} knows it, for a label record from that partition: {@link Long#MIN_VALUE}
     * when none, or (with {@code model.scope=series}) when the series' features are in another
     * partition, whose task the label does not reach.
     */
    long lastTimestep(String series, int partition) {
        Long last = lastTimesteps.get(series);
        if (last == null) {
            return Long.MIN_VALUE;
        }
        Integer own = partitions.get(series);
        return !globalScope && own != null && own != partition ? Long.MIN_VALUE : last;
    }

    /** A series whose model would belong to two stream tasks. */
    static final class SeriesInSeveralPartitions extends BackfillRefused {
        SeriesInSeveralPartitions(String series, String topic, int first, int second, long offset) {
            super("series '" + series + "' has records in partitions " + first + " and " + second + " of topic "
                    + topic + " (offset " + offset + " of partition " + second + "); with model.scope=series its "
                    + "model belongs to the task of one partition, so records must be keyed by series");
        }
    }
}
