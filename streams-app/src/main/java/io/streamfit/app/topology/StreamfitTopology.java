package io.streamfit.app.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.DeadLetterHandlers;
import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ObjectLayout;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.names.Names;
import io.streamfit.app.pipeline.Divergence;
import io.streamfit.app.pipeline.LearnProcessor;
import io.streamfit.app.pipeline.ModelMemory;
import io.streamfit.app.state.SettingsChangeLog;
import io.streamfit.app.state.WriteAtCommitStore;
import io.streamfit.app.pipeline.OriginStampProcessor;
import io.streamfit.app.pipeline.Output;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Topic;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.GoodState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ModelVersion;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The whole topology in one place, called by the app and by the tests.
 *
 * <pre>
 * features --&gt; learn --&gt; object-predictions
 * labels   -/  (unless topic.labels is empty: then no labels source and no labels-store)
 * model-commands -/   \-&gt; model-events (versions kept, drift, rollbacks, resets, divergences)
 *                     \-&gt; sum-predictions
 *                     \-&gt; dead-letters
 *                     \-&gt; anomaly-scores (kinds that score anomalies: seq-autoencoder)
 *               (model-store, changelog <application.id>-model-store-changelog;
 *                pending-store: timesteps waiting for their micro-batch;
 *                good-store: each model's state at its best windowed loss, to roll back to;
 *                versions-store: every model.versions.every updates a whole checkpoint, the last
 *                model.versions.keep per model, for rollback commands;
 *                plus the kind's own stores, e.g. the sequence kinds' window-store;
 *                activity-store with model.idle.ttl: last record time per series;
 *                series-store with model.scope=global: last accepted timestep per series;
 *                labels-store for the kinds that join labels: features waiting for their labels,
 *                labels waiting for their features)
 * </pre>
 * With {@code model.scope=global} the input first goes through a one-partition topic
 * ({@code <application.id>-global-route}) so that one task holds the one model; the series'
 * last timesteps are then in the series store, not in that model's checkpoint.
 */
public final class StreamfitTopology {

    private StreamfitTopology() {
    }

    /**
     * Builds the topology.
     *
     * @param config  the configuration (model kind, scope, topics)
     * @param metrics where meters and model snapshots go
     */
    public static Topology build(StreamfitConfig config, StreamfitMetrics metrics) {
        return build(config, config.kind(), metrics, config.outputLimits());
    }

    /**
     * Builds the topology with a given kind and output limits.
     *
     * @param config  the configuration (scope, topics, processor settings)
     * @param kind    the model kind: {@code config.kind()}, or one wrapped by a test
     * @param metrics where meters and model snapshots go
     * @param limits  the largest record each output topic takes: the sinks check every output
     *                against them, and the production exception handler must get the same instance
     *                ({@link DeadLetterHandlers#LIMITS_CONFIG}) to learn from the broker's refusals
     */
    public static Topology build(StreamfitConfig config, ConfiguredKind kind, StreamfitMetrics metrics,
                                 OutputLimits limits) {
        return build(config, kind, metrics, limits, UnaryOperator.identity());
    }

    /**
     * Builds the topology with the RocksDB stores of the model store and the pending store passed
     * through {@code stores} first. A seam for fault-injection tests only (a store that fails its
     * Nth write, a full disk); the service always passes the identity, and no configuration key
     * reaches it.
     *
     * @param stores wraps the bytes store supplier of {@link Names#MODEL_STORE} and
     *               {@link Names#PENDING_STORE} (the name says which); it must keep the name
     */
    public static Topology build(StreamfitConfig config, ConfiguredKind kind, StreamfitMetrics metrics,
                                 OutputLimits limits, UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        // Outputs in value.format; with avro-registry, the registry that StreamfitApp installed.
        TopicRegistry topics = config.topics().withValueFormat(config.valueFormat(), registryFor(config),
                config.objectLayout() == ObjectLayout.PER_TIMESTEP);
        Topology topology = new Topology();

        // Raw bytes in: the processor decodes, so a bad record reaches the dead-letter topic intact.
        topology.addSource(Names.SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.features().name());
        // Labels go where the features go (the learning processor tells them apart by origin topic);
        // co-partitioned with the features, so a series' labels reach the task of its features.
        // With topic.labels empty there is no labels source: no subscription to a topic that may not exist.
        String labelsTopic = topics.labels().map(Topic::name).orElse(null);
        List<String> inputs = new ArrayList<>(List.of(Names.SOURCE));
        if (labelsTopic != null) {
            topology.addSource(Names.LABELS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                    labelsTopic);
            inputs.add(Names.LABELS_SOURCE);
        }
        // Commands go where their model's data goes: keyed by model key, co-partitioned with the features.
        topology.addSource(Names.COMMANDS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                topics.modelCommands().name());
        inputs.add(Names.COMMANDS_SOURCE);
        String[] learnParents = inputs.toArray(String[]::new);
        if (config.globalScope()) {
            String route = Names.globalRouteTopic(config.applicationId());
            topology.addProcessor(Names.ROUTE_STAMP, OriginStampProcessor::new, learnParents);
            topology.addSink(Names.ROUTE_SINK, route, new ByteArraySerializer(),
                    Output.serializer(Output.RouteOut.class, byte[].class, new ByteArraySerializer(), limits),
                    Names.ROUTE_STAMP);
            topology.addSource(Names.ROUTE_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), route);
            learnParents = new String[] {Names.ROUTE_SOURCE};
        }
        LearnProcessor.Settings settings = new LearnProcessor.Settings(kind, config.globalScope(), config.maxObjects(),
                config.maxRecordBytes(), config.maxIdBytes(), config.batchTimesteps(), config.batchMaxWaitMs(),
                config.batchFlushWhenIdle(), config.metricsWindow(),
                new Divergence(config.divergenceLossRatio(), config.divergenceLossWindow(), config.divergenceLrFactor(),
                        config.divergenceLrMinScale()), config.getDouble(StreamfitConfig.MAX_ABS_FEATURE),
                config.modelIdleTtlMs(), config.getInt(StreamfitConfig.MODEL_IDLE_SCAN_KEYS),
                new LearnProcessor.LabelSettings(labelsTopic,
                        config.getLong(StreamfitConfig.LABELS_MAX_WAIT_TIMESTEPS),
                        config.getLong(StreamfitConfig.LABELS_MAX_WAIT_MS)),
                new LearnProcessor.LifecycleSettings(topics.modelCommands().name(),
                        config.getLong(StreamfitConfig.MODEL_VERSIONS_EVERY),
                        config.getInt(StreamfitConfig.MODEL_VERSIONS_KEEP), config.driftSettings(),
                        config.challengers(), config.getDouble(StreamfitConfig.CHALLENGER_PROMOTE_MARGIN),
                        config.getLong(StreamfitConfig.CHALLENGER_PROMOTE_AFTER)));
        // One budget for the models in memory of every task of this instance.
        ModelMemory memory = new ModelMemory(config.getLong(StreamfitConfig.MODELS_CACHE_MAX_BYTES));
        metrics.watchModelMemory(memory::usedBytes, memory.maxBytes(), memory::models, memory::evictions,
                memory::loads);
        SettingsChangeLog changes = new SettingsChangeLog(config.applicationId());
        topology.addProcessor(Names.LEARN,
                () -> new LearnProcessor(settings, metrics, memory, config.objectLayout(), changes), learnParents);
        topology.addStateStore(modelStore(stores), Names.LEARN);
        topology.addStateStore(pendingStore(stores), Names.LEARN);
        topology.addStateStore(goodStore(stores), Names.LEARN);
        topology.addStateStore(versionsStore(), Names.LEARN);
        // Only kinds with their own stores add them (the sequence kinds' windows), so the others'
        // topologies and changelogs stay as they were.
        kind.stores().forEach(store -> topology.addStateStore(store, Names.LEARN));
        // Likewise the activity store only with model.idle.ttl, and the series store only in global
        // scope (with series scope a model's one series stays in its checkpoint).
        if (config.modelIdleTtlMs() > 0) {
            topology.addStateStore(activityStore(), Names.LEARN);
        }
        if (config.globalScope()) {
            topology.addStateStore(seriesStore(), Names.LEARN);
        }
        // The kinds that do not join labels dead-letter them without a store; without a labels
        // topic nothing joins, so nothing waits.
        if (kind.joinsLabels() && labelsTopic != null) {
            topology.addStateStore(labelsStore(), Names.LEARN);
        }

        for (Outputs.Sink sink : kind.sinks()) {
            switch (sink) {
                case OBJECT_PREDICTIONS -> {
                    if (config.objectLayout() == ObjectLayout.PER_TIMESTEP) {
                        addSink(topology, Names.OBJECT_SINK, topics.timestepPredictions(),
                                Output.TimestepObjectsOut.class, TimestepPredictions.class, limits);
                    } else {
                        addSink(topology, Names.OBJECT_SINK, topics.objectPredictions(),
                                Output.ObjectOut.class, ObjectPrediction.class, limits);
                    }
                }
                case SUM_PREDICTIONS -> addSink(topology, Names.SUM_SINK, topics.sumPredictions(),
                        Output.SumOut.class, SumPrediction.class, limits);
                case ANOMALY_SCORES -> addSink(topology, Names.ANOMALY_SINK, topics.anomalyScores(),
                        Output.AnomalyOut.class, AnomalyScore.class, limits);
                default -> throw new IllegalStateException("no sink for " + sink);
            }
        }
        topology.addSink(Names.EVENTS_SINK, topics.modelEvents().name(),
                new ByteArraySerializer(), Output.serializer(Output.EventOut.class, ModelEvent.class,
                        topics.modelEvents().valueSerde().serializer(), limits), Names.LEARN);
        topology.addSink(Names.DEAD_LETTER_SINK, topics.deadLetters().name(), new ByteArraySerializer(),
                Output.serializer(Output.DeadLetterOut.class, byte[].class, topics.deadLetters().valueSerde().serializer(),
                        limits),
                Names.LEARN);
        return topology;
    }

    /** A sink of the learning processor for outputs of {@code type}, keyed by series (UTF-8, as String serdes write). */
    private static io.streamfit.schemas.SchemaRegistry registryFor(StreamfitConfig config) {
        io.streamfit.schemas.SchemaRegistry registry = io.streamfit.schemas.ConfluentWire.installed();
        if (config.valueFormat() == io.streamfit.schemas.ValueFormat.AVRO_REGISTRY && registry == null) {
            throw new IllegalStateException("value.format=avro-registry but no schema registry is installed "
                    + "(StreamfitApp.start installs it)");
        }
        return registry;
    }

    private static <T> void addSink(Topology topology, String name, Topic<String, T> topic,
                                    Class<? extends Output> type, Class<T> payload, OutputLimits limits) {
        topology.addSink(name, topic.name(), new ByteArraySerializer(),
                Output.serializer(type, payload, topic.valueSerde().serializer(), limits), Names.LEARN);
    }

    /** The persistent, cached, logged model store. */
    public static StoreBuilder<KeyValueStore<String, ModelCheckpoint>> modelStore() {
        return modelStore(UnaryOperator.identity());
    }

    private static StoreBuilder<KeyValueStore<String, ModelCheckpoint>> modelStore(
            UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(supplier(Names.MODEL_STORE, stores), Serdes.String(),
                        StreamfitSerdes.modelCheckpoint())
                // The cache keeps only the latest checkpoint per model until the commit.
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The persistent, cached, logged versions store: the kept versions of every model, whole
     * checkpoints, so its changelog takes records as large as the model store's.
     */
    public static StoreBuilder<KeyValueStore<String, ModelVersion>> versionsStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.VERSIONS_STORE), Serdes.String(),
                        StreamfitSerdes.modelVersion())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The persistent, cached, logged good store: divergence recovery's rollback target per model
     * key, a whole model state, so its changelog takes records as large as the model store's.
     */
    public static StoreBuilder<KeyValueStore<String, GoodState>> goodStore() {
        return goodStore(UnaryOperator.identity());
    }

    private static StoreBuilder<KeyValueStore<String, GoodState>> goodStore(
            UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(supplier(Names.GOOD_STORE, stores), Serdes.String(),
                        StreamfitSerdes.goodState())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The logged store of the last record time per series and the task's record clock
     * ({@code model.idle.ttl}): 8 bytes a series, rewritten in the cache and sent once per commit.
     */
    public static StoreBuilder<KeyValueStore<String, Long>> activityStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.ACTIVITY_STORE), Serdes.String(),
                        Serdes.Long())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The logged store of the last accepted timestep per series ({@code model.scope=global}): 8
     * bytes a series, written with every accepted record into the cache and sent once per commit,
     * so the global model's checkpoint does not carry them.
     */
    public static StoreBuilder<KeyValueStore<String, Long>> seriesStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.SERIES_STORE), Serdes.String(),
                        Serdes.Long())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /**
     * The logged store of the delayed-labels join: features that wait for their labels (with the
     * predictions served for them) and labels that wait for their features, bounded by
     * {@code labels.max.wait.timesteps} and {@code labels.max.wait.ms}. Cached: an entry written and
     * rewritten within a commit interval reaches the changelog once.
     */
    public static StoreBuilder<KeyValueStore<String, byte[]>> labelsStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES);
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.LABELS_STORE), Serdes.String(),
                        Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }

    /** The logged store of timesteps that wait for their micro-batch (bounded: batch.timesteps per model). */
    public static StoreBuilder<KeyValueStore<String, byte[]>> pendingStore() {
        return pendingStore(UnaryOperator.identity());
    }

    private static StoreBuilder<KeyValueStore<String, byte[]>> pendingStore(
            UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        changelog.put("max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES);
        // Written at a commit, not per record: most micro-batches run before the commit that would log them.
        return WriteAtCommitStore.builder(Stores.keyValueStoreBuilder(supplier(Names.PENDING_STORE, stores),
                        Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled()
                .withLoggingEnabled(changelog));
    }

    /** The RocksDB store {@code name}, as {@code stores} wraps it (the identity in the service). */
    private static KeyValueBytesStoreSupplier supplier(String name, UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        KeyValueBytesStoreSupplier supplier = stores.apply(Stores.persistentKeyValueStore(name));
        if (supplier == null || !name.equals(supplier.name())) {
            throw new IllegalArgumentException("a store wrapper must keep the store's name " + name);
        }
        return supplier;
    }
}
