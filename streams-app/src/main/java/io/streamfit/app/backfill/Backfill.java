package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.byTopic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.screen.LabelScreen;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code streamfit backfill}: trains the configured models on the history of the input topics (the
 * features topic and the labels topic), N passes (epochs), and leaves them where {@code run} finds them.
 *
 * <ol>
 *   <li>Refuses to start while the application's consumer group ({@code application.id}) has
 *       members: {@code run} and backfill must not train the same models at once
 *       ({@link GroupGuard}).</li>
 *   <li>Fixes the range: every partition of the features and the labels topic from its beginning
 *       (or from the first offset at or after a timestamp) to its end as of now; later records are
 *       left to {@code run}. A missing labels topic is an empty one (the service creates it); one of
 *       another partition count is refused, as the service refuses it. Reads with a plain
 *       {@code read_committed} consumer in no group ({@link HistoryRange}).</li>
 *   <li>Starts each model from its latest checkpoint in {@code <application.id>-model-store-changelog},
 *       if it has one ({@link ChangelogCheckpoints}).</li>
 *   <li>Each pass ({@link Passes}) reads the range in one fixed order ({@link TimestampMerge}),
 *       skips what the stream processor would have sent to the dead letters ({@link HistoryScreen};
 *       nothing is written to the dead-letter topic), joins the labels with their features as the
 *       stream's join does ({@link HistoryLabelJoin}, within {@code labels.max.wait.timesteps} and
 *       {@code labels.max.wait.ms}), optionally shuffles through a seeded {@link ShuffleBuffer}
 *       (pass e of 1..N uses seed S + e), and trains in micro-batches ({@link BackfillTrainer}).</li>
 *   <li>Checks the group again, then, in one Kafka transaction ({@link CheckpointTransaction}),
 *       writes each model's checkpoint to the changelog partition of its task (creating the
 *       changelog as Streams would if it is missing) and sets the group's committed offsets of both
 *       input topics to the end of the range, so that {@code run} continues after the history with the trained
 *       models; a failure leaves neither.</li>
 * </ol>
 *
 * <p>Memory: the shuffle buffer's records, up to {@value #MAX_QUEUED_PER_PARTITION} fetched records
 * per partition (and the consumer's fetch buffers, at their default sizes), one open model with
 * one pending batch per model key, and what the label join holds within its wait bounds (as the
 * service's labels store holds it); never the history.
 */
public final class Backfill {

    private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);

    /** The instruction in the refusal when the service is running. */
    public static final String STOP_RUN_FIRST = "stop `streamfit run` first";

    /** Fetched records queued per partition before its fetching pauses. */
    static final int MAX_QUEUED_PER_PARTITION = 2_000;

    /**
     * What to train and how.
     *
     * @param epochs          passes over the history (>= 1)
     * @param fromTimestampMs start at the first offset at or after this time (epoch ms), or null
     *                        for the beginning of every partition
     * @param shuffleBuffer   records in the shuffle buffer (>= 0; 0 reads in input order)
     * @param seed            seed S of the shuffle; pass e (1..epochs) uses S + e
     * @param batchTimesteps  timesteps per update (>= 1)
     */
    public record Options(int epochs, Long fromTimestampMs, int shuffleBuffer, long seed, int batchTimesteps) {
        public Options {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (shuffleBuffer < 0) {
                throw new IllegalArgumentException("shuffle buffer must be >= 0 records, got " + shuffleBuffer);
            }
            if (batchTimesteps < 1) {
                throw new IllegalArgumentException("batch must be >= 1 timesteps, got " + batchTimesteps);
            }
        }
    }

    /** Hears how the backfill goes; called on the thread that runs it. */
    public interface Listener {
        /** Called every ~100 ms of a pass. */
        default void progress(Progress progress) {
        }

        /** Called once at the end of every pass, with {@code passDone == passTotal}. */
        default void passFinished(Progress progress) {
        }
    }

    /**
     * What the labels topic's records of one pass became (every pass joins the same way).
     *
     * @param matched         label records that joined their features: each is one timestep to train on
     * @param expired         features without targets that waited for labels past the bounds and got none
     * @param unmatched       label records that found no features within the bounds ({@code label-unmatched})
     * @param duplicate       label records for an object or sum labelled before ({@code label-duplicate})
     * @param waitingFeatures features still waiting for labels at the end of the range: labels that come
     *                        for them later reach {@code run}, which does not hold them, as unmatched
     * @param waitingLabels   label records still waiting for their features at the end of the range
     */
    public record LabelCounts(long matched, long expired, long unmatched, long duplicate, long waitingFeatures,
                              long waitingLabels) {

        /** No labels in the range. */
        public static final LabelCounts NONE = new LabelCounts(0, 0, 0, 0, 0, 0);
    }

    /**
     * What a backfill did.
     *
     * @param models          every model trained, in the order they first had a record
     * @param passLosses      mean update loss of each pass (NaN for a pass without an update)
     * @param skipped         records of one pass that {@code run} would have sent to the dead letters, by reason
     *                        (features and labels)
     * @param trainedPerPass  records of the features topic of one pass that were trained on
     * @param offsetsPerPass  offsets in the range (records plus any transaction markers)
     * @param steps           model calls, all passes
     * @param skippedUpdates  updates the divergence guard skipped, all passes
     * @param endOffsets      where the range ends, now the group's committed offsets (both topics)
     * @param changelogTopic  where the checkpoints went
     * @param wallNanos       time of the whole backfill, nanoseconds
     * @param labels          what the labels of one pass became
     * @param labelsMissing   whether the labels topic does not exist (the history is the features alone)
     */
    public record Result(List<TrainedModel> models, List<Double> passLosses, Map<String, Long> skipped,
                         long trainedPerPass, long offsetsPerPass, long steps, long skippedUpdates,
                         Map<TopicPartition, Long> endOffsets, String changelogTopic, long wallNanos,
                         LabelCounts labels, boolean labelsMissing) {
    }

    private final StreamfitConfig config;
    private final Options options;
    private final Listener listener;
    private final CheckpointTransaction.BeforeCommit beforeCommit;
    private final String applicationId;
    private final String inputTopic;
    private final String labelsTopic;
    private final String changelogTopic;

    public Backfill(StreamfitConfig config, Options options, Listener listener) {
        this(config, options, listener, CheckpointTransaction.NONE);
    }

    /** @param beforeCommit run inside the transaction, after every write and before the commit */
    Backfill(StreamfitConfig config, Options options, Listener listener, CheckpointTransaction.BeforeCommit beforeCommit) {
        this.config = config;
        this.options = options;
        this.listener = listener;
        this.beforeCommit = beforeCommit;
        this.applicationId = config.applicationId();
        this.inputTopic = config.topics().features().name();
        // Null with topic.labels empty: the app takes no delayed labels, and backfill reads none.
        this.labelsTopic = config.topics().labels().map(io.streamfit.schemas.Topic::name).orElse(null);
        this.changelogTopic = changelogTopic(applicationId);
    }

    /** The changelog topic of the model store of {@code applicationId}. */
    public static String changelogTopic(String applicationId) {
        return applicationId + "-" + Names.MODEL_STORE + "-changelog";
    }

    /**
     * Runs the whole backfill.
     *
     * @throws BackfillRefused when the service runs, the model kind is a sequence kind, the topic
     *         is missing, a checkpoint is of another model spec, a series spans partitions, ...
     * @throws KafkaAccess.AuthenticationFailed when the cluster rejects the credentials
     */
    public Result run() throws InterruptedException, ExecutionException, TimeoutException {
        if (config.valueFormat() != io.streamfit.schemas.ValueFormat.AVRO_REGISTRY) {
            return runDecoding();
        }
        // The history is in the registry's wire format: its screen reads it through the registry, as the service does.
        try (io.streamfit.app.registry.SchemaRegistryClient registry =
                     new io.streamfit.app.registry.SchemaRegistryClient(config.schemaRegistry())) {
            io.streamfit.schemas.ConfluentWire.install(registry);
            try {
                return runDecoding();
            } finally {
                io.streamfit.schemas.ConfluentWire.uninstall(registry);
            }
        }
    }

    private Result runDecoding() throws InterruptedException, ExecutionException, TimeoutException {
        long t0 = System.nanoTime();
        ConfiguredKind kind = config.kind();
        if (kind.backfillRefusal() != null) {
            throw new BackfillRefused("model.kind=" + kind.kind().name() + " " + kind.backfillRefusal());
        }
        Map<String, Object> common = new HashMap<>(config.clientProperties());
        common.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        KafkaAccess.checkLogin(common, Duration.ofMillis(config.getLong(StreamfitConfig.KAFKA_CONNECT_TIMEOUT_MS)));
        try (Admin admin = Admin.create(common);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                     BackfillClients.consumerProperties(common, false),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            GroupGuard group = GroupGuard.check(admin, applicationId,
                    labelsTopic == null ? Set.of(inputTopic) : Set.of(inputTopic, labelsTopic));
            HistoryRange range = HistoryRange.find(consumer, inputTopic, labelsTopic, options.fromTimestampMs(),
                    config.bootstrapServers());
            boolean labelsMissing = range.labels().isEmpty();
            if (labelsMissing && labelsTopic != null) {
                LOG.info("Labels topic {} does not exist: backfill trains on the features alone", labelsTopic);
            }
            int taskPartitions = config.globalScope() ? 1 : range.features().size();
            ChangelogCheckpoints changelog = new ChangelogCheckpoints(config, changelogTopic, taskPartitions);
            Map<String, ModelCheckpoint> existing = changelog.read(common);
            LOG.info("Backfill of {} and {} over {} passes: offsets {} to {} by partition; {} existing checkpoints",
                    inputTopic, labelsTopic, options.epochs(), byTopic(range.start()), byTopic(range.end()),
                    existing.size());

            HistoryScreen screen = new HistoryScreen(TimestepValidator.forKind(kind, config.maxObjects(),
                    config.maxRecordBytes()).withMaxAbsFeature(config.getDouble(StreamfitConfig.MAX_ABS_FEATURE)),
                    config.maxRecordBytes(), config.maxIdBytes(), config.globalScope());
            try (BackfillTrainer trainer = new BackfillTrainer(kind, options.batchTimesteps(), config.metricsWindow(),
                    existing)) {
                LabelScreen labelScreen = new LabelScreen(kind.supervision(), config.maxObjects(),
                        config.maxRecordBytes(), config.maxIdBytes(), Math.max(1, kind.spec().classes()));
                long maxWaitTimesteps = config.getLong(StreamfitConfig.LABELS_MAX_WAIT_TIMESTEPS);
                long maxWaitMs = config.getLong(StreamfitConfig.LABELS_MAX_WAIT_MS);
                // Without labels in the range nothing joins: the passes are those of a features-only history.
                Passes.LabelJoins joins = range.labelOffsets() == 0 ? s -> null
                        : s -> new HistoryLabelJoin(labelsTopic, kind.joinsLabels(), config.globalScope(), maxWaitTimesteps,
                                maxWaitMs, labelScreen, s);
                Passes passes = new Passes(consumer, range, screen, trainer, options, listener, joins);
                Passes.PassStats first = null;
                List<Double> losses = new ArrayList<>();
                long trainStart = System.nanoTime();
                for (int pass = 1; pass <= options.epochs(); pass++) {
                    Passes.PassStats stats = passes.run(pass, trainStart);
                    losses.add(trainer.passLoss());
                    if (first == null) {
                        first = stats;
                    }
                }

                group.checkAgain();
                commitCheckpointsAndOffsets(admin, changelog, trainer.checkpoints(System.currentTimeMillis()),
                        range.end());
                return new Result(trainer.summaries(), List.copyOf(losses), first.skipped, first.trained,
                        range.offsets(), trainer.steps(), trainer.skippedUpdates(), Map.copyOf(range.end()),
                        changelogTopic, System.nanoTime() - t0, first.labels, labelsMissing);
            } catch (ModelMismatchException e) {
                throw new BackfillRefused(e.getMessage(), e);
            }
        }
    }

    /**
     * Writes the checkpoints to the changelog partitions of their tasks and sets the application's
     * committed offsets of both input topics to the end of the range, in one transaction, creating the changelog
     * first if the service never ran.
     */
    private void commitCheckpointsAndOffsets(Admin admin, ChangelogCheckpoints changelog,
                                             Map<String, BackfillTrainer.PartitionedCheckpoint> checkpoints,
                                             Map<TopicPartition, Long> end)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (!checkpoints.isEmpty()) {
            changelog.createIfMissing(admin);
        }
        Map<String, Object> props = new HashMap<>(config.clientProperties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try {
            CheckpointTransaction.commit(props, applicationId, changelogTopic, checkpoints, end, beforeCommit);
        } catch (KafkaException e) {
            throw new IllegalStateException("could not write the checkpoints to " + changelogTopic + " and set the "
                    + "offsets of application '" + applicationId + "' to " + byTopic(end) + " (" + e
                    + "); neither was written, the models and offsets are as before the backfill", e);
        }
        LOG.info("Wrote {} checkpoints to {} and set the offsets of application '{}' to {}, in one transaction",
                checkpoints.size(), changelogTopic, applicationId, byTopic(end));
    }
}
