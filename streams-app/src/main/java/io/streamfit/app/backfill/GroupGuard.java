package io.streamfit.app.backfill;

import static io.streamfit.app.backfill.BackfillClients.TIMEOUT;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Keeps backfill and {@code run} from training the same models: {@code run} and backfill both
 * start from the checkpoints in the changelog, so whichever writes last would undo what the other
 * learned. Backfill holds no lock the service would respect, so it looks at the application's
 * consumer group before it starts and again before it writes, and refuses when the group has
 * members or its input offsets moved in between.
 */
final class GroupGuard {

    private final Admin admin;
    private final String applicationId;
    /** The input topics: features and labels. */
    private final Set<String> inputTopics;
    /** The group's input offsets at the first check; set once by {@link #check}. */
    private Map<TopicPartition, OffsetAndMetadata> committedAtStart;

    private GroupGuard(Admin admin, String applicationId, Set<String> inputTopics) {
        this.admin = admin;
        this.applicationId = applicationId;
        this.inputTopics = Set.copyOf(inputTopics);
    }

    /**
     * The first check, before anything is read; remembers the group's input offsets for
     * {@link #checkAgain}.
     *
     * @param inputTopics the topics whose committed offsets backfill sets: the features and the labels topic
     * @throws BackfillRefused when the group has members or uses the streams rebalance protocol
     */
    static GroupGuard check(Admin admin, String applicationId, Set<String> inputTopics)
            throws InterruptedException, ExecutionException, TimeoutException {
        GroupGuard guard = new GroupGuard(admin, applicationId, inputTopics);
        guard.requireNoMembers();
        guard.committedAtStart = guard.committedInputOffsets();
        return guard;
    }

    /**
     * The second check, after training and before the write. The service may have been started
     * (and stopped) while we trained: then its models learned records we did not see, and our
     * checkpoints would undo that.
     *
     * @throws BackfillRefused when the group has members now, or committed input offsets since {@link #check}
     */
    void checkAgain() throws InterruptedException, ExecutionException, TimeoutException {
        requireNoMembers();
        if (!committedInputOffsets().equals(committedAtStart)) {
            throw new BackfillRefused("application '" + applicationId + "' committed input offsets while "
                    + "backfill ran, so `streamfit run` was started in the meantime; nothing was written. "
                    + "Stop it and run backfill again");
        }
    }

    /** @throws BackfillRefused when the application's consumer group has members */
    private void requireNoMembers() throws InterruptedException, ExecutionException, TimeoutException {
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
                    + "Backfill and the service must not train the same models at once: " + Backfill.STOP_RUN_FIRST
                    + ", then run backfill again");
        }
    }

    /** The group's committed offsets on the input topics. */
    private Map<TopicPartition, OffsetAndMetadata> committedInputOffsets()
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
            if (inputTopics.contains(tp.topic()) && om != null) {
                out.put(tp, om);
            }
        });
        return out;
    }
}
