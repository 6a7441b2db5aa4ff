package io.streamfit.app.runtime;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The minimal ACLs that the principal of a streamfit instance needs, as the README's "Security"
 * section lists them (and the secure integration test applies them, so the list stays true):
 * <ul>
 *   <li>READ on the input topic;</li>
 *   <li>WRITE on the output topics (object and sum predictions, anomaly scores, dead letters);</li>
 *   <li>READ on the consumer group {@code <application.id>};</li>
 *   <li>CREATE, READ and WRITE on topics with the prefix {@code <application.id>-}: the state
 *       stores' changelogs, which Kafka Streams creates, restores from and writes, and the route
 *       topic of {@code model.scope=global} (DELETE is not needed: the topology has no
 *       repartition topic for Streams to purge);</li>
 *   <li>WRITE and DESCRIBE on transactional ids with the prefix {@code <application.id>-}
 *       ({@code exactly_once_v2}'s {@code <application.id>-<process id>-<thread>}, and
 *       {@code streamfit backfill}'s {@code <application.id>-backfill});</li>
 *   <li>with {@code topics.create=true} only: CREATE on the input and output topics.</li>
 * </ul>
 * READ and WRITE imply DESCRIBE, and WRITE on a topic or transactional id implies the idempotent
 * write that a transactional producer needs (Kafka 2.8 and later).
 *
 * <p>The prefixes end with the dash that every name Kafka Streams and streamfit derive from the
 * application id has after it ({@link #prefix}): without it, the ACLs of application {@code streamfit}
 * would also cover the changelogs and transactional ids of an application {@code streamfitx}.
 */
public final class StreamfitAcls {

    private StreamfitAcls() {
    }

    /**
     * @param principal e.g. {@code User:streamfit}
     * @param config    the instance's configuration (application id, topic names, topics.create)
     */
    public static List<AclBinding> forApp(String principal, StreamfitConfig config) {
        return forApp(principal, config.applicationId(), config.topics(), config.getBoolean(StreamfitConfig.TOPICS_CREATE));
    }

    /**
     * @param principal     e.g. {@code User:streamfit}
     * @param applicationId the Streams application id (group, internal topic and transactional id prefix)
     * @param topics        the input and output topics
     * @param createTopics  whether the instance creates missing topics at start ({@code topics.create})
     */
    public static List<AclBinding> forApp(String principal, String applicationId, TopicRegistry topics,
            boolean createTopics) {
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(principal, ResourceType.TOPIC, topics.features().name(), PatternType.LITERAL, AclOperation.READ));
        // No labels topic (topic.labels empty): nothing to read there, so no ACL for it.
        topics.labels().ifPresent(labels -> acls.add(allow(principal, ResourceType.TOPIC, labels.name(),
                PatternType.LITERAL, AclOperation.READ)));
        // The app reads commands; who may write them is the operators' ACL (docs/lifecycle.md), not the app's.
        acls.add(allow(principal, ResourceType.TOPIC, topics.modelCommands().name(), PatternType.LITERAL,
                AclOperation.READ));
        for (String output : outputs(topics)) {
            acls.add(allow(principal, ResourceType.TOPIC, output, PatternType.LITERAL, AclOperation.WRITE));
        }
        acls.add(allow(principal, ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ));
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE)) {
            acls.add(allow(principal, ResourceType.TOPIC, prefix(applicationId), PatternType.PREFIXED, op));
        }
        for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
            acls.add(allow(principal, ResourceType.TRANSACTIONAL_ID, prefix(applicationId), PatternType.PREFIXED, op));
        }
        if (createTopics) {
            for (String name : topics.names()) {
                acls.add(allow(principal, ResourceType.TOPIC, name, PatternType.LITERAL, AclOperation.CREATE));
            }
        }
        return acls;
    }

    /**
     * The prefix of the application's internal topics and transactional ids: {@code <application.id>-}.
     * Kafka Streams names its changelogs {@code <application.id>-<store>-changelog} and its
     * transactional ids {@code <application.id>-<process id>-<thread>}; streamfit's route topic is
     * {@code <application.id>-global-route} and backfill's transactional id {@code <application.id>-backfill}.
     */
    public static String prefix(String applicationId) {
        return applicationId + "-";
    }

    /** The topics the app writes to. */
    public static List<String> outputs(TopicRegistry topics) {
        return List.of(topics.objectPredictions().name(), topics.sumPredictions().name(),
                topics.anomalyScores().name(), topics.deadLetters().name(), topics.modelEvents().name());
    }

    /** An ALLOW entry for any host. */
    public static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern,
            AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }
}
