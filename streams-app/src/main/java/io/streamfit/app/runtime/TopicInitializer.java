package io.streamfit.app.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.names.Names;
import io.streamfit.schemas.Topic;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates streamfit's missing topics (inputs, outputs, dead letters, the global route), the labels
 * topic (unless {@code topic.labels} is empty) with the partition count of the features topic, each with a
 * {@code max.message.bytes} that fits streamfit's largest possible output
 * ({@link StreamfitConfig#outputMaxMessageBytes()}), and reads the limits of the topics it writes
 * to, so that the sinks can check every output against them ({@link OutputLimits}).
 */
public final class TopicInitializer {

    private static final Logger LOG = LoggerFactory.getLogger(TopicInitializer.class);

    private TopicInitializer() {
    }

    /**
     * Creates every missing topic of the configuration; existing topics are left as they are.
     * Kafka's default {@code max.message.bytes} (1 MB) is below what streamfit may write (dead
     * letters of inputs up to {@code max.record.bytes}, 8 MiB by default), so every topic it
     * creates gets {@link StreamfitConfig#outputMaxMessageBytes()}; the input topic too, or
     * {@code max.record.bytes} would be unreachable, and the route topic carries inputs.
     *
     * @param adminProps client properties (bootstrap servers, security) for the admin client
     * @return the topics it created (none when another instance created them first)
     */
    public static Set<String> createMissing(StreamfitConfig config, Map<String, Object> adminProps)
            throws InterruptedException, ExecutionException, TimeoutException {
        TopicRegistry topics = config.topics();
        int partitions = config.getInt(StreamfitConfig.TOPICS_PARTITIONS);
        short rf = config.getShort(StreamfitConfig.TOPICS_REPLICATION_FACTOR);
        Map<String, String> limit = Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(config.outputMaxMessageBytes()));
        List<NewTopic> wanted = new ArrayList<>();
        for (String name : topics.names()) {
            wanted.add(new NewTopic(name, partitions, rf).configs(limit));
        }
        String commands = topics.modelCommands().name();
        if (config.globalScope()) {
            wanted.add(new NewTopic(Names.globalRouteTopic(config.applicationId()), 1, rf).configs(limit));
        }
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            String features = topics.features().name();
            String labels = topics.labels().map(Topic::name).orElse(null);
            if (existing.contains(features) && ((labels != null && !existing.contains(labels))
                    || !existing.contains(commands))) {
                // Co-partitioned: a series' labels and its model's commands must reach the task that holds its features.
                int featurePartitions = partitions(admin, features);
                wanted.replaceAll(t -> t.name().equals(labels) || t.name().equals(commands)
                        ? new NewTopic(t.name(), featurePartitions, rf).configs(limit) : t);
            }
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return Set.of();
            }
            try {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
                LOG.info("Created topics {} (max.message.bytes {})", missing.stream().map(NewTopic::name).toList(),
                        config.outputMaxMessageBytes());
                awaitLeaders(admin, missing.stream().map(NewTopic::name).toList());
                return missing.stream().map(NewTopic::name).collect(Collectors.toSet());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                return Set.of();
            }
        }
    }

    /**
     * What {@link #createMissing} and {@link #requireLabelsTopic} would do, without creating
     * anything ({@code streamfit run --dry-run}): the topics a start would create, or the refusal it
     * would meet. Topics it would create are taken to get the partition count they would get.
     *
     * @return the topics a start would create (none when {@code topics.create=false})
     * @throws TopicsRefused when a start would refuse: an input topic missing that it would not
     *                       create, or input topics that are not co-partitioned
     */
    public static List<String> plan(StreamfitConfig config, Map<String, Object> adminProps)
            throws InterruptedException, ExecutionException, TimeoutException {
        TopicRegistry topics = config.topics();
        boolean create = config.getBoolean(StreamfitConfig.TOPICS_CREATE);
        List<String> wanted = new ArrayList<>(topics.names());
        if (config.globalScope()) {
            wanted.add(Names.globalRouteTopic(config.applicationId()));
        }
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<String> missing = wanted.stream().filter(t -> !existing.contains(t)).toList();
            String features = topics.features().name();
            List<String> inputs = new ArrayList<>(List.of(features, topics.modelCommands().name()));
            topics.labels().ifPresent(l -> inputs.add(l.name()));
            Map<String, Integer> partitions = new HashMap<>();
            for (String t : inputs) {
                if (existing.contains(t)) {
                    partitions.put(t, partitions(admin, t));
                }
            }
            if (create) {
                int count = partitions.getOrDefault(features, config.getInt(StreamfitConfig.TOPICS_PARTITIONS));
                inputs.forEach(t -> partitions.putIfAbsent(t, count));
            } else if (!existing.contains(features)) {
                throw new TopicsRefused("topic '" + features + "' (topic.features) does not exist and topics.create="
                        + "false: create it, or let streamfit create it (topics.create=true).");
            }
            String problem = labelsTopicProblem(topics, partitions);
            if (problem == null) {
                problem = commandsTopicProblem(topics, partitions);
            }
            if (problem != null) {
                throw new TopicsRefused(problem);
            }
            return create ? missing : List.of();
        }
    }

    /** Why the service cannot start with the topics it finds; the message says what to do, in one line. */
    public static final class TopicsRefused extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TopicsRefused(String message) {
            super(message);
        }
    }

    /**
     * Refuses to start when the labels topic is missing (the service subscribes to it, and Kafka
     * Streams would fail with its {@code MissingSourceTopicException} after starting) or when it and
     * the features topic both exist with different partition counts: the join finds a series'
     * labels only in the task of its features, so with other counts labels would silently never
     * match. Nothing to check when {@code topic.labels} is empty. A missing features topic is left to
     * Kafka Streams, which refuses to start without its source topics.
     *
     * @throws TopicsRefused when the labels topic is missing or the partition counts differ
     */
    public static void requireLabelsTopic(StreamfitConfig config, Map<String, Object> adminProps)
            throws InterruptedException, ExecutionException, TimeoutException {
        TopicRegistry topics = config.topics();
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            Map<String, Integer> partitions = new HashMap<>();
            List<String> inputs = new ArrayList<>(List.of(topics.features().name(), topics.modelCommands().name()));
            topics.labels().ifPresent(l -> inputs.add(l.name()));
            for (String t : inputs) {
                if (existing.contains(t)) {
                    partitions.put(t, partitions(admin, t));
                }
            }
            String problem = labelsTopicProblem(topics, partitions);
            if (problem == null) {
                problem = commandsTopicProblem(topics, partitions);
            }
            if (problem != null) {
                throw new TopicsRefused(problem);
            }
        }
    }

    /**
     * Why the model-commands topic cannot serve, given the partition counts of the topics that
     * exist, or null: it must exist, with the features' partition count (a series model's commands
     * are applied in the task that holds the series' data).
     */
    static String commandsTopicProblem(TopicRegistry topics, Map<String, Integer> partitions) {
        String features = topics.features().name();
        String commands = topics.modelCommands().name();
        Integer featurePartitions = partitions.get(features);
        if (!partitions.containsKey(commands)) {
            String count = featurePartitions != null ? featurePartitions + " partitions, as '" + features + "' has"
                    : "the partition count of '" + features + "'";
            return "topic '" + commands + "' (topic.model.commands) does not exist: create it with " + count
                    + " (a model's commands are applied in the task of its data), or let streamfit create it "
                    + "(topics.create=true).";
        }
        if (featurePartitions == null || featurePartitions.equals(partitions.get(commands))) {
            return null;
        }
        return "topic '" + commands + "' (topic.model.commands) has " + partitions.get(commands) + " partitions but '"
                + features + "' (topic.features) has " + featurePartitions + ": a series model's commands must reach "
                + "the task of its data, so both topics need the same partition count. Recreate '" + commands
                + "' with " + featurePartitions + " partitions, or point topic.model.commands at a topic that has them.";
    }

    /**
     * Why the labels topic cannot serve, given the partition counts of the topics that exist, or
     * null: none when there is no labels topic or it is co-partitioned with the features; a
     * missing features topic is Kafka Streams' to report.
     *
     * @param partitions partition count by name, of those of the features and labels topics that exist
     */
    static String labelsTopicProblem(TopicRegistry topics, Map<String, Integer> partitions) {
        if (topics.labels().isEmpty()) {
            return null;
        }
        String features = topics.features().name();
        String labels = topics.labels().get().name();
        Integer featurePartitions = partitions.get(features);
        if (!partitions.containsKey(labels)) {
            return missingLabelsProblem(features, featurePartitions, labels);
        }
        return featurePartitions == null ? null
                : coPartitionProblem(features, featurePartitions, labels, partitions.get(labels));
    }

    /**
     * What to do when the labels topic does not exist (with {@code topics.create=false}, or created
     * by no one): create it like the features topic, or configure no labels topic.
     *
     * @param featurePartitions the features topic's partition count, or null when it does not exist either
     */
    private static String missingLabelsProblem(String features, Integer featurePartitions, String labels) {
        String count = featurePartitions != null ? featurePartitions + " partitions, as '" + features + "' has"
                : "the partition count of '" + features + "'";
        return "topic '" + labels + "' (topic.labels) does not exist: create it with " + count + " (labels are "
                + "joined with the features of the same series in the same task), or set topic.labels= (empty) "
                + "if this app takes no delayed labels.";
    }

    /** Why topics of {@code featurePartitions} and {@code labelPartitions} cannot be joined, or null. */
    public static String coPartitionProblem(String features, int featurePartitions, String labels, int labelPartitions) {
        if (featurePartitions == labelPartitions) {
            return null;
        }
        return "topic '" + labels + "' (topic.labels) has " + labelPartitions + " partitions but '" + features
                + "' (topic.features) has " + featurePartitions + ": labels are joined with the features of the "
                + "same series in the same task, so both topics need the same partition count (and the same "
                + "partitioner). Recreate '" + labels + "' with " + featurePartitions + " partitions, or point "
                + "topic.labels at a topic that has them.";
    }

    /**
     * Waits (up to 30 s) until every partition of {@code names} has a leader. A transactional
     * producer whose first batch to a just-created partition is refused (no leader yet) can have
     * its retry overtaken by the next batch, which a Kafka 4 broker then rejects for good as out of
     * sequence (KAFKA-18202): the task's transaction aborts and it starts over, again and again
     * while the partitions settle. Writing only once they have leaders avoids that.
     */
    static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                boolean ready = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // Not described yet (just created): ask again.
            }
            Thread.sleep(100);
        }
        LOG.warn("Created topics {} still lack a leader after 30 s; starting anyway", names);
    }

    private static int partitions(Admin admin, String topic)
            throws InterruptedException, ExecutionException, TimeoutException {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic)
                .partitions().size();
    }

    /**
     * Reads the {@code max.message.bytes} of the topics streamfit writes to (outputs, dead letters,
     * the route of {@code model.scope=global}) into {@code limits}. When a topic's configuration
     * cannot be read (the principal lacks DESCRIBE_CONFIGS, which streamfit's minimal ACLs do not
     * grant), its limit is the one streamfit gave it if it created it just now, else Kafka's default:
     * an output that would fit a larger limit is then dead-lettered (with a stub) rather than
     * refused by the broker, which would cost a stream thread (see {@code DeadLetterProductionHandler}).
     *
     * @param created the topics {@link #createMissing} created
     */
    public static void readLimits(StreamfitConfig config, Map<String, Object> adminProps, OutputLimits limits,
                                  Set<String> created) throws InterruptedException {
        List<String> written = new ArrayList<>(StreamfitAcls.outputs(config.topics()));
        if (config.globalScope()) {
            written.add(Names.globalRouteTopic(config.applicationId()));
        }
        List<ConfigResource> resources = written.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        try (Admin admin = Admin.create(adminProps)) {
            Map<ConfigResource, KafkaFuture<Config>> described = admin.describeConfigs(resources).values();
            for (ConfigResource r : resources) {
                try {
                    Config c = described.get(r).get(60, TimeUnit.SECONDS);
                    ConfigEntry e = c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
                    if (e != null && e.value() != null) {
                        limits.set(r.name(), Integer.parseInt(e.value()));
                    }
                } catch (ExecutionException | TimeoutException | NumberFormatException e) {
                    Throwable why = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    limits.set(r.name(), created.contains(r.name()) ? config.outputMaxMessageBytes()
                            : OutputLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
                    LOG.info("Cannot read max.message.bytes of topic {} ({}); taking it to be {} bytes", r.name(),
                            why.getClass().getSimpleName(), limits.limit(r.name()));
                }
            }
        }
        Map<String, Integer> taken = new TreeMap<>();
        written.forEach(t -> taken.put(t, limits.limit(t)));
        LOG.info("Largest records (bytes) the topics streamfit writes take: {}", taken);
    }
}
