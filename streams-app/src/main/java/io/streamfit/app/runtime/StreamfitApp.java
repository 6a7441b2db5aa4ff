package io.streamfit.app.runtime;

import java.time.Duration;
import io.streamfit.app.registry.SchemaRegistryClient;
import io.streamfit.schemas.ConfluentWire;
import io.streamfit.schemas.ValueFormat;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.DeadLetterHandlers;
import io.streamfit.app.errors.DeadLetterProductionHandler;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.metrics.ModelDirectory;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: topics, topology, the Kafka Streams client and its metrics. One instance
 * per process; the HTTP server reads {@link #state()} and {@link #metrics()}.
 */
public final class StreamfitApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamfitApp.class);

    private final StreamfitConfig config;
    private final StreamfitMetrics metrics;
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final OutputLimits limits;
    private final UnaryOperator<KeyValueBytesStoreSupplier> stores;
    /** Lowered limits that a thread replacement was granted for, and replacements granted since the last one. */
    private long refusalsAnswered;
    private int replacementsSinceRefusal;
    private volatile KafkaStreams streams;
    private volatile ModelDirectory directory;
    private KafkaStreamsMetrics streamsMetrics;
    private final RestoreTimer restoreTimer = new RestoreTimer();
    private org.apache.kafka.clients.admin.Admin watchAdmin;
    private ProgressWatch progress;

    public StreamfitApp(StreamfitConfig config, StreamfitMetrics metrics) {
        this(config, metrics, UnaryOperator.identity());
    }

    /**
     * The service with its model and pending stores wrapped by {@code stores}: a seam for
     * fault-injection tests only (a store that fails, a full disk), see
     * {@link StreamfitTopology#build(StreamfitConfig, io.streamfit.app.kind.ConfiguredKind, StreamfitMetrics,
     * OutputLimits, UnaryOperator)}. The CLI never calls it.
     */
    private SchemaRegistryClient registry;

    public StreamfitApp(StreamfitConfig config, StreamfitMetrics metrics,
                        UnaryOperator<KeyValueBytesStoreSupplier> stores) {
        this.config = config;
        this.metrics = metrics;
        this.limits = config.outputLimits();
        this.stores = stores;
    }

    /** Creates missing topics (when {@code topics.create}) and starts the Streams client. */
    public void start() throws Exception {
        Properties props = config.streamsProperties();
        Map<String, Object> admin = new HashMap<>();
        props.forEach((k, v) -> {
            String key = k.toString();
            if (AdminClientConfig.configNames().contains(key)) {
                admin.put(key, v);
            }
        });
        LOG.info("Kafka client settings: {}", config.redactedKafkaProperties());
        // Wrong credentials stop the service here, with a clear message, not later in a stream thread.
        KafkaAccess.checkLogin(admin, Duration.ofMillis(config.getLong(StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS)));
        Set<String> created = config.getBoolean(StreamfitConfig.TOPICS_CREATE)
                ? TopicInitializer.createMissing(config, admin) : Set.of();
        TopicInitializer.requireLabelsTopic(config, admin);
        TopicInitializer.readLimits(config, admin, limits, created);
        // Settings that do not fit the saved models stop the start here, in one line, rather than
        // a stream thread once the stores restored.
        Map<String, Object> client = new HashMap<>(config.clientProperties());
        client.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        SavedModels.check(config, client, Duration.ofMillis(config.getLong(StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS)));
        if (config.valueFormat() == ValueFormat.AVRO_REGISTRY) {
            registry = new SchemaRegistryClient(config.schemaRegistry());
            ConfluentWire.install(registry);
            LOG.info("value.format=avro-registry: schema registry {}", config.secretMask().mask(registry.url()));
        }
        Topology topology = StreamfitTopology.build(config, config.kind(), metrics, limits, stores);
        // The exception handlers count their dead letters in the same meters as the processor.
        props.put(DeadLetterHandlers.METRICS_CONFIG, metrics);
        // The sinks check outputs against the limits; the production handler lowers them when the
        // broker refuses a record all the same. Both must hold the same instance.
        props.put(DeadLetterHandlers.LIMITS_CONFIG, limits);
        BoundedRocksDbMemory.apply(props, config.rocksdbMemoryBytes());
        int threads = streamThreads(props);
        // Configured values, any of which may hold a secret (e.g. one read through a config provider).
        LOG.info("Starting streamfit: {}", config.secretMask().mask(String.format("%s (application.id=%s, "
                + "bootstrap=%s, guarantee=%s)", config.summary(), props.get(StreamsConfig.APPLICATION_ID_CONFIG),
                props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG), props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))));
        LOG.debug("Topology:\n{}", topology.describe());
        long cache = config.getLong(StreamfitConfig.MODELS_CACHE_MAX_BYTES);
        long heap = Runtime.getRuntime().maxMemory();
        if (heap != Long.MAX_VALUE && cache > heap / 2) {
            LOG.warn("{}={} is more than half the heap ({} bytes, -Xmx): the models in memory may leave too little "
                    + "for the rest; lower it or raise -Xmx", StreamfitConfig.MODELS_CACHE_MAX_BYTES, cache, heap);
        }
        streams = new KafkaStreams(topology, props);
        directory = StoreModelDirectory.of(streams, topology, config.kind().spec().fingerprint(), config.metricsWindow());
        streams.setGlobalStateRestoreListener(restoreTimer);
        streams.setUncaughtExceptionHandler(e -> {
            if (replaceAfterRefusal(e, threads)) {
                LOG.warn("Stream thread failed because the broker refused an output as too large ({}); its limit is "
                        + "lowered, so the replacement thread dead-letters that input instead", rootMessage(e));
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            ModelMismatchException mismatch = modelMismatch(e);
            if (mismatch != null) {
                // Settings that do not fit a saved model: what to change is the whole story, in one line.
                LOG.error("Stopping: {}", config.secretMask().mask(mismatch.getMessage()));
                fatal.set(e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            String access = KafkaAccess.explain(e);
            if (access != null) {
                LOG.error(config.secretMask().mask(access));
            }
            // Whatever reaches this handler stops the instance (FaultClass.INSTANCE); say so, and
            // what failed and why in one line, besides the stack trace.
            LOG.error("Stream thread failed on an instance fault: nothing is dead-lettered, the open transaction "
                    + "aborts and the client shuts down; fix the cause and restart. {}", causes(e), e);
            fatal.set(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        streams.start();
        long stallMs = config.getLong(StreamfitConfig.HEALTH_STALL_TIMEOUT_MS);
        if (stallMs > 0) {
            watchAdmin = org.apache.kafka.clients.admin.Admin.create(admin);
            Set<String> inputs = Set.of(config.getString(StreamfitConfig.TOPIC_FEATURES));
            progress = ProgressWatch.start(Duration.ofMillis(stallMs), watchAdmin, config.applicationId(),
                    () -> ownedInputs(inputs), restoreTimer::restoredSinceAsked);
            io.micrometer.core.instrument.Gauge.builder("streamfit.stalled.partitions", progress, w -> w.stalls().size())
                    .description("Input partitions of this instance with records to process whose committed offset has "
                            + "not moved for health.stall.timeout.ms")
                    .register(metrics.registry());
        }
    }

    /** The input partitions of this instance's active tasks, as its stream threads last reported them. */
    private Set<TopicPartition> ownedInputs(Set<String> inputs) {
        KafkaStreams s = streams;
        if (s == null || !healthy()) {
            return Set.of();
        }
        Set<TopicPartition> out = new java.util.HashSet<>();
        s.metadataForLocalThreads().forEach(thread -> thread.activeTasks().forEach(task -> task.topicPartitions()
                .stream().filter(tp -> inputs.contains(tp.topic())).forEach(out::add)));
        return out;
    }

    /** Input partitions that have not moved for {@code health.stall.timeout.ms} (empty when off or none). */
    public java.util.List<ProgressWatch.Stall> stalls() {
        ProgressWatch p = progress;
        return p == null ? java.util.List.of() : p.stalls();
    }

    /**
     * Whether a failed stream thread should be replaced: it failed because the broker refused an
     * output as too large, which with exactly-once aborts the whole transaction, so that the
     * production exception handler cannot save it ({@link DeadLetterProductionHandler}). The
     * handler lowered that topic's limit, so the replacement thread processes the input again and
     * the sink's check dead-letters it instead. Granted only while refusals keep lowering limits
     * (at most once per thread for each lowering): the limits cannot fall forever, so a failure that
     * does not go away stops the client rather than looping.
     */
    private synchronized boolean replaceAfterRefusal(Throwable e, int threads) {
        boolean refused = false;
        for (Throwable t = e; t != null && !refused; t = t.getCause() == t ? null : t.getCause()) {
            refused = t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException;
        }
        long lowerings = limits.lowerings();
        if (!refused || lowerings == 0) {
            return false;
        }
        if (lowerings > refusalsAnswered) {
            refusalsAnswered = lowerings;
            replacementsSinceRefusal = 0;
        }
        return replacementsSinceRefusal++ < Math.max(1, threads);
    }

    private static int streamThreads(Properties props) {
        try {
            return Integer.parseInt(String.valueOf(props.getOrDefault(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1")));
        } catch (NumberFormatException e) {
            return 1; // KafkaStreams refuses it, with the key
        }
    }

    /**
     * The messages of {@code e} and its causes in one line, outermost first, each once: what failed
     * (the store, the task) and why (e.g. "No space left on device").
     */
    public static String causes(Throwable e) {
        StringBuilder out = new StringBuilder();
        String last = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getClass().getSimpleName() + ": " + t.getMessage();
            if (t.getMessage() != null && t.getMessage().equals(last)) {
                continue;
            }
            out.append(out.length() == 0 ? "" : " <- caused by ").append(message);
            last = t.getMessage();
        }
        return out.toString();
    }

    /**
     * The {@link ModelMismatchException} among {@code e} and its causes (a saved model of another
     * shape stopped the start or a stream thread), or null.
     */
    public static ModelMismatchException modelMismatch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ModelMismatchException m) {
                return m;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** The Streams client state, or {@code null} before {@link #start()}. */
    public KafkaStreams.State state() {
        return streams == null ? null : streams.state();
    }

    /** Whether the service can process: RUNNING or REBALANCING. */
    public boolean healthy() {
        KafkaStreams.State s = state();
        return s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING;
    }

    /** The error that stopped a stream thread, if any. */
    public Throwable fatalError() {
        return fatal.get();
    }

    public StreamfitMetrics metrics() {
        return metrics;
    }

    /**
     * The models of this instance as its model stores hold them ({@link StoreModelDirectory}), or
     * null before {@link #start()}.
     */
    public ModelDirectory models() {
        return directory;
    }

    public StreamfitConfig config() {
        return config;
    }

    public KafkaStreams streams() {
        return streams;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Stops processing, commits and closes; waits at most {@code timeout}. */
    public void close(Duration timeout) {
        if (registry != null) {
            // First: a stream thread waiting out a registry outage stops waiting, so the close does not wait for it.
            registry.close();
        }
        if (streams != null) {
            // Leave the group at once: a restarted or surviving instance gets the tasks without
            // waiting out the session timeout.
            streams.close(org.apache.kafka.streams.CloseOptions
                    .groupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(timeout));
            streams = null;
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
            streamsMetrics = null;
        }
        if (progress != null) {
            progress.close();
            progress = null;
        }
        if (watchAdmin != null) {
            watchAdmin.close(Duration.ofSeconds(5));
            watchAdmin = null;
        }
        if (registry != null) {
            ConfluentWire.uninstall(registry);
            registry = null;
        }
    }

    /** Times the restoration of the model store from its changelog, and tells the progress watch that one happens. */
    private final class RestoreTimer implements StateRestoreListener {
        private final Map<TopicPartition, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicBoolean restored = new java.util.concurrent.atomic.AtomicBoolean();

        /** Whether a store began or went on restoring since the last call: progress, for {@link ProgressWatch}. */
        boolean restoredSinceAsked() {
            return restored.getAndSet(false);
        }

        @Override
        public void onRestoreStart(TopicPartition tp, String store, long startOffset, long endOffset) {
            started.put(tp, System.nanoTime());
            restored.set(true);
        }

        @Override
        public void onBatchRestored(TopicPartition tp, String store, long batchEndOffset, long numRestored) {
            restored.set(true);
        }

        @Override
        public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
            Long t0 = started.remove(tp);
            if (t0 != null) {
                long nanos = System.nanoTime() - t0;
                metrics.recordRestore(nanos);
                // Every store of every task reports, restored or not: only a restoration is news.
                if (totalRestored > 0) {
                    LOG.info("Restored {} records of {} from {} in {} ms", totalRestored, store, tp, nanos / 1_000_000);
                } else {
                    LOG.debug("Nothing to restore of {} from {}", store, tp);
                }
            }
        }
    }
}
