package io.streamfit.schemas;

import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * streamfit's external topics (design.md, "Topics"), each bound to its key and value serde. Keys
 * are the series id as a UTF-8 string; the dead-letter topic keeps the original key and value
 * bytes untouched and carries the error in the {@code error.*} headers named here.
 *
 * <p>The model store's changelog is not listed: Kafka Streams names and owns it.
 */
public final class TopicRegistry {

    /** Default name of the input topic. */
    public static final String FEATURES = "features";
    /** Default name of the delayed labels' input topic. */
    public static final String LABELS = "labels";
    /** Default name of the per-object prediction topic. */
    public static final String OBJECT_PREDICTIONS = "object-predictions";
    /** Default name of the per-record sum prediction topic. */
    public static final String SUM_PREDICTIONS = "sum-predictions";
    /** Default name of the anomaly score topic. */
    public static final String ANOMALY_SCORES = "anomaly-scores";
    /** Default name of the model commands' input topic. */
    public static final String MODEL_COMMANDS = "model-commands";
    /** Default name of the model lifecycle events' topic. */
    public static final String MODEL_EVENTS = "model-events";
    /** Default name of the dead-letter topic. */
    public static final String DEAD_LETTERS = "dead-letters";

    /** Dead-letter header: the reason code (UTF-8), e.g. an {@link InvalidRecordException#reason()}. */
    public static final String HEADER_ERROR_REASON = "error.reason";
    /** Dead-letter header: the topic the record came from (UTF-8). */
    public static final String HEADER_ERROR_TOPIC = "error.topic";
    /** Dead-letter header: the partition the record came from (decimal, UTF-8). */
    public static final String HEADER_ERROR_PARTITION = "error.partition";
    /** Dead-letter header: the offset the record had (decimal, UTF-8). */
    public static final String HEADER_ERROR_OFFSET = "error.offset";

    // Kafka's legal topic names; checking here fails at startup rather than at the first send.
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final Topic<String, Timestep> features;
    private final Topic<String, ObjectPrediction> objectPredictions;
    /** The same topic as {@link #objectPredictions}, bound to the per-timestep layout's values. */
    private final Topic<String, TimestepPredictions> timestepPredictions;
    private final Topic<String, SumPrediction> sumPredictions;
    private final Topic<String, AnomalyScore> anomalyScores;
    private final Topic<byte[], byte[]> deadLetters;
    /** Null when the app takes no delayed labels. */
    private final Topic<String, byte[]> labels;
    private final Topic<String, byte[]> modelCommands;
    private final Topic<String, ModelEvent> modelEvents;

    /** Binds the configured names, with the labels topic's default name. */
    public TopicRegistry(String features, String objectPredictions, String sumPredictions, String anomalyScores,
            String deadLetters) {
        this(features, objectPredictions, sumPredictions, anomalyScores, deadLetters, LABELS);
    }

    /**
     * Binds the configured names.
     *
     * @param labels the delayed labels' topic; {@code null} or empty when the app takes no delayed labels
     *               (then it reads, creates and needs no labels topic)
     * @throws IllegalArgumentException when a name is not a legal Kafka topic name or two names are equal
     */
    public TopicRegistry(String features, String objectPredictions, String sumPredictions, String anomalyScores,
            String deadLetters, String labels) {
        this(features, objectPredictions, sumPredictions, anomalyScores, deadLetters, labels, MODEL_COMMANDS,
                MODEL_EVENTS);
    }

    /**
     * Binds the configured names, the model lifecycle's two topics too.
     *
     * @param labels        the delayed labels' topic; {@code null} or empty when the app takes no delayed labels
     * @param modelCommands the model commands' input topic
     * @param modelEvents   the model lifecycle events' output topic
     * @throws IllegalArgumentException when a name is not a legal Kafka topic name or two names are equal
     */
    public TopicRegistry(String features, String objectPredictions, String sumPredictions, String anomalyScores,
            String deadLetters, String labels, String modelCommands, String modelEvents) {
        boolean noLabels = labels == null || labels.isEmpty();
        List<String> names = new ArrayList<>(List.of(check(features, "features"),
                check(objectPredictions, "objectPredictions"), check(sumPredictions, "sumPredictions"),
                check(anomalyScores, "anomalyScores"), check(deadLetters, "deadLetters")));
        if (!noLabels) {
            names.add(check(labels, "labels"));
        }
        names.add(check(modelCommands, "modelCommands"));
        names.add(check(modelEvents, "modelEvents"));
        Set<String> distinct = new HashSet<>();
        for (String name : names) {
            if (!distinct.add(name)) {
                throw new IllegalArgumentException("topic '" + name + "' is configured for two roles; "
                        + "every streamfit topic needs its own name");
            }
        }
        Serde<String> key = Serdes.String();
        this.features = new Topic<>(features, key, StreamfitSerdes.timestep());
        this.objectPredictions = new Topic<>(objectPredictions, key, StreamfitSerdes.objectPrediction());
        this.timestepPredictions = new Topic<>(objectPredictions, key, StreamfitSerdes.timestepPredictions());
        this.sumPredictions = new Topic<>(sumPredictions, key, StreamfitSerdes.sumPrediction());
        this.anomalyScores = new Topic<>(anomalyScores, key, StreamfitSerdes.anomalyScore());
        this.deadLetters = new Topic<>(deadLetters, Serdes.ByteArray(), Serdes.ByteArray());
        // Raw bytes: the processor decodes them (LabelsValue: JSON or Avro), so that a bad label is
        // dead-lettered intact.
        this.labels = noLabels ? null : new Topic<>(labels, key, Serdes.ByteArray());
        // Raw bytes, like the labels: the processor decodes them (ModelCommand), so a bad command is dead-lettered intact.
        this.modelCommands = new Topic<>(modelCommands, key, Serdes.ByteArray());
        this.modelEvents = new Topic<>(modelEvents, key, StreamfitSerdes.modelEvent());
    }

    private TopicRegistry(TopicRegistry names, Serde<ObjectPrediction> objectPredictions,
            Serde<TimestepPredictions> timestepPredictions, Serde<SumPrediction> sumPredictions,
            Serde<AnomalyScore> anomalyScores, Serde<ModelEvent> modelEvents) {
        Serde<String> key = Serdes.String();
        this.features = names.features;
        this.objectPredictions = new Topic<>(names.objectPredictions.name(), key, objectPredictions);
        this.timestepPredictions = new Topic<>(names.objectPredictions.name(), key, timestepPredictions);
        this.sumPredictions = new Topic<>(names.sumPredictions.name(), key, sumPredictions);
        this.anomalyScores = new Topic<>(names.anomalyScores.name(), key, anomalyScores);
        this.deadLetters = names.deadLetters;
        this.labels = names.labels;
        this.modelCommands = names.modelCommands;
        this.modelEvents = new Topic<>(names.modelEvents.name(), key, modelEvents);
    }

    /**
     * These topics with their outputs ({@code object-predictions}, {@code sum-predictions},
     * {@code anomaly-scores}, {@code model-events}) written in {@code format}: JSON (as constructed),
     * Avro single-object encoding, or the Confluent wire format with each output schema registered
     * in {@code registry} under {@code <topic>-value} (now: a registry that cannot be asked fails
     * here, at start). Dead letters stay the input's bytes in every format.
     *
     * @param registry    the schema registry; used, and required, only for {@link ValueFormat#AVRO_REGISTRY}
     * @param perTimestep whether {@code object-predictions} carries {@link TimestepPredictions}
     *                    ({@code output.objects=per-timestep}) rather than {@link ObjectPrediction}s: only
     *                    that schema is registered under the topic's subject (the other layout's serde
     *                    stays JSON, unused), since one subject takes one line of compatible schemas
     */
    public TopicRegistry withValueFormat(ValueFormat format, SchemaRegistry registry, boolean perTimestep) {
        return switch (format) {
            case JSON -> this;
            case AVRO -> new TopicRegistry(this, StreamfitSerdes.avro(ObjectPrediction.class),
                    StreamfitSerdes.avro(TimestepPredictions.class), StreamfitSerdes.avro(SumPrediction.class),
                    StreamfitSerdes.avro(AnomalyScore.class), StreamfitSerdes.avro(ModelEvent.class));
            case AVRO_REGISTRY -> new TopicRegistry(this,
                    perTimestep ? objectPredictions.valueSerde()
                            : ConfluentAvroSerde.forTopic(registry, objectPredictions.name(), ObjectPrediction.class),
                    perTimestep ? ConfluentAvroSerde.forTopic(registry, objectPredictions.name(),
                            TimestepPredictions.class) : timestepPredictions.valueSerde(),
                    ConfluentAvroSerde.forTopic(registry, sumPredictions.name(), SumPrediction.class),
                    ConfluentAvroSerde.forTopic(registry, anomalyScores.name(), AnomalyScore.class),
                    ConfluentAvroSerde.forTopic(registry, modelEvents.name(), ModelEvent.class));
        };
    }

    /** The registry with the default names. */
    public static TopicRegistry defaults() {
        return new TopicRegistry(FEATURES, OBJECT_PREDICTIONS, SUM_PREDICTIONS, ANOMALY_SCORES, DEAD_LETTERS);
    }

    /** Input: series id to timestep record (JSON or Avro in, JSON out). */
    public Topic<String, Timestep> features() {
        return features;
    }

    /** Output: series id to one prediction per object per input record. */
    public Topic<String, ObjectPrediction> objectPredictions() {
        return objectPredictions;
    }

    /**
     * Output with {@code output.objects=per-timestep}: the {@link #objectPredictions()} topic, whose
     * values are then one record per input record holding every object's prediction.
     */
    public Topic<String, TimestepPredictions> timestepPredictions() {
        return timestepPredictions;
    }

    /** Output: series id to one sum prediction per input record. */
    public Topic<String, SumPrediction> sumPredictions() {
        return sumPredictions;
    }

    /** Output: series id to one anomaly score per object per scored window. */
    public Topic<String, AnomalyScore> anomalyScores() {
        return anomalyScores;
    }

    /** Rejected input: the original key and value bytes, with the {@code error.*} headers. */
    public Topic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /**
     * Input: series id to the labels of one timestep ({@link LabelsValue}: JSON or Avro), joined with that
     * timestep's features; co-partitioned with {@link #features()}. Empty when the app takes no
     * delayed labels ({@code topic.labels} empty).
     */
    public Optional<Topic<String, byte[]>> labels() {
        return Optional.ofNullable(labels);
    }

    /**
     * Input: model key to a model command ({@link ModelCommand}); co-partitioned with
     * {@link #features()}, so that a series model's commands reach the task of its data.
     */
    public Topic<String, byte[]> modelCommands() {
        return modelCommands;
    }

    /** Output: model key to one lifecycle change (rolled-back, reset, promoted, drift, diverged). */
    public Topic<String, ModelEvent> modelEvents() {
        return modelEvents;
    }

    /**
     * Every name: features, object predictions, sum predictions, anomaly scores, dead letters,
     * labels unless there is no labels topic, model commands and model events.
     */
    public List<String> names() {
        List<String> names = new ArrayList<>(List.of(features.name(), objectPredictions.name(), sumPredictions.name(),
                anomalyScores.name(), deadLetters.name()));
        labels().ifPresent(t -> names.add(t.name()));
        names.add(modelCommands.name());
        names.add(modelEvents.name());
        return List.copyOf(names);
    }

    @Override
    public String toString() {
        return "TopicRegistry" + names();
    }

    private static String check(String name, String role) {
        if (name == null || !LEGAL_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("topic name for " + role + " is not a legal Kafka topic name: '"
                    + name + "' (1 to 249 of [a-zA-Z0-9._-], not '.' or '..')");
        }
        return name;
    }
}
