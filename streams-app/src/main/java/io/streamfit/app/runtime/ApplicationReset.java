package io.streamfit.app.runtime;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.streamfit.app.names.Names;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListStreamsGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Removes the state of an application, as Kafka's application reset tool does and as a new
 * {@code application.id} would start without it ({@code streamfit reset}): its internal topics
 * (the state stores' changelogs, any repartition topic: {@code <application.id>-...-changelog} and
 * {@code -repartition}), the records of streamfit's route topic ({@code <application.id>-global-route},
 * emptied rather than deleted, since a deployment with {@code topics.create=false} created it
 * itself), the consumer group with its committed offsets (unless they are kept) and this host's
 * state directory {@code <state.dir>/<application.id>}. Refused while the group has active members.
 *
 * <p>Admin calls rather than Kafka's {@code StreamsResetter}: that tool lives in kafka-tools (a
 * command line with its own parser and dependencies), wants the input topics named, keeps the
 * consumer group and leaves the local state to {@code KafkaStreams#cleanUp()}; the five calls here
 * are the whole of what streamfit's state needs.
 */
public final class ApplicationReset {

    /** The application's consumer group has active members: it is running. */
    public static final class Running extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Running(String message) {
            super(message);
        }
    }

    /** The cluster refused a call (no ACL for it, typically). */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What a reset removes, found before anything is removed.
     *
     * @param applicationId  the application
     * @param internalTopics its internal topics, to delete, sorted
     * @param routeTopic     its route topic when it exists, to empty; null otherwise
     * @param routeRecords   the offsets the route topic holds (its records, and the transaction
     *                       markers among them): 0 when it is empty
     * @param group          the type of its group when there is one, else null
     * @param committed      the partitions with a committed offset in the group
     * @param stateDir       this host's state directory of the application (it may not exist)
     * @param keepOffsets    whether the group's offsets of the input topics stay
     */
    public record Plan(String applicationId, List<String> internalTopics, String routeTopic, long routeRecords,
                       GroupType group, Set<TopicPartition> committed, Path stateDir, boolean keepOffsets) {

        /** Whether there is anything to remove. */
        public boolean empty() {
            return internalTopics.isEmpty() && routeRecords == 0 && group == null && !Files.exists(stateDir);
        }

        /** The committed offsets a reset removes: all of them, or those of the internal and route topics. */
        Set<TopicPartition> offsetsToDelete() {
            Set<TopicPartition> out = new HashSet<>();
            for (TopicPartition tp : committed) {
                if (internalTopics.contains(tp.topic()) || tp.topic().equals(routeTopic)) {
                    out.add(tp);
                }
            }
            return out;
        }
    }

    private final Admin admin;
    private final Duration timeout;

    public ApplicationReset(Admin admin, Duration timeout) {
        this.admin = admin;
        this.timeout = timeout;
    }

    /** Whether {@code topic} is one of {@code applicationId}'s internal topics, as Kafka's reset tool tells them. */
    public static boolean isInternalTopic(String applicationId, String topic) {
        return topic.startsWith(applicationId + "-")
                && (topic.endsWith("-changelog") || topic.endsWith("-repartition"));
    }

    /**
     * Finds what a reset of {@code applicationId} removes.
     *
     * @param stateRoot the configured {@code state.dir}
     * @throws Running when the application's group has active members
     * @throws Refused when the cluster refuses a look (no DESCRIBE)
     */
    public Plan plan(String applicationId, Path stateRoot, boolean keepOffsets)
            throws InterruptedException, ExecutionException, TimeoutException {
        return call("list and describe the topics and the group of application '" + applicationId + "'", () -> {
            GroupType group = groupType(applicationId);
            if (group != null) {
                requireNoMembers(applicationId, group);
            }
            Set<String> topics = admin.listTopics().names().get(ms(), TimeUnit.MILLISECONDS);
            List<String> internal = new ArrayList<>(new TreeSet<>(topics.stream()
                    .filter(t -> isInternalTopic(applicationId, t)).toList()));
            String route = Names.globalRouteTopic(applicationId);
            long routeRecords = 0;
            if (topics.contains(route)) {
                routeRecords = records(route);
            } else {
                route = null;
            }
            Set<TopicPartition> committed = group == null ? Set.of() : committed(applicationId, group);
            return new Plan(applicationId, List.copyOf(internal), route, routeRecords, group, Set.copyOf(committed),
                    stateRoot.resolve(applicationId), keepOffsets);
        });
    }

    /**
     * Removes what {@code plan} found: the group first (or its offsets of the internal topics,
     * keeping the input's), which fails if a member joined since; then the internal topics, waiting
     * until they are gone; then the route topic's records; then the state directory.
     *
     * @throws Running when a member joined the group since the plan: nothing was removed
     * @throws Refused when the cluster refuses a call (no DELETE ACL): what was removed before stays removed
     */
    public void execute(Plan plan) throws InterruptedException, ExecutionException, TimeoutException, IOException {
        String app = plan.applicationId();
        if (plan.group() != null) {
            call("delete the consumer group '" + app + "' or its offsets", () -> {
                requireNoMembers(app, plan.group());
                if (!plan.keepOffsets()) {
                    deleteGroup(app, plan.group());
                } else if (!plan.offsetsToDelete().isEmpty()) {
                    if (plan.group() == GroupType.STREAMS) {
                        admin.deleteStreamsGroupOffsets(app, plan.offsetsToDelete()).all().get(ms(), TimeUnit.MILLISECONDS);
                    } else {
                        admin.deleteConsumerGroupOffsets(app, plan.offsetsToDelete()).all().get(ms(), TimeUnit.MILLISECONDS);
                    }
                }
                return null;
            });
        }
        if (!plan.internalTopics().isEmpty()) {
            call("delete the topics " + plan.internalTopics(), () -> {
                try {
                    admin.deleteTopics(plan.internalTopics()).all().get(ms(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
                awaitGone(plan.internalTopics());
                return null;
            });
        }
        if (plan.routeTopic() != null && plan.routeRecords() > 0) {
            call("delete the records of " + plan.routeTopic(), () -> {
                Map<TopicPartition, RecordsToDelete> all = new HashMap<>();
                ends(plan.routeTopic()).forEach((tp, end) -> all.put(tp, RecordsToDelete.beforeOffset(end)));
                admin.deleteRecords(all).all().get(ms(), TimeUnit.MILLISECONDS);
                return null;
            });
        }
        deleteRecursively(plan.stateDir());
    }

    private void deleteGroup(String app, GroupType type) throws InterruptedException, TimeoutException,
            ExecutionException {
        try {
            if (type == GroupType.STREAMS) {
                admin.deleteStreamsGroups(List.of(app)).all().get(ms(), TimeUnit.MILLISECONDS);
            } else {
                admin.deleteConsumerGroups(List.of(app)).all().get(ms(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupNotEmptyException) {
                throw running(app, -1);
            }
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
        }
    }

    /** The type of the group {@code app}, or null when there is none. */
    private GroupType groupType(String app) throws InterruptedException, ExecutionException, TimeoutException {
        for (GroupListing g : admin.listGroups().all().get(ms(), TimeUnit.MILLISECONDS)) {
            if (g.groupId().equals(app)) {
                return g.type().orElse(GroupType.CLASSIC);
            }
        }
        return null;
    }

    private void requireNoMembers(String app, GroupType type) throws InterruptedException, ExecutionException,
            TimeoutException {
        int members;
        try {
            members = type == GroupType.STREAMS
                    ? admin.describeStreamsGroups(List.of(app)).describedGroups().get(app).get(ms(),
                    TimeUnit.MILLISECONDS).members().size()
                    : admin.describeConsumerGroups(List.of(app)).describedGroups().get(app).get(ms(),
                    TimeUnit.MILLISECONDS).members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return;
            }
            throw e;
        }
        if (members > 0) {
            throw running(app, members);
        }
    }

    private static Running running(String app, int members) {
        return new Running("application '" + app + "' is running: its consumer group has "
                + (members < 0 ? "" : members + " ") + "active member(s); stop every instance, then run reset "
                + "again (nothing was removed)");
    }

    private Set<TopicPartition> committed(String app, GroupType type) throws InterruptedException,
            ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> offsets;
        try {
            offsets = type == GroupType.STREAMS
                    ? admin.listStreamsGroupOffsets(Map.of(app, new ListStreamsGroupOffsetsSpec()))
                    .partitionsToOffsetAndMetadata(app).get(ms(), TimeUnit.MILLISECONDS)
                    : admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get(ms(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Set.of();
            }
            throw e;
        }
        Set<TopicPartition> out = new HashSet<>();
        offsets.forEach((tp, om) -> {
            if (om != null) {
                out.add(tp);
            }
        });
        return out;
    }

    /** The offsets a topic holds: end offsets less start offsets (records and transaction markers). */
    private long records(String topic) throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, Long> end = ends(topic);
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        end.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
        long n = 0;
        var start = admin.listOffsets(earliest).all().get(ms(), TimeUnit.MILLISECONDS);
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            n += e.getValue() - start.get(e.getKey()).offset();
        }
        return n;
    }

    private Map<TopicPartition, Long> ends(String topic) throws InterruptedException, ExecutionException,
            TimeoutException {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(ms(), TimeUnit.MILLISECONDS)
                .get(topic);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(latest).all().get(ms(), TimeUnit.MILLISECONDS).forEach((tp, r) -> out.put(tp, r.offset()));
        return out;
    }

    /** Waits until the deleted topics are no longer listed, so that a start right after finds none of them. */
    private void awaitGone(List<String> topics) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Set<String> left = new HashSet<>(admin.listTopics().names().get(ms(), TimeUnit.MILLISECONDS));
            left.retainAll(topics);
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topics " + new TreeSet<>(left) + " are still listed "
                        + Duration.ofNanos(timeout.toNanos()).toSeconds() + " s after their deletion");
            }
            Thread.sleep(100);
        }
    }

    /** Deletes {@code dir} and everything in it; nothing when it does not exist. */
    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private long ms() {
        return timeout.toMillis();
    }

    /** An admin step whose refusal by the cluster becomes a {@link Refused} that says which. */
    private interface Step<T> {
        T run() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private static <T> T call(String what, Step<T> step) throws InterruptedException, ExecutionException,
            TimeoutException {
        try {
            return step.run();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException a) {
                throw new Refused("not allowed to " + what + " (" + a.getMessage() + "); reset needs DESCRIBE and "
                        + "DELETE on the topics with the application's prefix and on its group: run it as an "
                        + "operator's principal", a);
            }
            throw e;
        }
    }
}
