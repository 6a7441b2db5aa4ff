package io.streamfit.app.backfill;

import java.util.HashMap;
import java.util.Map;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Backfill's one write: the checkpoints to the model store's changelog and the application's input
 * offsets, in one Kafka transaction. Either both become visible or neither does, so a failure can
 * no longer leave trained checkpoints behind offsets that make {@code run} train on the history
 * again (or, the other way round, offsets past records no model learned).
 *
 * <p>The offsets go through {@code sendOffsetsToTransaction} with a {@link ConsumerGroupMetadata}
 * of the group id alone (generation -1, no member): the group coordinator accepts that, as it
 * accepts an admin offset commit, while the group has no members, which backfill checks first.
 * The changelog is read with {@code read_committed} by {@code run} under {@code exactly_once_v2}
 * (Streams' restore consumer), by backfill itself and by {@code export}, so an aborted
 * transaction's checkpoints are never restored; with {@code processing.guarantee=at_least_once}
 * Streams restores {@code read_uncommitted} and would see them.
 *
 * <p>The transactional id is {@code <application.id>-backfill}: inside the prefix the service's
 * ACLs grant, and the same for every backfill of an application, so a second backfill of it fences
 * (and aborts) a first one still writing.
 */
final class CheckpointTransaction {

    /** A step run after everything is sent and before the commit; tests fail there. */
    interface BeforeCommit {
        void run();
    }

    /** No step before the commit. */
    static final BeforeCommit NONE = () -> {
    };

    private CheckpointTransaction() {
    }

    /** The transactional id of the backfills of {@code applicationId}. */
    static String transactionalId(String applicationId) {
        return applicationId + "-backfill";
    }

    /**
     * Sends {@code checkpoints} to their partitions of {@code changelogTopic} and sets
     * {@code offsets} as the committed offsets of group {@code applicationId}, in one transaction.
     *
     * @param clientProperties connection and security properties of the cluster
     * @throws KafkaException when the transaction failed; it was aborted (or, when the producer
     *                        was fenced or not authorized, is left to the coordinator to abort)
     */
    static void commit(Map<String, Object> clientProperties, String applicationId, String changelogTopic,
                       Map<String, BackfillTrainer.PartitionedCheckpoint> checkpoints,
                       Map<TopicPartition, Long> offsets, BeforeCommit beforeCommit) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "streamfit-backfill-" + applicationId);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(applicationId));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Checkpoints of big models exceed the default 1 MB request size, as in the service.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        offsets.forEach((tp, offset) -> committed.put(tp, new OffsetAndMetadata(offset)));
        try (KafkaProducer<String, ModelCheckpoint> producer = new KafkaProducer<>(props, new StringSerializer(),
                StreamfitSerdes.modelCheckpoint().serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                checkpoints.forEach((key, pc) -> producer.send(
                        new ProducerRecord<>(changelogTopic, pc.partition(), key, pc.checkpoint())));
                producer.sendOffsetsToTransaction(committed, new ConsumerGroupMetadata(applicationId));
                beforeCommit.run();
                // Flushes every send first and fails if any of them failed.
                producer.commitTransaction();
            } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException e) {
                // The producer cannot abort after these; the coordinator aborts on its timeout, or
                // the next producer of the same transactional id does when it starts.
                throw e;
            } catch (RuntimeException e) {
                try {
                    producer.abortTransaction();
                } catch (RuntimeException abort) {
                    e.addSuppressed(abort);
                }
                throw e;
            }
        }
    }
}
