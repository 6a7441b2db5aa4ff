package io.streamfit.app.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.topology.StreamfitTopology;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
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
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;

    public StreamfitApp(StreamfitConfig config, StreamfitMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
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
        KafkaAccess.checkLogin(admin, Duration.ofSeconds(30));
        if (config.getBoolean(StreamfitConfig.TOPICS_CREATE)) {
            TopicInitializer.createMissing(config, admin);
        }
        Topology topology = StreamfitTopology.build(config, metrics);
        // The exception handlers count their dead letters in the same meters as the processor.
        props.put(io.streamfit.app.errors.DeadLetterHandlers.METRICS_CONFIG, metrics);
        LOG.info("Starting streamfit: {} (application.id={}, bootstrap={}, guarantee={})", config.summary(),
                props.get(StreamsConfig.APPLICATION_ID_CONFIG), props.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG),
                props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        LOG.debug("Topology:\n{}", topology.describe());
        streams = new KafkaStreams(topology, props);
        streams.setGlobalStateRestoreListener(new RestoreTimer());
        streams.setUncaughtExceptionHandler(e -> {
            String access = KafkaAccess.explain(e);
            if (access != null) {
                LOG.error(access);
            }
            LOG.error("Stream thread failed; shutting the client down", e);
            fatal.set(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        streams.start();
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
    }

    /** Times the restoration of the model store from its changelog. */
    private final class RestoreTimer implements StateRestoreListener {
        private final Map<TopicPartition, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void onRestoreStart(TopicPartition tp, String store, long startOffset, long endOffset) {
            started.put(tp, System.nanoTime());
        }

        @Override
        public void onBatchRestored(TopicPartition tp, String store, long batchEndOffset, long numRestored) {
        }

        @Override
        public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
            Long t0 = started.remove(tp);
            if (t0 != null) {
                long nanos = System.nanoTime() - t0;
                metrics.recordRestore(nanos);
                LOG.info("Restored {} records of {} from {} in {} ms", totalRestored, store, tp, nanos / 1_000_000);
            }
        }
    }
}
