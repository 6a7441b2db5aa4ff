package io.streamfit.app.screen;

import io.streamfit.app.errors.Rejection;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.SchemaRegistry;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The checks every input record passes before it may reach a model, in order: a value at all,
 * at most {@code max.record.bytes}, a key (the series) of well-formed UTF-8 and at most
 * {@code max.id.bytes}, decodable within the model's limits ({@link StreamfitSerdes#timestep(
 * io.streamfit.schemas.TimestepLimits)}: object count, id length, feature count, checked while
 * parsing), a series (the record key wins over the value's {@code series}), and the model's
 * {@link TimestepValidator}. The stream processor and {@code backfill} both screen here, so they
 * accept and reject the same records for the same reasons. The timestep order is theirs to check:
 * it depends on what they have already seen.
 */
public final class RecordScreen {

    /** A record that passed ({@code rejection} null) or why not ({@code series}, {@code timestep} may be null). */
    public record Outcome(String series, Timestep timestep, Rejection rejection) {
    }

    private final TimestepValidator validator;
    private final int maxRecordBytes;
    private final int maxIdBytes;
    private final Deserializer<Timestep> decoder;

    /**
     * A screen whose ids are bounded only by the record size.
     *
     * @param validator      the model's checks (m, finite numbers, object count, supervision)
     * @param maxRecordBytes larger record values are rejected unparsed ({@code max.record.bytes})
     */
    public RecordScreen(TimestepValidator validator, int maxRecordBytes) {
        this(validator, maxRecordBytes, maxRecordBytes);
    }

    /**
     * @param validator      the model's checks (m, finite numbers, object count, supervision)
     * @param maxRecordBytes larger record values are rejected unparsed ({@code max.record.bytes})
     * @param maxIdBytes     the longest key, series or object id in UTF-8 bytes ({@code max.id.bytes})
     */
    public RecordScreen(TimestepValidator validator, int maxRecordBytes, int maxIdBytes) {
        this.validator = validator;
        this.maxRecordBytes = maxRecordBytes;
        this.maxIdBytes = maxIdBytes;
        this.decoder = StreamfitSerdes.timestep(validator.decodeLimits(maxIdBytes)).deserializer();
    }

    public Outcome screen(String topic, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            return reject(Rejection.NULL_VALUE, "record value is null (a tombstone)");
        }
        if (value.length > maxRecordBytes) {
            return reject(Rejection.TOO_LARGE, "record value has " + value.length
                    + " bytes, more than max.record.bytes=" + maxRecordBytes);
        }
        RecordKey screenedKey = RecordKey.screen(key, maxIdBytes);
        if (screenedKey.rejection() != null) {
            return new Outcome(null, null, screenedKey.rejection());
        }
        String keySeries = screenedKey.series();
        Timestep ts;
        try {
            ts = decoder.deserialize(topic, headers, value);
        } catch (InvalidRecordException e) {
            return reject(e.reason(), e.getMessage());
        } catch (SchemaRegistry.RegistryUnavailableException e) {
            throw e; // not the record's fault: never a dead letter
        } catch (RuntimeException e) {
            return reject(Rejection.UNPARSABLE, String.valueOf(e.getMessage()));
        }
        String series = keySeries != null ? keySeries : ts.series();
        if (series == null || series.isEmpty()) {
            return reject(Rejection.MISSING_SERIES, "neither the record key nor 'series' is set");
        }
        Rejection invalid = validator.check(ts);
        return new Outcome(series, ts, invalid);
    }

    private static Outcome reject(String reason, String message) {
        return new Outcome(null, null, new Rejection(reason, message));
    }
}
