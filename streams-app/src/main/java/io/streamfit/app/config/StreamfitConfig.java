package io.streamfit.app.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import io.streamfit.model.ModelSpec;
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
    public static final String MODEL_CLASSES = "model.classes";
    public static final String MODEL_HIDDEN = "model.hidden";
    public static final String MODEL_ACTIVATION = "model.activation";
    public static final String MODEL_WINDOW = "model.window";
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
    public static final String BATCH_TIMESTEPS = "batch.timesteps";
    public static final String BATCH_MAX_WAIT_MS = "batch.max.wait.ms";
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
            .define(MODEL_KIND, Type.STRING, "regressor",
                    ValidString.in("regressor", "classifier", "seq-autoencoder", "lstm-regressor"), Importance.HIGH,
                    "Model kind: regressor (shared-weight MLP on every object); classifier, seq-autoencoder "
                            + "and lstm-regressor are reserved for later versions.")
            .define(MODEL_FEATURES, Type.INT, ConfigDef.NO_DEFAULT_VALUE, Range.between(1, 1_000_000), Importance.HIGH,
                    "m, the number of features per object. Records with another m go to the dead-letter topic.")
            .define(MODEL_CLASSES, Type.INT, null, Importance.MEDIUM,
                    "Number of classes (classifier only).")
            .define(MODEL_HIDDEN, Type.LIST, "64", Importance.HIGH,
                    "Hidden layer sizes, comma-separated (e.g. 64,32); empty means a linear model.")
            .define(MODEL_ACTIVATION, Type.STRING, "relu", ValidString.in("relu", "tanh", "sigmoid", "linear"),
                    Importance.MEDIUM, "Activation of the hidden layers.")
            .define(MODEL_WINDOW, Type.INT, 16, Range.atLeast(1), Importance.LOW,
                    "Timesteps per window (sequence models).")
            .define(MODEL_SCOPE, Type.STRING, SCOPE_SERIES, ValidString.in(SCOPE_SERIES, SCOPE_GLOBAL), Importance.HIGH,
                    "series: one model per series key (scales out with partitions); global: one model for all "
                            + "series, routed through a one-partition topic.")
            .define(MODEL_SEED, Type.LONG, 42L, Importance.LOW, "Weight initialisation seed.")
            .define(LOSS_WEIGHT, Type.DOUBLE, 0.5, Range.between(0.0, 1.0), Importance.HIGH,
                    "w in loss = w * mean object loss + (1 - w) * loss of the sum, in [0, 1].")
            .define(OPTIMIZER, Type.STRING, "adam", ValidString.in("sgd", "momentum", "adam"), Importance.HIGH,
                    "Optimizer: sgd, momentum or adam (adagrad, rmsprop, ftrl and neuron-mean-momentum come later).")
            .define(OPTIMIZER_LEARNING_RATE, Type.DOUBLE, 0.001, Range.atLeast(1e-12), Importance.HIGH,
                    "Learning rate (> 0).")
            .define(OPTIMIZER_MOMENTUM, Type.DOUBLE, 0.9, Range.between(0.0, 1.0), Importance.LOW,
                    "Momentum coefficient (momentum optimizer), in [0, 1].")
            .define(OPTIMIZER_NESTEROV, Type.BOOLEAN, false, Importance.LOW,
                    "Nesterov momentum (momentum optimizer).")
            .define(OPTIMIZER_BETA1, Type.DOUBLE, 0.9, Range.between(0.0, 1.0), Importance.LOW,
                    "Adam: decay of the first moment, in [0, 1).")
            .define(OPTIMIZER_BETA2, Type.DOUBLE, 0.999, Range.between(0.0, 1.0), Importance.LOW,
                    "Adam: decay of the second moment, in [0, 1).")
            .define(OPTIMIZER_EPSILON, Type.DOUBLE, 1e-8, Range.atLeast(0.0), Importance.LOW,
                    "Adam: epsilon added to the denominator.")
            .define(BATCH_TIMESTEPS, Type.INT, 1, Range.between(1, 4096), Importance.MEDIUM,
                    "Timesteps per update (micro-batch), per model: a batch is predicted in one call, then "
                            + "trained on in one update. 1 trains on every timestep.")
            .define(BATCH_MAX_WAIT_MS, Type.LONG, 50L, Range.atLeast(0), Importance.LOW,
                    "Longest a timestep waits for its micro-batch, in ms (wall clock); then the partial batch runs.")
            .define(MAX_OBJECTS, Type.INT, 4096, Range.atLeast(1), Importance.MEDIUM,
                    "A record with more objects goes to the dead-letter topic.")
            .define(MAX_RECORD_BYTES, Type.INT, 8 * 1024 * 1024, Range.atLeast(1), Importance.LOW,
                    "A record value larger than this (bytes) goes to the dead-letter topic unparsed.")
            .define(METRICS_WINDOW, Type.INT, 1000, Range.atLeast(1), Importance.LOW,
                    "Window of the prequential metrics, in timesteps (fading factor 1 - 1/window).")
            .define(TF_INTRA_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
                    "TensorFlow intra-op threads per model (0 = TensorFlow's default). 1 with "
                            + "tf.inter.op.threads=1 makes training deterministic.")
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

    private final Map<String, String> passThrough;

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
        if ("classifier".equals(getString(MODEL_KIND)) || getString(MODEL_KIND).startsWith("seq")
                || getString(MODEL_KIND).startsWith("lstm")) {
            throw new ConfigException(MODEL_KIND, getString(MODEL_KIND), "not available in this version; use regressor");
        }
        hidden(); // validate early
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
        Map<String, Double> params = new HashMap<>();
        params.put("momentum", getDouble(OPTIMIZER_MOMENTUM));
        params.put("nesterov", getBoolean(OPTIMIZER_NESTEROV) ? 1.0 : 0.0);
        params.put("beta1", getDouble(OPTIMIZER_BETA1));
        params.put("beta2", getDouble(OPTIMIZER_BETA2));
        params.put("epsilon", getDouble(OPTIMIZER_EPSILON));
        String opt = getString(OPTIMIZER);
        // Only the hyperparameters of the chosen optimizer enter its identity (the fingerprint).
        params.keySet().retainAll(switch (opt) {
            case "momentum" -> List.of("momentum", "nesterov");
            case "adam" -> List.of("beta1", "beta2", "epsilon");
            default -> List.of();
        });
        return new ModelSpec(getString(MODEL_KIND), features(), hidden(), getString(MODEL_ACTIVATION),
                getDouble(LOSS_WEIGHT),
                new ModelSpec.OptimizerSpec(opt, getDouble(OPTIMIZER_LEARNING_RATE), params),
                getLong(MODEL_SEED), getInt(TF_INTRA_OP_THREADS), getInt(TF_INTER_OP_THREADS));
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
        return String.format(Locale.ROOT, "model=%s m=%d hidden=%s act=%s scope=%s w=%s optimizer=%s lr=%s",
                getString(MODEL_KIND), features(), Arrays.toString(hidden()), getString(MODEL_ACTIVATION),
                getString(MODEL_SCOPE), getDouble(LOSS_WEIGHT), getString(OPTIMIZER), getDouble(OPTIMIZER_LEARNING_RATE));
    }
}
