package io.streamfit.app.backfill;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.names.Names;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.app.runtime.KafkaAccess;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code streamfit backfill}: trains the configured models on the history of the input topic, N
 * passes (epochs), and leaves them where {@code run} finds them.
 *
 * <ol>
 *   <li>Refuses to start while the application's consumer group ({@code application.id}) has
 *       members: {@code run} and backfill must not train the same models at once.</li>
 *   <li>Fixes the range: every partition of the input topic from its beginning (or from the first
 *       offset at or after a timestamp) to its end as of now; later records are left to
 *       {@code run}. Reads with a plain {@code read_committed} consumer in no group.</li>
 *   <li>Starts each model from its latest checkpoint in {@code <application.id>-model-store-changelog},
 *       if it has one.</li>
 *   <li>Each pass reads the range in one fixed order ({@link TimestampMerge}), skips what the stream
 *       processor would have sent to the dead letters ({@link HistoryScreen}; nothing is written
 *       to the dead-letter topic), optionally shuffles through a seeded {@link ShuffleBuffer}
 *       (pass e of 1..N uses seed S + e), and trains in micro-batches ({@link BackfillTrainer}).</li>
 *   <li>Checks the group again, then, in one Kafka transaction ({@link CheckpointTransaction}),
 *       writes each model's checkpoint to the changelog partition of its task (creating the
 *       changelog as Streams would if it is missing) and sets the group's committed input offsets
 *       to the end of the range, so that {@code run} continues after the history with the trained
 *       models; a failure leaves neither.</li>
 * </ol>
 *
 * <p>Memory: the shuffle buffer's records, up to {@value #MAX_QUEUED_PER_PARTITION} fetched records
 * per partition (and the consumer's fetch buffers, at their default sizes), and one open model with
 * one pending batch per model key; never the history.
 */
public final class Backfill {

    private static final Logger LOG = LoggerFactory.getLogger(Backfill.class);

    /** The instruction in the refusal when the service is running. */
    public static final String STOP_RUN_FIRST = "stop `streamfit run` first";

    /** Fetched records queued per partition before its fetching pauses. */
    static final int MAX_QUEUED_PER_PARTITION = 2_000;

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** How long a pass may go without reading anything before backfill gives up. */
    private static final Duration STALL = Duration.ofMinutes(2);
    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

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
     * What a backfill did.
     *
     * @param models          every model trained, in the order they first had a record
     * @param passLosses      mean update loss of each pass (NaN for a pass without an update)
     * @param skipped         records of one pass that {@code run} would have sent to the dead letters, by reason
     * @param trainedPerPass  records of one pass that were trained on
     * @param offsetsPerPass  offsets in the range (records plus any transaction markers)
     * @param steps           model calls, all passes
     * @param skippedUpdates  updates the divergence guard skipped, all passes
     * @param endOffsets      where the range ends, now the group's committed offsets
     * @param changelogTopic  where the checkpoints went
     * @param wallNanos       time of the whole backfill, nanoseconds
     */
    public record Result(List<TrainedModel> models, List<Double> passLosses, Map<String, Long> skipped,
                         long trainedPerPass, long offsetsPerPass, long steps, long skippedUpdates,
                         Map<TopicPartition, Long> endOffsets, String changelogTopic, long wallNanos) {
    }

    private final StreamfitConfig config;
    private final Options options;
    private final Listener listener;
    private final CheckpointTransaction.BeforeCommit beforeCommit;
    private final String applicationId;
    private final String inputTopic;
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
        long t0 = System.nanoTime();
        ConfiguredKind kind = config.kind();
        if (kind.backfillRefusal() != null) {
            throw new BackfillRefused("model.kind=" + kind.kind().name() + " " + kind.backfillRefusal());
        }
        Map<String, Object> common = new HashMap<>(config.clientProperties());
        common.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        KafkaAccess.checkLogin(common, Duration.ofSeconds(30));
        try (Admin admin = Admin.create(common);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(common, false),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            requireNoMembers(admin);
            Map<TopicPartition, OffsetAndMetadata> committedAtStart = committedInputOffsets(admin);

            List<TopicPartition> partitions = partitionsOf(consumer, inputTopic);
            if (partitions.isEmpty()) {
                throw new BackfillRefused("input topic " + inputTopic + " does not exist on "
                        + config.bootstrapServers());
            }
            int taskPartitions = config.globalScope() ? 1 : partitions.size();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            Map<TopicPartition, Long> start = startOffsets(consumer, partitions, end);
            Map<String, ModelCheckpoint> existing;
            try (KafkaConsumer<byte[], byte[]> changelog = new KafkaConsumer<>(consumerProperties(common, true),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                existing = existingCheckpoints(changelog, taskPartitions);
            }
            LOG.info("Backfill of {} over {} passes: offsets {} to {} by partition; {} existing checkpoints",
                    inputTopic, options.epochs(), byPartition(start), byPartition(end), existing.size());

            HistoryScreen screen = new HistoryScreen(TimestepValidator.forKind(kind, config.maxObjects()),
                    config.maxRecordBytes(), config.globalScope());
            try (BackfillTrainer trainer = new BackfillTrainer(kind, options.batchTimesteps(), config.metricsWindow(),
                    existing)) {
                PassStats first = null;
                List<Double> losses = new ArrayList<>();
                long trainStart = System.nanoTime();
                for (int pass = 1; pass <= options.epochs(); pass++) {
                    PassStats stats = pass(pass, consumer, screen, trainer, start, end, trainStart);
                    losses.add(trainer.passLoss());
                    if (first == null) {
                        first = stats;
                    }
                }

                // The service may have been started (and stopped) while we trained: then its
                // models learned records we did not see, and our checkpoints would undo that.
                requireNoMembers(admin);
                if (!committedInputOffsets(admin).equals(committedAtStart)) {
                    throw new BackfillRefused("application '" + applicationId + "' committed input offsets while "
                            + "backfill ran, so `streamfit run` was started in the meantime; nothing was written. "
                            + "Stop it and run backfill again");
                }
                commitCheckpointsAndOffsets(admin, trainer.checkpoints(System.currentTimeMillis()), taskPartitions, end);
                long total = 0;
                for (TopicPartition tp : partitions) {
                    total += end.get(tp) - start.get(tp);
                }
                return new Result(trainer.summaries(), List.copyOf(losses), first.skipped, first.trained, total,
                        trainer.steps(), trainer.skippedUpdates(), Map.copyOf(end), changelogTopic,
                        System.nanoTime() - t0);
            } catch (ModelMismatchException e) {
                throw new BackfillRefused(e.getMessage(), e);
            }
        }
    }

    /** Counts of one pass. */
    private static final class PassStats {
        final Map<String, Long> skipped = new TreeMap<>();
        long trained;
        long skippedTotal;
    }

    private PassStats pass(int pass, KafkaConsumer<byte[], byte[]> consumer, HistoryScreen screen,
                           BackfillTrainer trainer, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
                           long trainStart) {
        PassStats stats = new PassStats();
        screen.beginPass();
        trainer.beginPass(pass);
        ShuffleBuffer<Sample> shuffle = new ShuffleBuffer<>(options.shuffleBuffer(), options.seed() + pass);

        List<TopicPartition> partitions = new ArrayList<>(start.keySet());
        consumer.assign(partitions);
        consumer.resume(partitions);
        Map<Integer, TopicPartition> byNumber = new TreeMap<>();
        Map<Integer, Long> readTo = new HashMap<>();
        long total = 0;
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, start.get(tp));
            byNumber.put(tp.partition(), tp);
            readTo.put(tp.partition(), start.get(tp));
            total += end.get(tp) - start.get(tp);
        }
        TimestampMerge<byte[], byte[]> merge = new TimestampMerge<>(byNumber.keySet());
        for (TopicPartition tp : partitions) {
            if (start.get(tp) >= end.get(tp)) {
                merge.finish(tp.partition());
                consumer.pause(List.of(tp));
            }
        }
        long done = 0;
        long lastReport = System.nanoTime();
        long lastRead = lastReport;
        while (true) {
            ConsumerRecord<byte[], byte[]> r;
            while ((r = merge.next()) != null) {
                HistoryScreen.Outcome outcome = screen.screen(r);
                if (outcome.sample() != null) {
                    stats.trained++;
                    shuffle.add(outcome.sample(), trainer::train);
                } else {
                    stats.skippedTotal++;
                    stats.skipped.merge(outcome.rejection().reason(), 1L, Long::sum);
                    if (pass == 1) {
                        LOG.debug("Skipping {}-{}@{}: {} ({})", r.topic(), r.partition(), r.offset(),
                                outcome.rejection().reason(), outcome.rejection().message());
                    }
                }
                done += r.offset() + 1 - readTo.put(r.partition(), r.offset() + 1);
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_EVERY_NANOS) {
                    lastReport = now;
                    listener.progress(new Progress(pass, options.epochs(), done, total, now - trainStart,
                            trainer.passLoss(), stats.skippedTotal));
                }
            }
            if (merge.done()) {
                break;
            }
            for (Map.Entry<Integer, TopicPartition> e : byNumber.entrySet()) {
                if (merge.isOpen(e.getKey())) {
                    if (merge.queued(e.getKey()) >= MAX_QUEUED_PER_PARTITION) {
                        consumer.pause(List.of(e.getValue()));
                    } else {
                        consumer.resume(List.of(e.getValue()));
                    }
                }
            }
            int fetched = 0;
            for (ConsumerRecord<byte[], byte[]> f : consumer.poll(Duration.ofMillis(200))) {
                if (f.offset() < end.get(new TopicPartition(f.topic(), f.partition()))) {
                    merge.add(f);
                    fetched++;
                }
            }
            for (Map.Entry<Integer, TopicPartition> e : byNumber.entrySet()) {
                TopicPartition tp = e.getValue();
                if (merge.isOpen(e.getKey()) && consumer.position(tp, TIMEOUT) >= end.get(tp)) {
                    merge.finish(e.getKey());
                    consumer.pause(List.of(tp));
                }
            }
            long now = System.nanoTime();
            if (fetched > 0) {
                lastRead = now;
            } else if (now - lastRead > STALL.toNanos()) {
                throw new IllegalStateException("pass " + pass + " read nothing from " + inputTopic + " for "
                        + STALL.toSeconds() + " s; positions " + positions(consumer, partitions) + ", range end "
                        + byPartition(end));
            }
        }
        shuffle.drain(trainer::train);
        trainer.endPass();
        Progress last = new Progress(pass, options.epochs(), total, total, System.nanoTime() - trainStart,
                trainer.passLoss(), stats.skippedTotal);
        listener.passFinished(last);
        return stats;
    }

    /** Offsets by partition number, in partition order, for messages. */
    private static Map<Integer, Long> byPartition(Map<TopicPartition, Long> offsets) {
        Map<Integer, Long> out = new TreeMap<>();
        offsets.forEach((tp, o) -> out.put(tp.partition(), o));
        return out;
    }

    private static Map<Integer, Long> positions(KafkaConsumer<?, ?> consumer, List<TopicPartition> partitions) {
        Map<Integer, Long> out = new TreeMap<>();
        partitions.forEach(tp -> out.put(tp.partition(), consumer.position(tp, TIMEOUT)));
        return out;
    }

    /** Where each partition's range starts. */
    private Map<TopicPartition, Long> startOffsets(KafkaConsumer<?, ?> consumer, List<TopicPartition> partitions,
                                                   Map<TopicPartition, Long> end) {
        if (options.fromTimestampMs() == null) {
            return consumer.beginningOffsets(partitions, TIMEOUT);
        }
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, options.fromTimestampMs()));
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, TIMEOUT);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp at = found.get(tp);
            // No record at or after the time: the partition's range is empty.
            out.put(tp, at == null ? end.get(tp) : Math.min(at.offset(), end.get(tp)));
        }
        return out;
    }

    private static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, TIMEOUT);
        List<TopicPartition> out = new ArrayList<>();
        if (infos != null) {
            infos.forEach(i -> out.add(new TopicPartition(topic, i.partition())));
        }
        out.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
        return out;
    }

    /**
     * The latest checkpoint per model key in the model store's changelog (a tombstone deletes),
     * read to its end; empty when the changelog does not exist yet.
     *
     * @throws BackfillRefused when the changelog's partitions do not match the application's tasks
     */
    private Map<String, ModelCheckpoint> existingCheckpoints(KafkaConsumer<byte[], byte[]> consumer,
                                                             int taskPartitions) {
        List<TopicPartition> partitions = partitionsOf(consumer, changelogTopic);
        if (partitions.isEmpty()) {
            return Map.of();
        }
        if (partitions.size() != taskPartitions) {
            throw new BackfillRefused(changelogTopic + " has " + partitions.size() + " partitions but the application "
                    + "has " + taskPartitions + " tasks (" + inputTopic + " and model.scope="
                    + (config.globalScope() ? "global" : "series") + "); was the topic or the scope changed?");
        }
        Deserializer<String> keys = new StringDeserializer();
        Deserializer<ModelCheckpoint> values = StreamfitSerdes.modelCheckpoint().deserializer();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
        Map<String, byte[]> latest = new HashMap<>();
        long deadline = System.nanoTime() + STALL.toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp, TIMEOUT) < end.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + changelogTopic + " to its end " + byPartition(end)
                        + " within " + STALL.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                String key = keys.deserialize(r.topic(), r.key());
                if (r.value() == null) {
                    latest.remove(key);
                } else {
                    latest.put(key, r.value());
                }
            }
        }
        Map<String, ModelCheckpoint> out = new HashMap<>();
        latest.forEach((k, v) -> out.put(k, values.deserialize(changelogTopic, v)));
        return out;
    }

    /** @throws BackfillRefused when the application's consumer group has members */
    private void requireNoMembers(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
        // A group of the new Streams rebalance protocol (group.protocol=streams) is no consumer
        // group: describing it as one would find no members, and its offsets are altered otherwise.
        for (GroupListing g : admin.listGroups().all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            if (g.groupId().equals(applicationId) && g.type().orElse(null) == GroupType.STREAMS) {
                throw new BackfillRefused("application '" + applicationId + "' uses the streams rebalance protocol "
                        + "(group.protocol=streams); backfill supports the classic protocol, Kafka Streams' default");
            }
        }
        ConsumerGroupDescription group;
        try {
            group = admin.describeConsumerGroups(List.of(applicationId)).describedGroups().get(applicationId)
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return;
            }
            throw e;
        }
        if (!group.members().isEmpty()) {
            throw new BackfillRefused("application '" + applicationId + "' is running: its consumer group has "
                    + group.members().size() + " active member(s) (state " + group.groupState() + "). "
                    + "Backfill and the service must not train the same models at once: " + STOP_RUN_FIRST
                    + ", then run backfill again");
        }
    }

    /** The group's committed offsets on the input topic. */
    private Map<TopicPartition, OffsetAndMetadata> committedInputOffsets(Admin admin)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> all;
        try {
            all = admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of();
            }
            throw e;
        }
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        all.forEach((tp, om) -> {
            if (tp.topic().equals(inputTopic) && om != null) {
                out.put(tp, om);
            }
        });
        return out;
    }

    /**
     * Writes the checkpoints to the changelog partitions of their tasks and sets the application's
     * committed input offsets to the end of the range, in one transaction. Creates the changelog
     * first if the service never ran: compacted, with the model store's record size limit, the
     * partitions of the tasks and Streams' {@code replication.factor}.
     */
    private void commitCheckpointsAndOffsets(Admin admin, Map<String, BackfillTrainer.PartitionedCheckpoint> checkpoints,
                                             int taskPartitions, Map<TopicPartition, Long> end)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (!checkpoints.isEmpty()
                && !admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).contains(changelogTopic)) {
            String rf = config.kafkaProperties().get(StreamsConfig.REPLICATION_FACTOR_CONFIG);
            Optional<Short> replication = rf == null || Short.parseShort(rf.trim()) < 1
                    ? Optional.empty() : Optional.of(Short.parseShort(rf.trim()));
            NewTopic topic = new NewTopic(changelogTopic, Optional.of(taskPartitions), replication)
                    .configs(Map.of("cleanup.policy", "compact",
                            "max.message.bytes", Names.CHANGELOG_MAX_MESSAGE_BYTES));
            try {
                admin.createTopics(List.of(topic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("Created {} with {} partitions", changelogTopic, taskPartitions);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        Map<String, Object> props = new HashMap<>(config.clientProperties());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try {
            CheckpointTransaction.commit(props, applicationId, changelogTopic, checkpoints, end, beforeCommit);
        } catch (KafkaException e) {
            throw new IllegalStateException("could not write the checkpoints to " + changelogTopic + " and set the "
                    + "offsets of application '" + applicationId + "' to " + byPartition(end) + " (" + e
                    + "); neither was written, the models and offsets are as before the backfill", e);
        }
        LOG.info("Wrote {} checkpoints to {} and set the offsets of application '{}' to {}, in one transaction",
                checkpoints.size(), changelogTopic, applicationId, byPartition(end));
    }

    /**
     * Consumer properties: the client's connection and security keys, read_committed, no group.
     *
     * @param checkpoints whether it reads the changelog, whose records (big models) exceed the
     *                    default fetch sizes; the input keeps the defaults, so that what the
     *                    consumer buffers does not grow with the history
     */
    private static Map<String, Object> consumerProperties(Map<String, Object> common, boolean checkpoints) {
        Map<String, Object> p = new HashMap<>(common);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, checkpoints ? "streamfit-backfill-changelog" : "streamfit-backfill");
        if (checkpoints) {
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
            p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        }
        return p;
    }
}
