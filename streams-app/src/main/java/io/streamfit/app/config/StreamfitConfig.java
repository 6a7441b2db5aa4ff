package io.streamfit.app.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ObjectLayout;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.kind.registry.ModelKinds;
import io.streamfit.model.LossOptions;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Optimizers;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import io.streamfit.schemas.ValueFormat;
import io.streamfit.app.registry.SchemaRegistryClient;
import java.time.Duration;

/**
 * The configuration as the service reads it: streamfit's keys as typed values, checked together
 * where one key's validity depends on others (the optimizer and its schedule, the model kind), and
 * every other key passed through to Kafka ({@link KafkaProperties}). The keys' definitions live in
 * {@link StreamfitConfigDef}; their names stay here because every caller already reaches them as
 * {@code StreamfitConfig.MODEL_FEATURES}.
 *
 * <p>Build it with {@link ConfigLoader} (properties file plus {@code STREAMFIT_*} environment
 * overrides) or directly from a map.
 */
public final class StreamfitConfig extends AbstractConfig {

    private final List<Challengers.Challenger> challengers;

    public static final String MODEL_KIND = "model.kind";
    public static final String MODEL_FEATURES = "model.features";
    public static final String MODEL_INPUT = "model.input";
    public static final String MODEL_HIDDEN = "model.hidden";
    public static final String MODEL_ACTIVATION = "model.activation";
    public static final String MODEL_SCOPE = "model.scope";
    public static final String MODEL_SEED = "model.seed";
    public static final String LOSS_WEIGHT = "loss.weight";
    public static final String LOSS_FUNCTION = "loss.function";
    public static final String LOSS_HUBER_DELTA = "loss.huber.delta";
    public static final String LOSS_SUM_NORMALIZATION = "loss.sum.normalization";
    public static final String OPTIMIZER = "optimizer";
    public static final String OPTIMIZER_LEARNING_RATE = "optimizer.learning.rate";
    public static final String OPTIMIZER_MOMENTUM = "optimizer.momentum";
    public static final String OPTIMIZER_NESTEROV = "optimizer.nesterov";
    public static final String OPTIMIZER_BETA1 = "optimizer.beta1";
    public static final String OPTIMIZER_BETA2 = "optimizer.beta2";
    public static final String OPTIMIZER_EPSILON = "optimizer.epsilon";
    public static final String OPTIMIZER_INITIAL_ACCUMULATOR = "optimizer.initial.accumulator";
    public static final String OPTIMIZER_RHO = "optimizer.rho";
    public static final String OPTIMIZER_CENTERED = "optimizer.centered";
    public static final String OPTIMIZER_LEARNING_RATE_POWER = "optimizer.learning.rate.power";
    public static final String OPTIMIZER_FTRL_L1 = "optimizer.ftrl.l1";
    public static final String OPTIMIZER_FTRL_L2 = "optimizer.ftrl.l2";
    public static final String OPTIMIZER_FTRL_L2_SHRINKAGE = "optimizer.ftrl.l2.shrinkage";
    public static final String OPTIMIZER_L1 = "optimizer.l1";
    public static final String OPTIMIZER_L2 = "optimizer.l2";
    public static final String OPTIMIZER_WEIGHT_DECAY = "optimizer.weight.decay";
    public static final String OPTIMIZER_CLIP_NORM = "optimizer.clip.norm";
    public static final String OPTIMIZER_SCHEDULE = "optimizer.schedule";
    public static final String OPTIMIZER_DECAY_RATE = "optimizer.decay.rate";
    public static final String OPTIMIZER_DECAY_STEPS = "optimizer.decay.steps";
    /** Prefix of every optimizer hyperparameter: model-side parameter {@code k} is key {@code optimizer.k}. */
    public static final String OPTIMIZER_PREFIX = "optimizer.";
    public static final String MODEL_IDLE_TTL = "model.idle.ttl";
    public static final String MODEL_IDLE_SCAN_KEYS = "model.idle.scan.keys";
    public static final String MODELS_CACHE_MAX_BYTES = "models.cache.max.bytes";
    public static final String BATCH_TIMESTEPS = "batch.timesteps";
    public static final String BATCH_MAX_WAIT_MS = "batch.max.wait.ms";
    public static final String BATCH_FLUSH_WHEN_IDLE = "batch.flush.when.idle";
    public static final String DECODE_AHEAD = "decode.ahead";
    public static final String MAX_OBJECTS = "max.objects";
    public static final String MAX_RECORD_BYTES = "max.record.bytes";
    public static final String MAX_ID_BYTES = "max.id.bytes";
    public static final String METRICS_WINDOW = "metrics.window";
    public static final String DIVERGENCE_LOSS_RATIO = "divergence.loss.ratio";
    public static final String DIVERGENCE_LOSS_WINDOW = "divergence.loss.window";
    public static final String DIVERGENCE_LR_FACTOR = "divergence.lr.factor";
    public static final String DIVERGENCE_LR_MIN_SCALE = "divergence.lr.min.scale";
    public static final String TF_INTRA_OP_THREADS = "tf.intra.op.threads";
    public static final String TF_INTER_OP_THREADS = "tf.inter.op.threads";
    public static final String ROCKSDB_MEMORY_BYTES = "rocksdb.memory.bytes";
    public static final String TOPIC_FEATURES = "topic.features";
    public static final String TOPIC_OBJECT_PREDICTIONS = "topic.object.predictions";
    public static final String OUTPUT_OBJECTS = "output.objects";
    public static final String TOPIC_SUM_PREDICTIONS = "topic.sum.predictions";
    public static final String TOPIC_ANOMALY_SCORES = "topic.anomaly.scores";
    public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
    public static final String TOPIC_LABELS = "topic.labels";
    public static final String LABELS_MAX_WAIT_TIMESTEPS = "labels.max.wait.timesteps";
    public static final String LABELS_MAX_WAIT_MS = "labels.max.wait.ms";
    public static final String TOPIC_MODEL_COMMANDS = "topic.model.commands";
    public static final String CHALLENGERS = "challengers";
    /** Prefix of a challenger's overrides, {@code challenger.NAME.<key>}, and of the promotion keys. */
    public static final String CHALLENGER_PREFIX = "challenger.";
    public static final String CHALLENGER_PROMOTE_MARGIN = "challenger.promote.margin";
    public static final String CHALLENGER_PROMOTE_AFTER = "challenger.promote.after";
    public static final String TOPIC_MODEL_EVENTS = "topic.model.events";
    public static final String MODEL_VERSIONS_EVERY = "model.versions.every";
    public static final String MODEL_VERSIONS_KEEP = "model.versions.keep";
    public static final String DRIFT_DETECTOR = "drift.detector";
    public static final String DRIFT_ACTION = "drift.action";
    public static final String DRIFT_PH_MIN_INSTANCES = "drift.page.hinkley.min.instances";
    public static final String DRIFT_PH_DELTA = "drift.page.hinkley.delta";
    public static final String DRIFT_PH_THRESHOLD = "drift.page.hinkley.threshold";
    public static final String DRIFT_PH_ALPHA = "drift.page.hinkley.alpha";
    public static final String DRIFT_ADWIN_DELTA = "drift.adwin.delta";
    public static final String DRIFT_ADWIN_CLOCK = "drift.adwin.clock";
    public static final String DRIFT_ADWIN_MIN_INSTANCES = "drift.adwin.min.instances";
    public static final String KAFKA_CONNECT_TIMEOUT_MS = "kafka.connect.timeout.ms";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String TOPICS_PARTITIONS = "topics.partitions";
    public static final String TOPICS_REPLICATION_FACTOR = "topics.replication.factor";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String HEALTH_STALL_TIMEOUT_MS = "health.stall.timeout.ms";
    public static final String MAX_ABS_FEATURE = "max.abs.feature";
    public static final String HTTP_THREADS = "http.threads";
    public static final String HTTP_QUEUE_SIZE = "http.queue.size";
    public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final String HTTP_IDLE_TIMEOUT_MS = "http.idle.timeout.ms";
    public static final String HTTP_MODELS_LIMIT_DEFAULT = "http.models.limit.default";
    public static final String HTTP_MODELS_LIMIT_MAX = "http.models.limit.max";

    public static final String VALUE_FORMAT = "value.format";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_BEARER_AUTH_TOKEN = "schema.registry.bearer.auth.token";
    public static final String SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SCHEMA_REGISTRY_CACHE_CAPACITY = "schema.registry.cache.capacity";
    public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String SCHEMA_REGISTRY_RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String SCHEMA_REGISTRY_UNAVAILABLE_MAX_MS = "schema.registry.unavailable.max.ms";

    public static final String SCOPE_SERIES = "series";
    public static final String SCOPE_GLOBAL = "global";

    private final KafkaProperties kafka;
    private final SecretMask secrets;
    private final ConfiguredKind kind;

    /**
     * @param props every key of the configuration: streamfit's own and Kafka's
     * @throws ConfigException if a streamfit key is missing or invalid
     */
    public StreamfitConfig(Map<String, ?> props) {
        super(StreamfitConfigDef.DEF, props, false);
        // originals() has the config providers' variables resolved; props has them as given.
        this.secrets = SecretMask.of(props, originals());
        this.kafka = new KafkaProperties(originals(), StreamfitConfigDef.DEF.names(), batchTimesteps(),
                batchMaxWaitMs(), getString(TOPIC_DEAD_LETTERS), getBoolean(DECODE_AHEAD));
        hidden(); // validate early
        try {
            // Ranges that ConfigDef cannot say (open intervals, schedule-specific rates) live in the
            // model module; build the optimizer once so that they fail here, with the key.
            ModelSpec.OptimizerSpec opt = optimizerSpec();
            Optimizers.create(opt);
            Optimizers.schedule(opt);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(OPTIMIZER, getString(OPTIMIZER), e.getMessage());
        }
        if (valueFormat() == ValueFormat.AVRO_REGISTRY && getString(SCHEMA_REGISTRY_URL).isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL, "", "value.format=avro-registry needs the schema "
                    + "registry's URL, e.g. schema.registry.url=http://localhost:8081");
        }
        this.kind = ModelKinds.configure(getString(MODEL_KIND), commonSettings(), this);
        // The layout groups object predictions; a kind that scores anomalies writes none to group.
        if (objectLayout() == ObjectLayout.PER_TIMESTEP && kind.sinks().contains(Outputs.Sink.ANOMALY_SCORES)) {
            throw new ConfigException(OUTPUT_OBJECTS, getString(OUTPUT_OBJECTS), "model.kind "
                    + getString(MODEL_KIND) + " writes anomaly scores, one record per object, and no object "
                    + "predictions; remove output.objects or set it to " + ObjectLayout.PER_OBJECT.configName());
        }
        this.challengers = Challengers.parse(this);
    }

    /** The challengers ({@code challengers}, {@code challenger.NAME.<key>}), in the order configured. */
    public List<Challengers.Challenger> challengers() {
        return challengers;
    }

    /** The settings every kind shares, as the kinds take them. */
    private CommonSettings commonSettings() {
        return new CommonSettings(features(), hidden(), getString(MODEL_ACTIVATION), getDouble(LOSS_WEIGHT),
                optimizerSpec(), getLong(MODEL_SEED), getInt(TF_INTRA_OP_THREADS), getInt(TF_INTER_OP_THREADS),
                getString(MODEL_INPUT), batchTimesteps(), lossOptions());
    }

    /** The regression loss of {@code loss.function}, {@code loss.huber.delta}, {@code loss.sum.normalization}. */
    private LossOptions lossOptions() {
        try {
            return new LossOptions(getString(LOSS_FUNCTION), getDouble(LOSS_HUBER_DELTA),
                    getString(LOSS_SUM_NORMALIZATION));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(LOSS_HUBER_DELTA, getDouble(LOSS_HUBER_DELTA), e.getMessage());
        }
    }

    /** The configured model kind: the model spec and everything kind-specific the pipeline runs. */
    public ConfiguredKind kind() {
        return kind;
    }

    /** The definition of every streamfit key (for documentation). */
    public static ConfigDef configDef() {
        return StreamfitConfigDef.DEF;
    }

    /** Keys that are not streamfit's: Kafka Streams and client properties, passed through unchanged. */
    public Map<String, String> kafkaProperties() {
        return kafka.passThrough();
    }

    /** Properties for {@link org.apache.kafka.streams.KafkaStreams}: the pass-through over streamfit's defaults. */
    public Properties streamsProperties() {
        return kafka.streams();
    }

    /**
     * The Kafka properties fit to print: a secret key's value is {@link KafkaProperties#HIDDEN}, and
     * so is every secret of this configuration inside the other values ({@link #secretMask()}).
     */
    public Map<String, String> redactedKafkaProperties() {
        return kafka.redacted(secrets);
    }

    /**
     * The secrets of this configuration, to hide in anything printed that may hold a configured
     * value (log lines, error messages): see {@link SecretMask}.
     */
    public SecretMask secretMask() {
        return secrets;
    }

    /** The connection and security settings for streamfit's other Kafka clients (demo producer, admin). */
    public Map<String, Object> clientProperties() {
        return kafka.client();
    }

    /** The hidden layer sizes. */
    public int[] hidden() {
        List<String> parts = getList(MODEL_HIDDEN);
        List<Integer> sizes = new ArrayList<>();
        for (String p : parts) {
            if (p.isBlank()) {
                continue;
            }
            try {
                int h = Integer.parseInt(p.trim());
                if (h < 1) {
                    throw new NumberFormatException();
                }
                sizes.add(h);
            } catch (NumberFormatException e) {
                throw new ConfigException(MODEL_HIDDEN, parts, "hidden sizes must be positive integers");
            }
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    public int features() {
        return getInt(MODEL_FEATURES);
    }

    public int maxObjects() {
        return getInt(MAX_OBJECTS);
    }

    public int maxRecordBytes() {
        return getInt(MAX_RECORD_BYTES);
    }

    /** The longest series or object id, in UTF-8 bytes ({@code max.id.bytes}). */
    public int maxIdBytes() {
        return getInt(MAX_ID_BYTES);
    }

    public int batchTimesteps() {
        return getInt(BATCH_TIMESTEPS);
    }

    /** {@code model.idle.ttl} in ms; 0 = series never expire. */
    public long modelIdleTtlMs() {
        return StreamfitConfigDef.durationMs(getString(MODEL_IDLE_TTL));
    }

    public long batchMaxWaitMs() {
        return getLong(BATCH_MAX_WAIT_MS);
    }

    /** Whether a partial micro-batch runs once its task's fetched input is drained ({@code batch.flush.when.idle}). */
    public boolean batchFlushWhenIdle() {
        return getBoolean(BATCH_FLUSH_WHEN_IDLE);
    }

    /** How object predictions leave ({@code output.objects}). */
    public ObjectLayout objectLayout() {
        return ObjectLayout.of(getString(OUTPUT_OBJECTS));
    }

    public boolean globalScope() {
        return SCOPE_GLOBAL.equals(getString(MODEL_SCOPE));
    }

    public int metricsWindow() {
        return getInt(METRICS_WINDOW);
    }

    /** {@code divergence.loss.ratio}: windowed loss over its best that rolls a model back; 0 = off. */
    public double divergenceLossRatio() {
        return getDouble(DIVERGENCE_LOSS_RATIO);
    }

    /** {@code divergence.loss.window}: micro-batches in the windowed loss. */
    public int divergenceLossWindow() {
        return getInt(DIVERGENCE_LOSS_WINDOW);
    }

    /** {@code divergence.lr.factor}: what each rollback multiplies the learning-rate scale by. */
    public double divergenceLrFactor() {
        return getDouble(DIVERGENCE_LR_FACTOR);
    }

    /** {@code divergence.lr.min.scale}: the lowest learning-rate scale. */
    public double divergenceLrMinScale() {
        return getDouble(DIVERGENCE_LR_MIN_SCALE);
    }

    /**
     * {@code rocksdb.memory.bytes}: the off-heap memory that every RocksDB store of the process
     * shares, in bytes; 0 leaves Kafka Streams' per-store defaults.
     */
    public long rocksdbMemoryBytes() {
        return getLong(ROCKSDB_MEMORY_BYTES);
    }

    /** The drift detector of every model and what a drift does ({@code drift.*}). */
    public io.streamfit.app.drift.DriftSettings driftSettings() {
        return new io.streamfit.app.drift.DriftSettings(getString(DRIFT_DETECTOR),
                io.streamfit.app.drift.DriftSettings.Action.of(getString(DRIFT_ACTION)),
                new io.streamfit.app.drift.DriftSettings.PageHinkleyParams(getInt(DRIFT_PH_MIN_INSTANCES),
                        getDouble(DRIFT_PH_DELTA), getDouble(DRIFT_PH_THRESHOLD), getDouble(DRIFT_PH_ALPHA)),
                new io.streamfit.app.drift.DriftSettings.AdwinParams(getDouble(DRIFT_ADWIN_DELTA),
                        getInt(DRIFT_ADWIN_CLOCK), getInt(DRIFT_ADWIN_MIN_INSTANCES)));
    }

    public String applicationId() {
        return kafka.applicationId();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** The model every key gets, as the model module takes it. */
    public ModelSpec modelSpec() {
        return kind.spec();
    }

    /**
     * The optimizer with its parameters: those of the chosen optimizer at their configured values
     * or its defaults, the common ones only when in use ({@link Optimizers#specParams}, which keeps
     * the model fingerprints of earlier versions).
     */
    public ModelSpec.OptimizerSpec optimizerSpec() {
        String opt = getString(OPTIMIZER);
        String schedule = getString(OPTIMIZER_SCHEDULE);
        return new ModelSpec.OptimizerSpec(opt, getDouble(OPTIMIZER_LEARNING_RATE),
                Optimizers.specParams(opt, this::optimizerParam, schedule), schedule);
    }

    /** Key optimizer.{@code param} as a number (flags as 0/1), or null when unset without default. */
    private Double optimizerParam(String param) {
        String key = OPTIMIZER_PREFIX + param;
        if (StreamfitConfigDef.DEF.configKeys().get(key).type == Type.BOOLEAN) {
            Boolean on = getBoolean(key);
            return on == null ? null : on ? 1.0 : 0.0;
        }
        return getDouble(key);
    }


    /**
     * The {@code max.message.bytes} of the topics streamfit creates: room for its largest possible
     * output ({@link OutputLimits#maxMessageBytes}), within what the producer sends.
     */
    public int outputMaxMessageBytes() {
        return OutputLimits.maxMessageBytes(maxRecordBytes(), kind.spec().classes(), kafka.producerRecordCeiling());
    }

    /**
     * New output limits that take every topic to accept {@link #outputMaxMessageBytes()} until told
     * otherwise (by the broker's topic configurations, or its refusals).
     */
    public OutputLimits outputLimits() {
        return new OutputLimits(outputMaxMessageBytes(), kafka.producerRecordCeiling());
    }

    /** {@code value.format}. */
    public ValueFormat valueFormat() {
        return ValueFormat.of(getString(VALUE_FORMAT));
    }

    /** The schema registry client's settings ({@code schema.registry.*}); the URL is empty unless configured. */
    public SchemaRegistryClient.Settings schemaRegistry() {
        return new SchemaRegistryClient.Settings(getString(SCHEMA_REGISTRY_URL).trim(),
                secret(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO), secret(SCHEMA_REGISTRY_BEARER_AUTH_TOKEN),
                getString(SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION), secret(SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD),
                getString(SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE), getInt(SCHEMA_REGISTRY_CACHE_CAPACITY),
                Duration.ofMillis(getInt(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS)), getLong(SCHEMA_REGISTRY_RETRY_BACKOFF_MAX_MS),
                Duration.ofMillis(getLong(KAFKA_CONNECT_TIMEOUT_MS)),
                Duration.ofMillis(getLong(SCHEMA_REGISTRY_UNAVAILABLE_MAX_MS)));
    }

    private String secret(String key) {
        org.apache.kafka.common.config.types.Password p = getPassword(key);
        return p == null ? null : p.value();
    }

    /** The topic names as configured. */
    public TopicRegistry topics() {
        return new TopicRegistry(getString(TOPIC_FEATURES), getString(TOPIC_OBJECT_PREDICTIONS),
                getString(TOPIC_SUM_PREDICTIONS), getString(TOPIC_ANOMALY_SCORES), getString(TOPIC_DEAD_LETTERS),
                getString(TOPIC_LABELS), getString(TOPIC_MODEL_COMMANDS), getString(TOPIC_MODEL_EVENTS));
    }


    /**
     * A short human-readable summary for the start-up log: streamfit's keys only, and any secret
     * in them (a value from a config provider) hidden.
     */
    public String summary() {
        return secrets.mask(String.format(Locale.ROOT, "model=%s%s m=%d hidden=%s act=%s scope=%s w=%s optimizer=%s lr=%s",
                getString(MODEL_KIND), kind.spec().classes() > 0 ? " classes=" + kind.spec().classes() : "", features(),
                Arrays.toString(hidden()), getString(MODEL_ACTIVATION),
                getString(MODEL_SCOPE), getDouble(LOSS_WEIGHT), optimizerSpec(), getDouble(OPTIMIZER_LEARNING_RATE))
                // Where records differ from the contract's defaults: how they are read and written.
                + (valueFormat() == ValueFormat.JSON ? "" : " value.format=" + getString(VALUE_FORMAT))
                + (objectLayout() == ObjectLayout.PER_OBJECT ? "" : " output.objects=" + getString(OUTPUT_OBJECTS)));
    }
}