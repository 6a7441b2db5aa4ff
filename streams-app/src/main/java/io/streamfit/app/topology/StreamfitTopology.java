package io.streamfit.app.topology;

import java.util.HashMap;
import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.processor.LearnProcessor;
import io.streamfit.app.processor.OriginStampProcessor;
import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Topic;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The whole topology in one place, called by the app and by the tests.
 *
 * <pre>
 * features --&gt; learn --&gt; object-predictions
 *                     \-&gt; sum-predictions
 *                     \-&gt; dead-letters
 *                     \-&gt; anomaly-scores (seq-autoencoder only)
 *               (model-store, changelog <application.id>-model-store-changelog;
 *                pending-store: timesteps waiting for their micro-batch;
 *                window-store, sequence kinds only: each object's last W timesteps)
 * </pre>
 * With {@code model.scope=global} the input first goes through a one-partition topic
 * ({@code <application.id>-global-route}) so that one task holds the one model.
 */
public final class StreamfitTopology {

    public static final String MODEL_STORE = "model-store";
    /** Timesteps waiting for their micro-batch (changelog {@code <application.id>-pending-store-changelog}). */
    public static final String PENDING_STORE = "pending-store";
    /** Sequence kinds: each object's last W timesteps (changelog {@code <application.id>-window-store-changelog}). */
    public static final String WINDOW_STORE = "window-store";

    public static final String SOURCE = "features-source";
    public static final String ROUTE_STAMP = "global-route-stamp";
    public static final String ROUTE_SINK = "global-route-sink";
    public static final String ROUTE_SOURCE = "global-route-source";
    public static final String LEARN = "learn";
    public static final String OBJECT_SINK = "object-predictions-sink";
    public static final String SUM_SINK = "sum-predictions-sink";
    public static final String DEAD_LETTER_SINK = "dead-letters-sink";
    public static final String ANOMALY_SINK = "anomaly-scores-sink";

    /** Headers that keep the original position of a record routed through the global topic. */
    public static final String ORIGIN_HEADER_PREFIX = "streamfit.origin.";
    public static final String ORIGIN_TOPIC_HEADER = ORIGIN_HEADER_PREFIX + "topic";
    public static final String ORIGIN_PARTITION_HEADER = ORIGIN_HEADER_PREFIX + "partition";
    public static final String ORIGIN_OFFSET_HEADER = ORIGIN_HEADER_PREFIX + "offset";

    /** Models kept in memory per task; the others wait in the store. */
    public static final int MAX_LIVE_MODELS_PER_TASK = 256;

    /** Checkpoints of large models exceed Kafka's default 1 MB record limit. */
    public static final String CHANGELOG_MAX_MESSAGE_BYTES = String.valueOf(64 * 1024 * 1024);

    private StreamfitTopology() {
    }

    /** The name of the one-partition topic of {@code model.scope=global}. */
    public static String globalRouteTopic(String applicationId) {
        return applicationId + "-global-route";
    }

    /**
     * Builds the topology.
     *
     * @param config  the configuration (model, scope, topics)
     * @param metrics where meters and model snapshots go
     */
    public static Topology build(StreamfitConfig config, StreamfitMetrics metrics) {
        TopicRegistry topics = config.topics();
        ModelSpec spec = config.modelSpec();
        boolean global = config.globalScope();
        Topology topology = new Topology();

        // Raw bytes in: the processor decodes, so a bad record reaches the dead-letter topic intact.
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.features().name());
        String learnParent = SOURCE;
        if (global) {
            String route = globalRouteTopic(config.applicationId());
            topology.addProcessor(ROUTE_STAMP, OriginStampProcessor::new, SOURCE);
            topology.addSink(ROUTE_SINK, route, new ByteArraySerializer(), new ByteArraySerializer(), ROUTE_STAMP);
            topology.addSource(ROUTE_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), route);
            learnParent = ROUTE_SOURCE;
        }
        LearnProcessor.Sequence sequence = spec.isSequence()
                ? new LearnProcessor.Sequence(config.windowStride(), config.anomalyQuantile(), config.anomalyWindow(),
                        config.anomalyWarmup())
                : null;
        LearnProcessor.Settings settings = new LearnProcessor.Settings(spec, global, config.maxObjects(),
                config.maxRecordBytes(), config.batchTimesteps(), config.batchMaxWaitMs(), config.batchFlushWhenIdle(),
                config.metricsWindow(), MAX_LIVE_MODELS_PER_TASK, sequence);
        topology.addProcessor(LEARN, () -> new LearnProcessor(settings, metrics), learnParent);
        topology.addStateStore(modelStore(), LEARN);
        topology.addStateStore(pendingStore(), LEARN);
        if (spec.isSequence()) {
            // Only the sequence kinds have windows: the regressor's topology (and its changelogs) stay as they were.
            topology.addStateStore(windowStore(), LEARN);
        }

        Topic<String, ?> objects = topics.objectPredictions();
        Topic<String, ?> sums = topics.sumPredictions();
        Topic<byte[], byte[]> dead = topics.deadLetters();
        topology.addSink(OBJECT_SINK, objects.name(), anyKey(objects.keySerde().serializer()),
                anyValue(objects.valueSerde().serializer()), LEARN);
        topology.addSink(SUM_SINK, sums.name(), anyKey(sums.keySerde().serializer()),
                anyValue(sums.valueSerde().serializer()), LEARN);
        topology.addSink(DEAD_LETTER_SINK, dead.name(), anyKey(dead.keySerde().serializer()),
                anyValue(dead.valueSerde().serializer()), LEARN);
        if (ModelSpec.KIND_SEQ_AUTOENCODER.equals(spec.kind())) {
            Topic<String, ?> anomalies = topics.anomalyScores();
            topology.addSink(ANOMALY_SINK, anomalies.name(), anyKey(anomalies.keySerde().serializer()),
                    anyValue(anomalies.valueSerde().serializer()), LEARN);
        }
        return topology;
    }

    /** The persistent, cached, logged model store. */
    public static StoreBuilder<KeyValueStore<String, ModelCheckpoint>> modelStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MODEL_STORE), Serdes.String(),
                        StreamfitSerdes.modelCheckpoint())
                // The cache keeps only the latest checkpoint per model until the commit.
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /** The logged store of timesteps that wait for their micro-batch (bounded: batch.timesteps per model). */
    public static StoreBuilder<KeyValueStore<String, byte[]>> pendingStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(),
                        Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The logged store of every object's window (sequence kinds): one entry per series and object,
     * W * m floats each; written in the same task as the model store, so both commit with the input.
     */
    public static StoreBuilder<KeyValueStore<String, byte[]>> windowStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOW_STORE), Serdes.String(),
                        Serdes.ByteArray())
                // The cache collapses the per-record rewrites of a window to one changelog write per commit.
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> anyKey(Serializer<?> s) {
        return (Serializer<Object>) s;
    }

    @SuppressWarnings("unchecked")
    private static Serializer<Object> anyValue(Serializer<?> s) {
        return (Serializer<Object>) s;
    }
}
