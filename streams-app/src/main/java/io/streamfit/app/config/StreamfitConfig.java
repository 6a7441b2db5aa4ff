package io.streamfit.app.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ModelKind;
import io.streamfit.app.kind.registry.ModelKinds;
import io.streamfit.model.Activation;
import io.streamfit.model.InputLayout;
import io.streamfit.model.LearningRateSchedule;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OptimizerParam;
import io.streamfit.model.Optimizers;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * streamfit's own configuration keys, each documented, defaulted and validated here, and the
 * pass-through of every other key to Kafka Streams and its clients.
 *
 * <p>Build it with {@link ConfigLoader} (properties file plus {@code STREAMFIT_*} environment
 * overrides) or directly from a map.
 */
public final class StreamfitConfig extends AbstractConfig {

    public static final String MODEL_KIND = "model.kind";
    public static final String MODEL_FEATURES = "model.features";
    public static final String MODEL_INPUT = "model.input";
    public static final String MODEL_HIDDEN = "model.hidden";
    public static final String MODEL_ACTIVATION = "model.activation";
    public static final String MODEL_SCOPE = "model.scope";
    public static final String MODEL_SEED = "model.seed";
    public static final String LOSS_WEIGHT = "loss.weight";
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
    public static final String BATCH_TIMESTEPS = "batch.timesteps";
    public static final String BATCH_MAX_WAIT_MS = "batch.max.wait.ms";
    public static final String BATCH_FLUSH_WHEN_IDLE = "batch.flush.when.idle";
    public static final String MAX_OBJECTS = "max.objects";
    public static final String MAX_RECORD_BYTES = "max.record.bytes";
    /** Streams property through which the exception handlers learn the dead-letter topic. */
    public static final String DEAD_LETTERS_TOPIC_FOR_HANDLERS = "streamfit.dead.letters.topic";
    public static final String METRICS_WINDOW = "metrics.window";
    public static final String TF_INTRA_OP_THREADS = "tf.intra.op.threads";
    public static final String TF_INTER_OP_THREADS = "tf.inter.op.threads";
    public static final String TOPIC_FEATURES = "topic.features";
    public static final String TOPIC_OBJECT_PREDICTIONS = "topic.object.predictions";
    public static final String TOPIC_SUM_PREDICTIONS = "topic.sum.predictions";
    public static final String TOPIC_ANOMALY_SCORES = "topic.anomaly.scores";
    public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String TOPICS_PARTITIONS = "topics.partitions";
    public static final String TOPICS_REPLICATION_FACTOR = "topics.replication.factor";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";

    public static final String SCOPE_SERIES = "series";
    public static final String SCOPE_GLOBAL = "global";

    /** Defaults for the Kafka keys that streamfit sets differently from Kafka. */
    public static final String DEFAULT_APPLICATION_ID = "streamfit";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    private static final ConfigDef DEF = new ConfigDef()
            .define(MODEL_KIND, Type.STRING, ModelKinds.DEFAULT, ValidString.in(ModelKinds.names().toArray(String[]::new)),
                    Importance.HIGH, kindDoc())
            .define(MODEL_FEATURES, Type.INT, ConfigDef.NO_DEFAULT_VALUE, Range.between(1, 1_000_000), Importance.HIGH,
                    "m, the number of features per object. Records with another m go to the dead-letter topic. "
                            + "Above a few thousand, use sparse input (model.input).")
            .define(MODEL_INPUT, Type.STRING, ModelSpec.INPUT_AUTO,
                    ValidString.in(InputLayout.configNames().toArray(String[]::new)), Importance.LOW,
                    "How features enter the first layer: dense (an [objects, m] matrix; sparse records are "
                            + "expanded), sparse (only the non-zero values, gathered from the weights; dense records are "
                            + "reduced to their non-zeros), or auto (sparse when m > 1024). Dense and sparse records "
                            + "mix in one stream either way.")
            .define(MODEL_HIDDEN, Type.LIST, "64", Importance.HIGH,
                    "Hidden layer sizes, comma-separated (e.g. 64,32); empty means a linear model.")
            .define(MODEL_ACTIVATION, Type.STRING, Activation.RELU.configName(),
                    ValidString.in(Activation.configNames().toArray(String[]::new)), Importance.MEDIUM,
                    "Activation of the hidden layers.")
            .define(MODEL_SCOPE, Type.STRING, SCOPE_SERIES, ValidString.in(SCOPE_SERIES, SCOPE_GLOBAL), Importance.HIGH,
                    "series: one model per series key (scales out with partitions); global: one model for all "
                            + "series, routed through the one-partition topic <application.id>-global-route.")
            .define(MODEL_SEED, Type.LONG, 42L, Importance.LOW, "Weight initialisation seed.")
            .define(LOSS_WEIGHT, Type.DOUBLE, 0.5, Range.between(0.0, 1.0), Importance.HIGH,
                    "w in loss = w * mean object loss + (1 - w) * loss of the sum, in [0, 1].")
            // Optimizer section: optimizer.<k> is the model's optimizer parameter k; those keys are
            // defined from Optimizers' declarations in defineOptimizerParams, below.
            .define(OPTIMIZER, Type.STRING, Optimizers.ADAM, ValidString.in(Optimizers.names().toArray(String[]::new)),
                    Importance.HIGH, "Optimizer: " + String.join(", ", Optimizers.names()) + ".")
            .define(OPTIMIZER_LEARNING_RATE, Type.DOUBLE, 0.001, Range.atLeast(1e-12), Importance.HIGH,
                    "Learning rate (> 0), before the schedule.")
            .define(OPTIMIZER_SCHEDULE, Type.STRING, LearningRateSchedule.CONSTANT,
                    ValidString.in(LearningRateSchedule.Kind.configNames().toArray(String[]::new)), Importance.MEDIUM,
                    "Learning-rate schedule by update count t: constant; exponential lr * rate^(t / steps); "
                            + "inverse-time lr / (1 + rate * t / steps).")
            .define(BATCH_TIMESTEPS, Type.INT, 1, Range.between(1, 4096), Importance.MEDIUM,
                    "Timesteps per update (micro-batch), per model: a batch is predicted in one call, then "
                            + "trained on in one update. 1 trains on every timestep.")
            .define(BATCH_MAX_WAIT_MS, Type.LONG, 50L, Range.atLeast(0), Importance.LOW,
                    "Longest a timestep waits for its micro-batch, in ms (wall clock); then the partial batch runs.")
            .define(BATCH_FLUSH_WHEN_IDLE, Type.BOOLEAN, true, Importance.LOW,
                    "Also run a partial micro-batch as soon as its task has processed every record fetched so far "
                            + "(no input for one punctuation tick, about 1 ms): batches then grow with the load "
                            + "instead of always waiting out batch.max.wait.ms. false: only full or timed-out batches run. "
                            + "With batch.timesteps > 1 streamfit sets Kafka's poll.ms to a quarter of "
                            + "batch.max.wait.ms, at most 5 ms, unless it is set, since Streams punctuates only "
                            + "between polls (an idle instance then spends about 2.5% of a core).")
            .define(MAX_OBJECTS, Type.INT, 4096, Range.atLeast(1), Importance.MEDIUM,
                    "A record with more objects goes to the dead-letter topic.")
            .define(MAX_RECORD_BYTES, Type.INT, 8 * 1024 * 1024, Range.atLeast(1), Importance.LOW,
                    "A record value larger than this (bytes) goes to the dead-letter topic unparsed.")
            .define(METRICS_WINDOW, Type.INT, 1000, Range.atLeast(1), Importance.LOW,
                    "Window of the prequential metrics, in timesteps (fading factor 1 - 1/window).")
            .define(TF_INTRA_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
                    "TensorFlow intra-op threads per model (0 = TensorFlow's default); TensorFlow keeps one "
                            + "intra-op pool per process, which the first model sizes. 1 with tf.inter.op.threads=1 "
                            + "makes training deterministic, and with 1 Adam uses the fused ApplyAdam kernel.")
            .define(TF_INTER_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
                    "TensorFlow inter-op threads per model (0 = TensorFlow's default).")
            .define(TOPIC_FEATURES, Type.STRING, TopicRegistry.FEATURES, Importance.MEDIUM, "Input topic.")
            .define(TOPIC_OBJECT_PREDICTIONS, Type.STRING, TopicRegistry.OBJECT_PREDICTIONS, Importance.MEDIUM,
                    "Output topic: one prediction per object per input record.")
            .define(TOPIC_SUM_PREDICTIONS, Type.STRING, TopicRegistry.SUM_PREDICTIONS, Importance.MEDIUM,
                    "Output topic: one sum prediction per input record.")
            .define(TOPIC_ANOMALY_SCORES, Type.STRING, TopicRegistry.ANOMALY_SCORES, Importance.LOW,
                    "Output topic of the sequence autoencoder.")
            .define(TOPIC_DEAD_LETTERS, Type.STRING, TopicRegistry.DEAD_LETTERS, Importance.MEDIUM,
                    "Bad input, with the reason in headers.")
            .define(TOPICS_CREATE, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Create streamfit's missing topics at start.")
            .define(TOPICS_PARTITIONS, Type.INT, 6, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of the topics streamfit creates.")
            .define(TOPICS_REPLICATION_FACTOR, Type.SHORT, (short) 1, Range.atLeast(1), Importance.MEDIUM,
                    "Replication factor of the topics streamfit creates.")
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Bind address of the HTTP server (metrics, health, model info).")
            .define(HTTP_PORT, Type.INT, 8080, Range.between(0, 65535), Importance.MEDIUM,
                    "Port of the HTTP server; 0 picks a free port.");

    static {
        defineOptimizerParams(DEF);
        // The kinds' own keys (model.classes, model.window, anomaly.*, ...) come from their plug-ins.
        ModelKinds.configKeys().forEach(DEF::define);
    }

    /** The doc of model.kind: every registered kind with its one-line description. */
    private static String kindDoc() {
        StringBuilder doc = new StringBuilder("Model kind:");
        for (ModelKind k : ModelKinds.all()) {
            doc.append(' ').append(k.name()).append(" (").append(k.description()).append(");");
        }
        doc.setCharAt(doc.length() - 1, '.');
        return doc.toString();
    }

    private final Map<String, String> passThrough;
    private final ConfiguredKind kind;

    /**
     * @param props every key of the configuration: streamfit's own and Kafka's
     * @throws ConfigException if a streamfit key is missing or invalid
     */
    public StreamfitConfig(Map<String, ?> props) {
        super(DEF, props, false);
        Map<String, String> rest = new HashMap<>();
        // originals() has the ${provider:path:key} variables resolved (config.providers); the
        // provider keys themselves stay here, so no client resolves (or logs) them a second time.
        originals().forEach((k, v) -> {
            if (!DEF.names().contains(k) && v != null && !k.equals(CONFIG_PROVIDERS_CONFIG)
                    && !k.startsWith(CONFIG_PROVIDERS_CONFIG + ".")) {
                rest.put(k, v.toString());
            }
        });
        this.passThrough = Map.copyOf(rest);
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
        this.kind = ModelKinds.configure(getString(MODEL_KIND), commonSettings(), this);
    }

    /** The settings every kind shares, as the kinds take them. */
    private CommonSettings commonSettings() {
        return new CommonSettings(features(), hidden(), getString(MODEL_ACTIVATION), getDouble(LOSS_WEIGHT),
                optimizerSpec(), getLong(MODEL_SEED), getInt(TF_INTRA_OP_THREADS), getInt(TF_INTER_OP_THREADS),
                getString(MODEL_INPUT), batchTimesteps());
    }

    /** The configured model kind: the model spec and everything kind-specific the pipeline runs. */
    public ConfiguredKind kind() {
        return kind;
    }

    /** The definition of every streamfit key (for documentation). */
    public static ConfigDef configDef() {
        return DEF;
    }

    /** Keys that are not streamfit's: Kafka Streams and client properties, passed through unchanged. */
    public Map<String, String> kafkaProperties() {
        return passThrough;
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

    public int batchTimesteps() {
        return getInt(BATCH_TIMESTEPS);
    }

    public long batchMaxWaitMs() {
        return getLong(BATCH_MAX_WAIT_MS);
    }

    /** Whether a partial micro-batch runs once its task's fetched input is drained ({@code batch.flush.when.idle}). */
    public boolean batchFlushWhenIdle() {
        return getBoolean(BATCH_FLUSH_WHEN_IDLE);
    }

    public boolean globalScope() {
        return SCOPE_GLOBAL.equals(getString(MODEL_SCOPE));
    }

    public int metricsWindow() {
        return getInt(METRICS_WINDOW);
    }

    public String applicationId() {
        return passThrough.getOrDefault(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
    }

    public String bootstrapServers() {
        return passThrough.getOrDefault(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
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
        if (DEF.configKeys().get(key).type == Type.BOOLEAN) {
            Boolean on = getBoolean(key);
            return on == null ? null : on ? 1.0 : 0.0;
        }
        return getDouble(key);
    }

    /**
     * Defines key {@code optimizer.<k>} for every parameter k that {@link Optimizers} declares:
     * a flag as a boolean, a number as a double within the parameter's range. Where every optimizer
     * that takes k has the same default, that is the key's; where they differ the key has none
     * (null: each optimizer takes its own) and the doc lists them.
     */
    private static void defineOptimizerParams(ConfigDef def) {
        for (OptimizerParam p : Optimizers.params()) {
            SortedMap<String, Double> defaults = Optimizers.defaultsByOptimizer(p.key());
            Set<Double> distinct = new HashSet<>(defaults.values());
            Double shared = distinct.size() == 1 ? distinct.iterator().next() : null;
            Importance importance = p.advanced() ? Importance.LOW : Importance.MEDIUM;
            String doc = optimizerParamDoc(p, defaults, shared == null);
            if (p.type() == OptimizerParam.Type.FLAG) {
                def.define(OPTIMIZER_PREFIX + p.key(), Type.BOOLEAN, shared == null ? null : shared == 1.0,
                        importance, doc);
            } else {
                // ConfigDef's ranges are closed: an open end passes here and the model rejects it
                // (checked in the constructor through Optimizers.create, with the key optimizer).
                OptimizerParam.Range r = p.range();
                Range range = r.max() == Double.POSITIVE_INFINITY ? Range.atLeast(r.min()) : Range.between(r.min(),
                        r.max());
                def.define(OPTIMIZER_PREFIX + p.key(), Type.DOUBLE, shared, shared == null ? optional(range) : range,
                        importance, doc);
            }
        }
    }

    /**
     * E.g. "adam, rmsprop: epsilon added to the denominator; &gt; 0. Default: 1e-8 for adam,
     * 1e-10 for rmsprop."
     */
    private static String optimizerParamDoc(OptimizerParam p, SortedMap<String, Double> defaults,
                                            boolean perOptimizer) {
        StringBuilder doc = new StringBuilder(Optimizers.COMMON_PARAMS.contains(p.key()) ? "Every optimizer"
                : String.join(", ", defaults.keySet()));
        doc.append(": ").append(p.doc());
        if (p.type() == OptimizerParam.Type.NUMBER) {
            doc.append("; ").append(p.range());
        }
        doc.append('.');
        if (perOptimizer) {
            Map<String, List<String>> byValue = new LinkedHashMap<>();
            defaults.forEach((optimizer, value) -> byValue.computeIfAbsent(p.type() == OptimizerParam.Type.FLAG
                    ? String.valueOf(value == 1.0) : formatNumber(value), v -> new ArrayList<>()).add(optimizer));
            List<String> parts = new ArrayList<>();
            byValue.forEach((value, optimizers) -> parts.add(value + " for " + and(optimizers)));
            doc.append(" Default: ").append(String.join(", ", parts)).append('.');
        }
        return doc.toString();
    }

    private static String and(List<String> items) {
        return items.size() == 1 ? items.get(0)
                : String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    /** A number as people write it: 0 and 1000 without ".0", 1e-8 rather than 1.0E-8. */
    static String formatNumber(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v).replace(".0E", "e").replace("E", "e");
    }

    /** A validator for optional numbers: null passes, anything else must lie in {@code range}. */
    private static ConfigDef.Validator optional(Range range) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null) {
                    range.ensureValid(name, value);
                }
            }

            @Override
            public String toString() {
                return range + " or unset";
            }
        };
    }

    /** The topic names as configured. */
    public TopicRegistry topics() {
        return new TopicRegistry(getString(TOPIC_FEATURES), getString(TOPIC_OBJECT_PREDICTIONS),
                getString(TOPIC_SUM_PREDICTIONS), getString(TOPIC_ANOMALY_SCORES), getString(TOPIC_DEAD_LETTERS));
    }

    /**
     * Properties for {@link org.apache.kafka.streams.KafkaStreams}: the pass-through keys over
     * streamfit's defaults (exactly-once v2, application id, bootstrap servers, large records).
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Checkpoints of big models exceed Kafka's 1 MB default record size.
        p.put(StreamsConfig.producerPrefix("max.request.size"), String.valueOf(64 * 1024 * 1024));
        // Streams lingers 100 ms by default; sum-predictions (one small record per input) rarely fill a
        // batch, so that linger is added to their latency. 5 ms cost no throughput in the e2e benchmark.
        p.put(StreamsConfig.producerPrefix("linger.ms"), "5");
        if (batchTimesteps() > 1) {
            // A partial micro-batch runs from a wall-clock punctuation, and Streams punctuates only
            // between polls: a poll that waits 100 ms (the default) for new input holds the batch as
            // long. Poll in steps of a quarter of the wait, at most 5 ms: an idle service then spends
            // about 2.5% of a core more than with 100 ms polls (1 ms polls: about 10%).
            long pollMs = Math.max(1, Math.min(batchMaxWaitMs() / 4, 5));
            p.put(StreamsConfig.POLL_MS_CONFIG, String.valueOf(pollMs));
        }
        // Kafka 5.0 enables it anyway; setting it now keeps Streams from warning at every start.
        p.put("processing.exception.handler.global.enabled", "true");
        // Ours, not Kafka's log-and-fail: whatever slips past the processor's own checks becomes a dead letter.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.streamfit.app.errors.DeadLetterDeserializationHandler.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.streamfit.app.errors.DeadLetterProcessingHandler.class.getName());
        p.put(DEAD_LETTERS_TOPIC_FOR_HANDLERS, getString(TOPIC_DEAD_LETTERS));
        p.putAll(passThrough);
        return p;
    }

    /**
     * The Kafka properties fit to print: the value of every secret (see {@link #isSecret}) is
     * replaced by {@code [hidden]}.
     */
    public Map<String, String> redactedKafkaProperties() {
        Map<String, String> out = new TreeMap<>();
        passThrough.forEach((k, v) -> out.put(k, isSecret(k) ? HIDDEN : v));
        return out;
    }

    /** What {@link #redactedKafkaProperties()} shows in place of a secret. */
    public static final String HIDDEN = "[hidden]";

    /**
     * Whether a key holds a secret: a key of type PASSWORD in Kafka's client or Streams
     * definitions (also behind a {@code producer.}, {@code consumer.}, {@code admin.} ... prefix),
     * such as {@code sasl.jaas.config} and {@code ssl.*.password}, or any key whose name speaks of
     * a password, secret, credentials, token or JAAS (for plugins whose keys Kafka does not know).
     */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (SECRET_WORDS.stream().anyMatch(k::contains)) {
            return true;
        }
        for (ConfigDef def : KAFKA_DEFS) {
            for (String name = key; ; name = name.substring(name.indexOf('.') + 1)) {
                ConfigDef.ConfigKey ck = def.configKeys().get(name);
                if (ck != null && ck.type == Type.PASSWORD) {
                    return true;
                }
                if (name.indexOf('.') < 0) {
                    break;
                }
            }
        }
        return false;
    }

    private static final List<String> SECRET_WORDS = List.of("password", "secret", "credential", "token", "jaas",
            "ssl.keystore.key", "ssl.keystore.certificate.chain", "basic.auth.user.info");

    private static final List<ConfigDef> KAFKA_DEFS = List.of(StreamsConfig.configDef(),
            org.apache.kafka.clients.producer.ProducerConfig.configDef(),
            org.apache.kafka.clients.consumer.ConsumerConfig.configDef(),
            org.apache.kafka.clients.admin.AdminClientConfig.configDef());

    /**
     * The pass-through keys that every Kafka client of streamfit takes besides Streams itself
     * (the demo's producer, the admin client): connection and security settings, those of
     * {@link org.apache.kafka.clients.CommonClientConfigs}, SASL and SSL.
     */
    public Map<String, Object> clientProperties() {
        Map<String, Object> out = new HashMap<>();
        java.util.Set<String> common = org.apache.kafka.clients.admin.AdminClientConfig.configNames();
        passThrough.forEach((k, v) -> {
            if (common.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** A short human-readable summary for the start-up log (no secrets: only streamfit's keys). */
    public String summary() {
        return String.format(Locale.ROOT, "model=%s%s m=%d hidden=%s act=%s scope=%s w=%s optimizer=%s lr=%s",
                getString(MODEL_KIND), kind.spec().classes() > 0 ? " classes=" + kind.spec().classes() : "", features(),
                Arrays.toString(hidden()), getString(MODEL_ACTIVATION),
                getString(MODEL_SCOPE), getDouble(LOSS_WEIGHT), optimizerSpec(), getDouble(OPTIMIZER_LEARNING_RATE));
    }
}
