package io.streamfit.app.backfill;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import io.streamfit.app.processor.LearnProcessor;
import io.streamfit.app.processor.Rejection;
import io.streamfit.app.processor.TimestepValidator;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Decides for each history record, in input order, what the stream processor would have done
 * with it: the same size limit, decoder ({@link StreamfitSerdes#timestep()}), series rule and
 * {@link TimestepValidator}, and a timestep that must rise per series. A record the processor
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

    /** What became of one record: a sample to train on, or why it was skipped. */
    record Outcome(Sample sample, Rejection rejection) {
    }

    private final TimestepValidator validator;
    private final int maxRecordBytes;
    private final boolean globalScope;
    private final Deserializer<Timestep> decoder = StreamfitSerdes.timestep().deserializer();
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
        this.validator = validator;
        this.maxRecordBytes = maxRecordBytes;
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
        byte[] value = record.value();
        if (value == null) {
            return reject(Rejection.NULL_VALUE, "record value is null (a tombstone)");
        }
        if (value.length > maxRecordBytes) {
            return reject(Rejection.TOO_LARGE, "record value has " + value.length
                    + " bytes, more than max.record.bytes=" + maxRecordBytes);
        }
        Timestep ts;
        try {
            ts = decoder.deserialize(record.topic(), record.headers(), value);
        } catch (InvalidRecordException e) {
            return reject(e.reason(), e.getMessage());
        } catch (RuntimeException e) {
            return reject(Rejection.UNPARSABLE, String.valueOf(e.getMessage()));
        }
        String series = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8) : ts.series();
        if (series == null || series.isEmpty()) {
            return reject(Rejection.MISSING_SERIES, "neither the record key nor 'series' is set");
        }
        Rejection invalid = validator.check(ts);
        if (invalid != null) {
            return new Outcome(null, invalid);
        }
        Long last = lastTimesteps.get(series);
        if (last != null && ts.timestep() <= last) {
            return reject(Rejection.TIMESTEP_NOT_INCREASING,
                    "timestep " + ts.timestep() + " of series '" + series + "' is not after " + last);
        }
        Integer before = partitions.putIfAbsent(series, record.partition());
        if (!globalScope && before != null && before != record.partition()) {
            throw new SeriesInSeveralPartitions(series, record.topic(), before, record.partition(), record.offset());
        }
        lastTimesteps.put(series, ts.timestep());
        String modelKey = globalScope ? LearnProcessor.GLOBAL_KEY : series;
        return new Outcome(new Sample(modelKey, series, globalScope ? 0 : record.partition(), ts), null);
    }

    private static Outcome reject(String reason, String message) {
        return new Outcome(null, new Rejection(reason, message));
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
