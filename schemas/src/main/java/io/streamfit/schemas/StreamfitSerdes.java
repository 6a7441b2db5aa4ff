package io.streamfit.schemas;

import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.GoodState;
import io.streamfit.schemas.avro.LabelWait;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ModelVersion;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.ObjectWindowState;
import io.streamfit.schemas.avro.PendingTimestep;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * The serdes of every streamfit record, in one place (pass them explicitly; never rely on
 * default serdes). Every serde here is stateless and thread-safe, so the methods return shared
 * instances. Decoding failures are {@link InvalidRecordException}s with a reason code.
 */
public final class StreamfitSerdes {

    private static final TimestepSerde TIMESTEP = new TimestepSerde(TimestepSerde.Encoding.JSON);
    private static final TimestepSerde TIMESTEP_AVRO = new TimestepSerde(TimestepSerde.Encoding.AVRO);
    private static final JsonSerde<ObjectPrediction> OBJECT_PREDICTION =
            new JsonSerde<>("ObjectPrediction", OutputJson.OBJECT_PREDICTION);
    private static final JsonSerde<SumPrediction> SUM_PREDICTION =
            new JsonSerde<>("SumPrediction", OutputJson.SUM_PREDICTION);
    private static final JsonSerde<TimestepPredictions> TIMESTEP_PREDICTIONS =
            new JsonSerde<>("TimestepPredictions", OutputJson.TIMESTEP_PREDICTIONS);
    private static final JsonSerde<AnomalyScore> ANOMALY_SCORE =
            new JsonSerde<>("AnomalyScore", OutputJson.ANOMALY_SCORE);
    private static final JsonSerde<ModelEvent> MODEL_EVENT = new JsonSerde<>("ModelEvent", ModelEventJson.CODEC);
    private static final AvroSerde<ModelVersion> MODEL_VERSION = avro(ModelVersion.class);
    /*
     * When ModelCheckpoint.avsc changes, keep the old schema (as a resource) and pass it here, or
     * checkpoints already in the changelog fail with unknown-schema on restore.
     */
    private static final AvroSerde<ModelCheckpoint> MODEL_CHECKPOINT = AvroSerde.of(ModelCheckpoint.class,
            history("ModelCheckpoint-1.avsc"), history("ModelCheckpoint-2.avsc"),
            history("ModelCheckpoint-3.avsc"), history("ModelCheckpoint-4.avsc"),
            history("ModelCheckpoint-5.avsc"));
    private static final AvroSerde<GoodState> GOOD_STATE = AvroSerde.of(GoodState.class);
    private static final AvroSerde<PendingTimestep> PENDING_TIMESTEP = AvroSerde.of(PendingTimestep.class,
            history("PendingTimestep-1.avsc"));
    private static final AvroSerde<ObjectWindowState> OBJECT_WINDOW_STATE = AvroSerde.of(ObjectWindowState.class);
    private static final AvroSerde<LabelWait> LABEL_WAIT = AvroSerde.of(LabelWait.class);

    private StreamfitSerdes() {
    }

    /** Features topic values: reads JSON or Avro single-object encoding (detected per record), writes JSON. */
    public static TimestepSerde timestep() {
        return TIMESTEP;
    }

    /**
     * Features topic values, read within {@code limits} (JSON or Avro single-object encoding, detected
     * per record), written as JSON: the record screen's decoder.
     */
    public static TimestepSerde timestep(TimestepLimits limits) {
        return TIMESTEP.withLimits(limits);
    }

    /** Features topic values: reads JSON or Avro single-object encoding, writes Avro single-object encoding. */
    public static TimestepSerde timestepAvro() {
        return TIMESTEP_AVRO;
    }

    /** {@code object-predictions} values, the contract's JSON. */
    public static JsonSerde<ObjectPrediction> objectPrediction() {
        return OBJECT_PREDICTION;
    }

    /**
     * {@code object-predictions} values with {@code output.objects=per-timestep}: one per input
     * record, every object's prediction in it; the contract's JSON.
     */
    public static JsonSerde<TimestepPredictions> timestepPredictions() {
        return TIMESTEP_PREDICTIONS;
    }

    /** {@code sum-predictions} values, the contract's JSON. */
    public static JsonSerde<SumPrediction> sumPrediction() {
        return SUM_PREDICTION;
    }

    /** {@code anomaly-scores} values, the contract's JSON. */
    public static JsonSerde<AnomalyScore> anomalyScore() {
        return ANOMALY_SCORE;
    }

    /** {@code model-events} values, the contract's JSON. */
    public static JsonSerde<ModelEvent> modelEvent() {
        return MODEL_EVENT;
    }

    /** The versions store's values: Avro single-object encoding of {@link ModelVersion}. */
    public static AvroSerde<ModelVersion> modelVersion() {
        return MODEL_VERSION;
    }

    /** The model store's values: Avro single-object encoding of {@link ModelCheckpoint}. */
    public static AvroSerde<ModelCheckpoint> modelCheckpoint() {
        return MODEL_CHECKPOINT;
    }

    /** The good store's values: Avro single-object encoding of {@link GoodState}. */
    public static AvroSerde<GoodState> goodState() {
        return GOOD_STATE;
    }

    /** The pending store's values: Avro single-object encoding of {@link PendingTimestep}. */
    public static AvroSerde<PendingTimestep> pendingTimestep() {
        return PENDING_TIMESTEP;
    }

    /**
     * The labels store's values, and the pending store's values of timesteps joined with their
     * labels: Avro single-object encoding of {@link LabelWait}.
     */
    public static AvroSerde<LabelWait> labelWait() {
        return LABEL_WAIT;
    }

    /** The window store's values: Avro single-object encoding of {@link ObjectWindowState}. */
    public static AvroSerde<ObjectWindowState> objectWindowState() {
        return OBJECT_WINDOW_STATE;
    }

    /**
     * An earlier version of a schema, kept in {@code src/main/resources/io/streamfit/schemas/history/}
     * (named {@code <record>-<n>.avsc}, n counting that record's schema versions).
     */
    static Schema history(String name) {
        try (InputStream in = StreamfitSerdes.class.getResourceAsStream("history/" + name)) {
            if (in == null) {
                throw new IllegalStateException("schema history/" + name + " is missing from the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema history/" + name, e);
        }
    }

    /** Avro single-object encoding of any generated record class (see {@link AvroSerde#of}). */
    public static <T extends SpecificRecord> AvroSerde<T> avro(Class<T> type, Schema... olderWriterSchemas) {
        return AvroSerde.of(type, olderWriterSchemas);
    }
}
