package io.streamfit.app.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.DeadLetterHandlers;
import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsJson;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.Topic;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The service's topology ({@link StreamfitTopology#build}) in a {@link TopologyTestDriver}, with
 * the Streams properties the service runs with (exactly-once, the dead-letter handlers), typed
 * topics named as the configuration names them, and the metrics it reports to.
 *
 * <p>{@code try (TopologyHarness h = TopologyHarness.start(TestConfigs.regressor(3).stateDir(dir).toMap()))},
 * or start one per test and close it in {@code @AfterEach}.
 */
public final class TopologyHarness implements AutoCloseable {

    private final StreamfitConfig config;
    private final StreamfitMetrics metrics;
    private final OutputLimits limits;
    private final TopologyTestDriver driver;
    private final TopicRegistry topics;
    private final TestInputTopic<byte[], byte[]> input;
    private final TestOutputTopic<String, ObjectPrediction> objects;
    private final TestOutputTopic<String, SumPrediction> sums;
    private final TestOutputTopic<String, AnomalyScore> scores;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final TestInputTopic<byte[], byte[]> labels;

    private TopologyHarness(StreamfitConfig config, StreamfitMetrics metrics, ConfiguredKind kind,
                            OutputLimits limits) {
        this(config, metrics, kind, limits, UnaryOperator.identity());
    }

    private TopologyHarness(StreamfitConfig config, StreamfitMetrics metrics, ConfiguredKind kind,
                            OutputLimits limits, UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        this.config = config;
        this.metrics = metrics;
        this.limits = limits;
        Properties props = config.streamsProperties();
        // As the service does: the handlers count in the same meters and size dead letters by the same limits.
        props.put(DeadLetterHandlers.METRICS_CONFIG, metrics);
        props.put(DeadLetterHandlers.LIMITS_CONFIG, limits);
        this.driver = new TopologyTestDriver(StreamfitTopology.build(config, kind, metrics, limits, stores), props);
        this.topics = config.topics();
        // Raw bytes in, as the topology's source reads them: tests send bad records as well as good ones.
        this.input = driver.createInputTopic(topics.features().name(), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.objects = output(topics.objectPredictions());
        this.sums = output(topics.sumPredictions());
        this.scores = output(topics.anomalyScores());
        this.deadLetters = output(topics.deadLetters());
        // No labels topic with topic.labels empty: then labels() is null.
        this.labels = topics.labels().map(t -> driver.createInputTopic(t.name(), new ByteArraySerializer(),
                new ByteArraySerializer())).orElse(null);
    }

    /**
     * Builds the configuration from {@code properties} and starts the driver on the topology.
     *
     * @throws IllegalArgumentException without {@code state.dir}: the stores would go to Kafka's
     *         default directory, which every test and process on the machine shares
     */
    public static TopologyHarness start(Map<String, String> properties) {
        return start(properties, new StreamfitMetrics(new SimpleMeterRegistry()));
    }

    /** As {@link #start(Map)}, reporting to {@code metrics}: e.g. over a Prometheus registry, to scrape it. */
    public static TopologyHarness start(Map<String, String> properties, StreamfitMetrics metrics) {
        StreamfitConfig config = config(properties);
        return new TopologyHarness(config, metrics, config.kind(), config.outputLimits());
    }

    /**
     * As {@link #start(Map)}, with the model kind changed by {@code kind} (a model that fails, say)
     * and the output limits given (small ones, to see what happens to outputs that do not fit).
     */
    public static TopologyHarness start(Map<String, String> properties, UnaryOperator<ConfiguredKind> kind,
                                        OutputLimits limits) {
        StreamfitConfig config = config(properties);
        return new TopologyHarness(config, new StreamfitMetrics(new SimpleMeterRegistry()), kind.apply(config.kind()),
                limits);
    }

    /** As {@link #start(Map)}, with the model and pending stores wrapped by {@code stores}, e.g. {@link FaultyStores}. */
    public static TopologyHarness startWithStores(Map<String, String> properties,
                                                  UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        StreamfitConfig config = config(properties);
        return new TopologyHarness(config, new StreamfitMetrics(new SimpleMeterRegistry()), config.kind(),
                config.outputLimits(), stores);
    }

    private static StreamfitConfig config(Map<String, String> properties) {
        if (!properties.containsKey("state.dir")) {
            throw new IllegalArgumentException("give the harness a state.dir of its own (a @TempDir), not Kafka's "
                    + "shared default");
        }
        return new StreamfitConfig(properties);
    }

    public StreamfitConfig config() {
        return config;
    }

    public StreamfitMetrics metrics() {
        return metrics;
    }

    /** The limits the sinks check and the exception handlers size dead letters by. */
    public OutputLimits limits() {
        return limits;
    }

    /** The features topic as raw key and value bytes. */
    public TestInputTopic<byte[], byte[]> input() {
        return input;
    }

    /** The labels topic as raw key and value bytes; null when {@code topic.labels} is empty. */
    public TestInputTopic<byte[], byte[]> labels() {
        return labels;
    }

    /** Sends a model command ({@code model-commands}) keyed by model key {@code key}, at {@code timestampMs}. */
    public void sendCommand(String key, String json, long timestampMs) {
        driver.createInputTopic(config.getString(StreamfitConfig.TOPIC_MODEL_COMMANDS), new ByteArraySerializer(),
                new ByteArraySerializer()).pipeInput(key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8), timestampMs);
    }

    /** The {@code model-events} topic. */
    public TestOutputTopic<String, ModelEvent> events() {
        return driver.createOutputTopic(config.getString(StreamfitConfig.TOPIC_MODEL_EVENTS),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                StreamfitSerdes.modelEvent().deserializer());
    }

    /** Sends {@code l} keyed by {@code key} to the labels topic, with the record timestamp {@code timestampMs}. */
    public void sendLabels(String key, Labels l, long timestampMs) {
        labels.pipeInput(key.getBytes(StandardCharsets.UTF_8), LabelsJson.toBytes(l), timestampMs);
    }

    /** Sends a labels value as it is (hand-written JSON) keyed by {@code key}, at {@code timestampMs}. */
    public void sendLabels(String key, byte[] value, long timestampMs) {
        labels.pipeInput(key.getBytes(StandardCharsets.UTF_8), value, timestampMs);
    }

    public TestOutputTopic<String, ObjectPrediction> objects() {
        return objects;
    }

    public TestOutputTopic<String, SumPrediction> sums() {
        return sums;
    }

    /** Anomaly scores ({@code model.kind=seq-autoencoder} only). */
    public TestOutputTopic<String, AnomalyScore> scores() {
        return scores;
    }

    public TestOutputTopic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /** Another reader of an output topic, e.g. with a String deserializer to see the JSON as written. */
    public <K, V> TestOutputTopic<K, V> output(String topic, Deserializer<K> keys, Deserializer<V> values) {
        return driver.createOutputTopic(topic, keys, values);
    }

    private <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
        return output(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    /** Sends {@code ts} keyed by its series, in the input format (JSON). */
    public void send(Timestep ts) {
        send(ts.series(), ts);
    }

    /** Sends {@code ts} under {@code key}, which the topology takes for the series. */
    public void send(String key, Timestep ts) {
        Topic<String, Timestep> features = topics.features();
        send(key, features.valueSerde().serializer().serialize(features.name(), ts));
    }

    /** Sends {@code ts} under {@code key} with the record timestamp {@code timestampMs} (record time). */
    public void send(String key, Timestep ts, long timestampMs) {
        Topic<String, Timestep> features = topics.features();
        input.pipeInput(key.getBytes(StandardCharsets.UTF_8),
                features.valueSerde().serializer().serialize(features.name(), ts), timestampMs);
    }

    /**
     * The changelog topic of store {@code store} ({@code <application.id>-<store>-changelog}) as
     * the driver captured the task's writes to it: keys as strings, values as bytes (null: a tombstone).
     */
    public TestOutputTopic<String, byte[]> changelog(String store) {
        return output(config.applicationId() + "-" + store + "-changelog", new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Sends a value as it is, e.g. hand-written JSON or broken bytes. */
    public void send(String key, byte[] value) {
        input.pipeInput(key.getBytes(StandardCharsets.UTF_8), value);
    }

    /** A state store by its name, {@link StreamfitTopology#MODEL_STORE} and the like. */
    public <V> KeyValueStore<String, V> store(String name) {
        return driver.getKeyValueStore(name);
    }

    /** The value under {@code key} in store {@code name}, or {@code null}. */
    public <V> V storeValue(String name, String key) {
        return this.<V>store(name).get(key);
    }

    /**
     * Every key-value store of the topology with its contents (values decoded), by store name: what
     * the changelogs hold after the last commit (the driver commits after every input record). With
     * {@link #restoreStores} into a harness started on another state directory, it stands for a
     * crash and a restore of the task from its changelogs: everything only in memory is gone.
     */
    public Map<String, Map<String, Object>> storeContents() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        driver.getAllStateStores().forEach((name, store) -> {
            if (store instanceof KeyValueStore<?, ?>) {
                Map<String, Object> values = new TreeMap<>();
                this.<Object>store(name).all().forEachRemaining(kv -> values.put(kv.key, kv.value));
                out.put(name, values);
            }
        });
        return out;
    }

    /** Puts {@code contents} ({@link #storeContents} of another harness) into this one's stores. */
    public void restoreStores(Map<String, Map<String, Object>> contents) {
        contents.forEach((name, values) -> {
            KeyValueStore<String, Object> store = store(name);
            values.forEach(store::put);
        });
    }

    /**
     * Moves the driver's wall clock on by {@code d} and runs the wall-clock punctuations that fall
     * due: those of the micro-batches ({@code batch.max.wait.ms}, {@code batch.flush.when.idle}).
     */
    public void advanceWallClockTime(Duration d) {
        driver.advanceWallClockTime(d);
    }

    @Override
    public void close() {
        driver.close();
    }
}
