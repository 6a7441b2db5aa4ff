package io.streamfit.app.config;

import static io.streamfit.app.config.StreamfitConfig.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

import io.streamfit.app.kind.ModelKind;
import io.streamfit.app.kind.ObjectLayout;
import io.streamfit.app.kind.registry.ModelKinds;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.model.Activation;
import io.streamfit.model.InputLayout;
import io.streamfit.model.LearningRateSchedule;
import io.streamfit.model.LossOptions;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OptimizerParam;
import io.streamfit.model.Optimizers;
import io.streamfit.schemas.TopicRegistry;
import io.streamfit.schemas.ValueFormat;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * The definition of every streamfit key: its type, default, validation and documentation. It is
 * the one source of truth for both {@link StreamfitConfig}'s validation and docs/configuration.md
 * ({@link ConfigDocs}), so a key is described once. Keys that other registries own are generated
 * here rather than listed: the {@code optimizer.*} parameters from {@link Optimizers}, the kinds'
 * own keys and the valid {@code model.kind} values from {@link ModelKinds}, so that a new optimizer
 * or kind needs no edit in this package.
 */
final class StreamfitConfigDef {

    /** One shared instance, so that the docs render the very definitions that validate a configuration. */
    static final ConfigDef DEF = new ConfigDef()
            .define(MODEL_KIND, Type.STRING, ModelKinds.DEFAULT,
                    ValidString.in(ModelKinds.names().toArray(String[]::new)), Importance.HIGH, kindDoc())
            .define(MODEL_FEATURES, Type.INT, ConfigDef.NO_DEFAULT_VALUE, Range.between(1, 1_000_000),
                    Importance.HIGH,
                    "m, the number of features per object. Records with another m go to the dead-letter topic. "
                            + "Above a few thousand, use sparse input (model.input)." + SettingsChange.SHAPE_DOC)
            .define(MODEL_INPUT, Type.STRING, ModelSpec.INPUT_AUTO,
                    ValidString.in(InputLayout.configNames().toArray(String[]::new)), Importance.LOW,
                    "How features enter the first layer: dense (an [objects, m] matrix; sparse records are "
                            + "expanded), sparse (only the non-zero values, gathered from the weights; dense records are "
                            + "reduced to their non-zeros), or auto (sparse when m > 1024). Dense and sparse records "
                            + "mix in one stream either way.")
            .define(MODEL_HIDDEN, Type.LIST, "64", Importance.HIGH,
                    "Hidden layer sizes, comma-separated (e.g. 64,32); empty means a linear model."
                            + SettingsChange.SHAPE_DOC)
            .define(MODEL_ACTIVATION, Type.STRING, Activation.RELU.configName(),
                    ValidString.in(Activation.configNames().toArray(String[]::new)), Importance.MEDIUM,
                    "Activation of the hidden layers." + SettingsChange.SHAPE_DOC)
            .define(MODEL_SCOPE, Type.STRING, SCOPE_SERIES, ValidString.in(SCOPE_SERIES, SCOPE_GLOBAL), Importance.HIGH,
                    "series: one model per series key (scales out with partitions); global: one model for all "
                            + "series, routed through the one-partition topic <application.id>-global-route, with "
                            + "each series' last timestep in the store series-store (changelog <application.id>-"
                            + "series-store-changelog), not in the model's checkpoint.")
            .define(MODEL_IDLE_TTL, Type.STRING, "0", duration(), Importance.MEDIUM,
                    "A series with no record for this long, by record time (the task's largest record timestamp "
                            + "minus the series' last one), expires: its model, checkpoint, pending micro-batch "
                            + "(run first), windows and last timestep are deleted from the stores (tombstones on "
                            + "the changelogs) and it leaves /models and the metrics; a record of it later starts a "
                            + "new model at version 0, as a never-seen key does. With model.scope=global only the "
                            + "series' bookkeeping expires, never the model. ms or an ISO-8601 duration (PT24H, P7D); "
                            + "0 = off. Adds the store activity-store (changelog <application.id>-activity-store-"
                            + "changelog); series with state from before it was set expire once they send a record.")
            .define(MODEL_IDLE_SCAN_KEYS, Type.INT, 1000, Range.between(1, 1_000_000), Importance.LOW,
                    "Series the idle-expiry scan of a task looks at per second (model.idle.ttl > 0): a full pass "
                            + "over a task's series takes series / this seconds. A series that sends a record "
                            + "after its TTL expires then, whether or not the scan has reached it.")
            .define(MODELS_CACHE_MAX_BYTES, Type.LONG, 256L * 1024 * 1024, Range.atLeast(0), Importance.MEDIUM,
                    "Java heap, in bytes, that the models kept in memory may take together in this instance "
                    + "(their states as bytes, statistics and bookkeeping). The least recently used model of a "
                    + "task leaves memory (its pending micro-batch runs first) when the total is above it; "
                    + "its checkpoint in the model store is the truth, and it is read back when the key comes "
                    + "again. Every task keeps at least the model it is running. Every task runs its models on "
                    + "one shared TensorFlow graph, so native memory does not grow with the keys. Leave the "
                    + "heap room for it: at most half the heap is a safe setting.")
            .define(MODEL_SEED, Type.LONG, 42L, Importance.LOW, "Weight initialisation seed of new models (a saved "
                    + "model keeps its weights when it changes).")
            .define(LOSS_WEIGHT, Type.DOUBLE, 0.5, Range.between(0.0, 1.0), Importance.HIGH,
                    "w in loss = w * mean object loss + (1 - w) * loss of the sum, in [0, 1].")
            .define(LOSS_FUNCTION, Type.STRING, LossOptions.SQUARED, ValidString.in(LossOptions.SQUARED,
                    LossOptions.HUBER), Importance.MEDIUM,
                    "Regression kinds (regressor, lstm-regressor): the loss of a residual r, of objects and sums. "
                            + "squared: r^2. huber: r^2 within loss.huber.delta, delta * (2|r| - delta) beyond, so "
                            + "one wrong target pulls with a bounded force (2 delta) instead of one that grows with "
                            + "its error. Saved models learn with a new value from their next update.")
            .define(LOSS_HUBER_DELTA, Type.DOUBLE, LossOptions.HUBER_DELTA_DEFAULT, Range.atLeast(1e-12),
                    Importance.LOW, "loss.function=huber: the residual, in target units, beyond which the loss "
                            + "grows linearly (> 0).")
            .define(LOSS_SUM_NORMALIZATION, Type.STRING, LossOptions.SUM_MEAN, ValidString.in(LossOptions.SUM_MEAN,
                    LossOptions.SUM_NONE), Importance.LOW,
                    "Regression kinds: mean divides the sum residual by the timestep's object count k, so the sum "
                            + "term is the loss of the mean prediction against sumTarget / k: in object units, with a "
                            + "gradient that does not grow with k. none: the raw sum residual (versions before "
                            + "this key). Saved models learn with a new value from their next update.")
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
                            + "instead of always waiting out batch.max.wait.ms. false: only full or timed-out batches "
                            + "run. "
                            + "With batch.timesteps > 1 streamfit sets Kafka's poll.ms to a quarter of "
                            + "batch.max.wait.ms, at most 5 ms, unless it is set, since Streams punctuates only "
                            + "between polls (an idle instance then spends about 2.5% of a core).")
            .define(DECODE_AHEAD, Type.BOOLEAN, true, Importance.LOW,
                    "Decode and check each fetched input record on a helper thread while the stream thread "
                            + "processes the records before it (the outcome is the same; only the thread differs). "
                            + "Adds streamfit's consumer interceptor to main.consumer.interceptor.classes, after any "
                            + "set there. false: the stream thread decodes every record itself. Not in "
                            + "model.scope=global, whose records are decoded after the route topic.")
            .define(MAX_OBJECTS, Type.INT, 4096, Range.atLeast(1), Importance.MEDIUM,
                    "A record with more objects goes to the dead-letter topic.")
            .define(MAX_RECORD_BYTES, Type.INT, 8 * 1024 * 1024, Range.atLeast(1), Importance.LOW,
                    "A record value larger than this (bytes) goes to the dead-letter topic unparsed.")
            .define(MAX_ID_BYTES, Type.INT, 256, Range.between(1, 1 << 20), Importance.LOW,
                    "The longest series or object id, in UTF-8 bytes (the record key, series and objects[].id): "
                            + "a record with a longer one goes to the dead-letter topic, checked while it is "
                            + "decoded. Ids key the models and their state.")
            .define(MAX_ABS_FEATURE, Type.DOUBLE, io.streamfit.app.screen.TimestepValidator.DEFAULT_MAX_ABS_FEATURE, Range.atLeast(0),
                    Importance.LOW,
                    "A record with a feature value beyond plus or minus this goes to the dead-letter topic with "
                            + "reason feature-out-of-range: finite, but its forward pass would overflow float32 "
                            + "and roll a healthy model back, taking its micro-batch's other timesteps with it. The "
                            + "default is far beyond what a network learns from unscaled (raw units that large "
                            + "want features.scaling=standard, or a larger bound).")
            .define(METRICS_WINDOW, Type.INT, 1000, Range.atLeast(1), Importance.LOW,
                    "Window of the prequential metrics, in timesteps (fading factor 1 - 1/window).")
            .define(DIVERGENCE_LOSS_RATIO, Type.DOUBLE, 100.0, Range.atLeast(0.0), Importance.LOW,
                    "A model rolls back (and lowers its learning rate) when its windowed training loss rises above "
                            + "this multiple of the best windowed loss it reached; 0 turns this check off. A "
                            + "non-finite prediction or state always rolls back.")
            .define(DIVERGENCE_LOSS_WINDOW, Type.INT, 50, Range.between(1, 100_000), Importance.LOW,
                    "Micro-batches whose training losses make up the windowed loss of divergence.loss.ratio.")
            .define(DIVERGENCE_LR_FACTOR, Type.DOUBLE, 0.5, Range.between(0.0, 1.0), Importance.LOW,
                    "Each rollback multiplies the model's learning-rate scale by this factor, in [0, 1].")
            .define(DIVERGENCE_LR_MIN_SCALE, Type.DOUBLE, 0.01, Range.between(1e-9, 1.0), Importance.LOW,
                    "The learning-rate scale never goes below this, in (0, 1].")
            .define(TF_INTRA_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
                    "TensorFlow intra-op threads per model (0 = TensorFlow's default); TensorFlow keeps one "
                            + "intra-op pool per process, which the first model sizes. 1 with tf.inter.op.threads=1 "
                            + "makes training deterministic, and with 1 Adam uses the fused ApplyAdam kernel.")
            .define(TF_INTER_OP_THREADS, Type.INT, 1, Range.atLeast(0), Importance.LOW,
                    "TensorFlow inter-op threads per model (0 = TensorFlow's default).")
            .define(ROCKSDB_MEMORY_BYTES, Type.LONG, 128L * 1024 * 1024, Range.atLeast(0),
                    Importance.MEDIUM,
                    "Off-heap memory, in bytes, that all RocksDB state stores of the process share: one block "
                            + "cache (with their index and filter blocks) to which their memtables are charged too, "
                            + "half of it at most. The default, 128 MiB, holds any number of tasks; raise it when "
                            + "the model store is much larger than models.cache.max.bytes and cache loads are "
                            + "frequent. 0 keeps Kafka Streams' defaults: per store a 50 MiB block cache and up to "
                            + "3 memtables of 16 MiB, so that memory grows with the tasks (two or three stores each) "
                            + "an instance holds. A rocksdb.config.setter of your own replaces this.")
            .define(TOPIC_FEATURES, Type.STRING, TopicRegistry.FEATURES, Importance.MEDIUM, "Input topic.")
            .define(TOPIC_OBJECT_PREDICTIONS, Type.STRING, TopicRegistry.OBJECT_PREDICTIONS, Importance.MEDIUM,
                    "Output topic of the object predictions: one record per object per input record, or one "
                            + "per input record with output.objects=per-timestep.")
            .define(OUTPUT_OBJECTS, Type.STRING, ObjectLayout.PER_OBJECT.configName(),
                    ValidString.in(ObjectLayout.configNames()), Importance.MEDIUM,
                    "Layout of the object-predictions topic. per-object: one record per object per input "
                            + "record ({\"series\",\"timestep\",\"object\",\"prediction\",...}). per-timestep: one "
                            + "record per input record with every object's prediction in an objects array "
                            + "({\"series\",\"timestep\",\"modelVersion\",\"variant\",\"generation\",\"objects\":"
                            + "[{\"id\",\"prediction\",\"target\"},...]}; a classifier's objects add probabilities and "
                            + "predictedClass): fewer, larger records, a fraction of the producer's work per "
                            + "object. sum-predictions is the same in both. seq-autoencoder writes no object "
                            + "predictions and refuses per-timestep. A per-timestep record larger than its topic "
                            + "takes (a classifier with many classes and thousands of objects per record) "
                            + "dead-letters its input as output-too-large, with every object of it.")
            .define(TOPIC_SUM_PREDICTIONS, Type.STRING, TopicRegistry.SUM_PREDICTIONS, Importance.MEDIUM,
                    "Output topic: one sum prediction per input record.")
            .define(TOPIC_ANOMALY_SCORES, Type.STRING, TopicRegistry.ANOMALY_SCORES, Importance.LOW,
                    "Output topic of the sequence autoencoder.")
            .define(TOPIC_DEAD_LETTERS, Type.STRING, TopicRegistry.DEAD_LETTERS, Importance.MEDIUM,
                    "Bad input, with the reason in headers.")
            .define(TOPIC_LABELS, Type.STRING, TopicRegistry.LABELS, Importance.MEDIUM,
                    "Input topic of delayed labels: the targets of a timestep, keyed by series, joined with "
                            + "that timestep's features (which may come before or after them). Co-partitioned with "
                            + "the features topic: streamfit creates it with the same partition count and refuses "
                            + "to start when the two differ, or when it is missing and topics.create=false. The "
                            + "sequence kinds dead-letter labels (label-unsupported). Empty: no delayed labels; the "
                            + "app neither reads, creates nor needs a labels topic, has no labels-store, and "
                            + "predicts features without targets only.")
            .define(LABELS_MAX_WAIT_TIMESTEPS, Type.LONG, 1000L, Range.atLeast(0), Importance.MEDIUM,
                    "How many timesteps of its series features without targets wait for their labels: once "
                            + "the series is further ahead they are dropped (counted as expired), and labels that "
                            + "come later go to the dead letters (label-unmatched). The waiting features are kept "
                            + "in the store labels-store (changelog <application.id>-labels-store-changelog).")
            .define(LABELS_MAX_WAIT_MS, Type.LONG, 3_600_000L, Range.atLeast(0), Importance.MEDIUM,
                    "How long, in record time (the task's stream time minus the record's timestamp), features "
                            + "wait for their labels and labels that came first wait for their features; then they "
                            + "are dropped (features, counted as expired) or dead-lettered (labels, "
                            + "label-unmatched).")
            .define(TOPIC_MODEL_COMMANDS, Type.STRING, "model-commands", Importance.MEDIUM,
                    "Input topic of model commands, keyed by model key (global, or a series id): "
                            + "{\"command\":\"rollback\",\"toVersion\":12000}, {\"command\":\"reset\"}, "
                            + "{\"command\":\"promote\",\"challenger\":\"a\"}. Applied in order with the data of "
                            + "their key, exactly-once; a command that cannot apply goes to the dead letters. "
                            + "Co-partitioned with the features topic, like the labels topic. Who may write it is "
                            + "a Kafka ACL (docs/lifecycle.md).")
            .define(TOPIC_MODEL_EVENTS, Type.STRING, "model-events", Importance.MEDIUM,
                    "Output topic of the models' lifecycle changes, keyed by model key: rolled-back, reset, "
                            + "promoted, drift and diverged events.")
            .define(MODEL_VERSIONS_EVERY, Type.LONG, 1000L, Range.atLeast(0), Importance.MEDIUM,
                    "Keep a version of each model (its whole checkpoint and the input offsets it learned up "
                            + "to) every this many updates, in the store versions-store; a rollback command goes "
                            + "back to one. 0 keeps none.")
            .define(MODEL_VERSIONS_KEEP, Type.INT, 10, Range.between(1, 10_000), Importance.MEDIUM,
                    "Versions kept per model; the oldest goes when one more is kept.")
            .define(DRIFT_DETECTOR, Type.STRING, io.streamfit.app.drift.DriftSettings.PAGE_HINKLEY,
                    ValidString.in(io.streamfit.app.drift.DriftSettings.PAGE_HINKLEY,
                            io.streamfit.app.drift.DriftSettings.ADWIN, io.streamfit.app.drift.DriftSettings.NONE),
                    Importance.MEDIUM,
                    "Watches each model's prequential loss (per timestep: the objects' mean squared error, or "
                            + "mean log-loss) for a rise: page-hinkley (a cumulative sum of the relative excess "
                            + "over a fading mean), adwin (adaptive windowing) or none. Both are scale-free; a "
                            + "falling loss is never a drift. A drift is a model-events record and counts in "
                            + "streamfit_drift_total.")
            .define(DRIFT_ACTION, Type.STRING, "event", ValidString.in("event", "reset", "rollback"),
                    Importance.MEDIUM,
                    "What a drift does besides its event: event (nothing more), reset (the model starts over "
                            + "from new weights) or rollback (it goes back to its newest kept version from before "
                            + "the rise).")
            .define(DRIFT_PH_MIN_INSTANCES, Type.INT, io.streamfit.app.drift.PageHinkley.MIN_INSTANCES_DEFAULT,
                    Range.atLeast(1), Importance.LOW,
                    "page-hinkley: timesteps of a model (after its start, or a drift) before a drift can be "
                            + "reported.")
            .define(DRIFT_PH_DELTA, Type.DOUBLE, io.streamfit.app.drift.PageHinkley.DELTA_DEFAULT,
                    Range.atLeast(0.0), Importance.LOW,
                    "page-hinkley: the relative rise of the loss tolerated per timestep (0.1: 10%).")
            .define(DRIFT_PH_THRESHOLD, Type.DOUBLE, io.streamfit.app.drift.PageHinkley.THRESHOLD_DEFAULT,
                    Range.atLeast(1e-9), Importance.LOW,
                    "page-hinkley: the cumulative relative excess that reports a drift. The default reports a "
                            + "doubling of the loss after about 200 timesteps and stays quiet on stationary "
                            + "losses as noisy as one squared Gaussian error per timestep.")
            .define(DRIFT_PH_ALPHA, Type.DOUBLE, io.streamfit.app.drift.PageHinkley.ALPHA_DEFAULT,
                    Range.between(1e-9, 1.0), Importance.LOW,
                    "page-hinkley: fading factor of its mean and sum (1 - 1/window).")
            .define(DRIFT_ADWIN_DELTA, Type.DOUBLE, io.streamfit.app.drift.Adwin.DELTA_DEFAULT,
                    Range.between(1e-12, 0.999999), Importance.LOW,
                    "adwin: confidence of its split test (smaller: fewer, later reports).")
            .define(DRIFT_ADWIN_CLOCK, Type.INT, io.streamfit.app.drift.Adwin.CLOCK_DEFAULT, Range.atLeast(1),
                    Importance.LOW, "adwin: timesteps between two tests of its window.")
            .define(DRIFT_ADWIN_MIN_INSTANCES, Type.INT, io.streamfit.app.drift.Adwin.MIN_INSTANCES_DEFAULT,
                    Range.atLeast(1), Importance.LOW,
                    "adwin: timesteps whose mean loss becomes the scale of the losses it watches.")
            .define(CHALLENGERS, Type.LIST, "", Importance.MEDIUM,
                    "Names of challengers (e.g. a,b): other configurations of the model that learn from the "
                            + "same micro-batches as the champion, each in a model of its own per key, scored "
                            + "test-then-train like it; only the model that leads emits. challenger.NAME.<key> "
                            + "overrides a model.*, loss.* or optimizer.* key for that challenger (e.g. "
                            + "challenger.a.optimizer.learning.rate=0.01). Kinds with stores of their own (the "
                            + "sequence kinds) take none.")
            .define(CHALLENGER_PROMOTE_MARGIN, Type.DOUBLE, 0.05, Range.between(0.0, 0.999), Importance.MEDIUM,
                    "A challenger takes the lead when its windowed prequential loss has been below (1 - this) "
                            + "times the leader's for challenger.promote.after timesteps in a row (promoted event).")
            .define(CHALLENGER_PROMOTE_AFTER, Type.LONG, 2000L, Range.atLeast(1), Importance.MEDIUM,
                    "Timesteps in a row a challenger must lead by challenger.promote.margin to be promoted; any "
                            + "timestep short of it, and any promotion, starts the count over.")
            .define(KAFKA_CONNECT_TIMEOUT_MS, Type.LONG, 30_000L, Range.atLeast(1), Importance.MEDIUM,
                    "How long `streamfit run` (and `backfill`, `run --dry-run`) waits at start for the cluster "
                    + "(bootstrap.servers) to answer before it stops with exit code 2 and the address it tried. Raise it when the service may start well "
                    + "before its brokers.")
            .define(TOPICS_CREATE, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Create streamfit's missing topics at start.")
            .define(TOPICS_PARTITIONS, Type.INT, 6, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of the topics streamfit creates.")
            .define(TOPICS_REPLICATION_FACTOR, Type.SHORT, (short) 1, Range.atLeast(1), Importance.MEDIUM,
                    "Replication factor of the topics streamfit creates.")
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Bind address of the HTTP server (metrics, health, model info).")
            .define(HTTP_PORT, Type.INT, 8080, Range.between(0, 65535), Importance.MEDIUM,
                    "Port of the HTTP server; 0 picks a free port.")
            .define(HEALTH_STALL_TIMEOUT_MS, Type.LONG, 300_000L, Range.atLeast(0), Importance.LOW,
                    "An input partition this instance owns that has records to process but whose committed offset "
                    + "has not moved for this long (and no state restoration in between) is stalled: /health then "
                    + "answers 503 STALLED with the partitions, so that a liveness probe restarts the instance, and "
                    + "streamfit_stalled_partitions counts them. Checked every quarter of it, at most every 30 s, "
                    + "through the admin client. 0 = off.")
            .define(HTTP_THREADS, Type.INT, 4, Range.between(1, 256), Importance.LOW,
                    "Worker threads of /metrics and /models (a fixed pool). /health has a thread of its own, so "
                            + "busy workers never delay it.")
            .define(HTTP_QUEUE_SIZE, Type.INT, 64, Range.between(0, 100_000), Importance.LOW,
                    "Requests of /metrics and /models that may wait for a worker; one more is answered 503 with "
                            + "Retry-After at once instead of piling up.")
            .define(HTTP_READ_TIMEOUT_MS, Type.INT, 5_000, Range.between(100, 3_600_000), Importance.LOW,
                    "A connection must deliver a whole request line and headers within this many ms of opening, "
                            + "or of its previous response, or it is closed: a client that sends its request byte by "
                            + "byte or never finishes it (slowloris) keeps its connection no longer, and never holds a "
                            + "thread. Idle keep-alive connections close after it too.")
            .define(HTTP_IDLE_TIMEOUT_MS, Type.INT, 10_000, Range.between(100, 3_600_000), Importance.LOW,
                    "A connection on which no byte moves for this many ms is closed, e.g. one whose client does not "
                            + "read its response (its worker is free again).")
            .define(HTTP_MODELS_LIMIT_DEFAULT, Type.INT, 100, Range.between(1, 100_000), Importance.LOW,
                    "Models per page of GET /models without ?limit= (at most http.models.limit.max).")
            .define(HTTP_MODELS_LIMIT_MAX, Type.INT, 1000, Range.between(1, 100_000), Importance.LOW,
                    "Largest page of GET /models; a larger ?limit= is served this many. It bounds the memory "
                            + "one request takes, whatever the number of models.")
            .define(VALUE_FORMAT, Type.STRING, ValueFormat.JSON.configName(), ValidString.in(ValueFormat.names()),
                    Importance.HIGH,
                    "How topic values are encoded. json: input JSON or Avro single-object encoding (detected per "
                            + "record), outputs JSON. avro: the same input, outputs Avro single-object encoding. "
                            + "avro-registry: the inputs (features, labels) and the outputs (predictions, anomaly "
                            + "scores, model events) in the Confluent wire format of a schema registry (magic byte 0, "
                            + "4-byte schema id, Avro body; schema.registry.url): an input's writer schema is fetched "
                            + "by id and resolved to streamfit's, outputs are written with streamfit's schemas, "
                            + "registered at start under <topic>-value. Input in another format is dead-lettered "
                            + "(not-registry-format). Model commands stay JSON and dead letters the input's bytes in "
                            + "every format.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH,
                    "Base URL of a schema registry with the Confluent-compatible REST API (Confluent Schema "
                            + "Registry; Apicurio Registry under /apis/ccompat/v7; Karapace), e.g. "
                            + "https://registry:8081. Required by value.format=avro-registry.")
            .define(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
                    "user:password for HTTP basic authentication to the schema registry (a secret: hidden in "
                            + "logs and in the effective settings).")
            .define(SCHEMA_REGISTRY_BEARER_AUTH_TOKEN, Type.PASSWORD, null, Importance.MEDIUM,
                    "A bearer token for the schema registry, instead of basic authentication (a secret).")
            .define(SCHEMA_REGISTRY_SSL_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.LOW,
                    "A trust store (PKCS12 or JKS) of the certificates that an https schema registry is trusted "
                            + "by; empty: the JVM's default trust.")
            .define(SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                    "Password of schema.registry.ssl.truststore.location (a secret).")
            .define(SCHEMA_REGISTRY_SSL_TRUSTSTORE_TYPE, Type.STRING, "PKCS12", Importance.LOW,
                    "Type of schema.registry.ssl.truststore.location: PKCS12 or JKS.")
            .define(SCHEMA_REGISTRY_CACHE_CAPACITY, Type.INT, 1000, Range.between(1, 1_000_000), Importance.LOW,
                    "Writer schemas kept by id (least recently used goes first); the registry is asked once per "
                            + "id while it stays cached.")
            .define(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS, Type.INT, 10_000, Range.between(100, 600_000),
                    Importance.LOW, "How long one request to the schema registry may take.")
            .define(SCHEMA_REGISTRY_RETRY_BACKOFF_MAX_MS, Type.LONG, 1_000L, Range.between(100, 600_000),
                    Importance.LOW,
                    "While the schema registry cannot be asked (unreachable, HTTP 5xx, refused credentials), a "
                            + "request is repeated after 100 ms, doubling up to this.")
            .define(SCHEMA_REGISTRY_UNAVAILABLE_MAX_MS, Type.LONG, 5_000L, Range.between(0, 3_600_000),
                    Importance.LOW,
                    "How long input waits for a schema registry that cannot be asked for a writer schema not yet "
                            + "cached. A shorter outage only delays the input. A longer one stops the instance as an "
                            + "instance fault: nothing is dead-lettered, the open transaction aborts, and the records "
                            + "are read again at the next start (which waits for the registry at most "
                            + "kafka.connect.timeout.ms when it registers the output schemas, then fails naming it). "
                            + "Keep it below transaction.timeout.ms (10 s under exactly-once): a stream thread that "
                            + "waits longer finds its transaction aborted by the broker.");

    static {
        defineOptimizerParams(DEF);
        // The kinds' own keys (model.classes, model.window, anomaly.*, ...) come from their plug-ins.
        ModelKinds.configKeys().forEach(DEF::define);
    }

    private StreamfitConfigDef() {
    }

    /** The doc of model.kind: every registered kind with its one-line description. */
    private static String kindDoc() {
        StringBuilder doc = new StringBuilder("Model kind:");
        for (ModelKind k : ModelKinds.all()) {
            doc.append(' ').append(k.name()).append(" (").append(k.description()).append(");");
        }
        doc.setCharAt(doc.length() - 1, '.');
        return doc + SettingsChange.SHAPE_DOC;
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
            if (Optimizers.PARAM_CLIP_NORM.equals(p.key())) {
                // Unset must stay distinguishable from a given 0 (off, as before the default existed):
                // the model applies Optimizers.CLIP_NORM_DEFAULT to an absent clip (see its doc).
                shared = null;
            }
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

    /** Durations: a number of ms (>= 0) or an ISO-8601 duration. */
    private static ConfigDef.Validator duration() {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                try {
                    durationMs((String) value);
                } catch (IllegalArgumentException e) {
                    throw new org.apache.kafka.common.config.ConfigException(name, value, e.getMessage());
                }
            }

            @Override
            public String toString() {
                return "ms >= 0 or an ISO-8601 duration (PT24H, P7D)";
            }
        };
    }

    /**
     * A duration as the configuration writes it, in ms: a number of ms or an ISO-8601 duration.
     *
     * @throws IllegalArgumentException when it is neither, or negative
     */
    static long durationMs(String value) {
        String v = value == null ? "" : value.trim();
        long ms;
        try {
            if (v.startsWith("P") || v.startsWith("p")) {
                ms = java.time.Duration.parse(v.toUpperCase(java.util.Locale.ROOT)).toMillis();
            } else {
                ms = Long.parseLong(v);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: give ms or ISO-8601 (PT24H, P7D)");
        }
        if (ms < 0) {
            throw new IllegalArgumentException("a duration must not be negative");
        }
        return ms;
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
}
