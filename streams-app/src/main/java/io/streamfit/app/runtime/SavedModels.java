package io.streamfit.app.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.streamfit.app.config.Challengers;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.names.Names;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.model.ModelSpec;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start's look at the saved models, before any stream thread runs: the newest checkpoints in
 * the model store's changelog (the last few records of each partition, what the run before wrote
 * last) against the configured settings. A setting that shapes the weights and changed stops the
 * start here, with one line ({@link SettingsChange#refusal}), instead of in a stream thread after
 * the stores restored (stack traces, a client in ERROR).
 *
 * <p>It reads what every instance wrote, not only this host's stores, and costs one consumer that
 * joins no group and fetches a few records per partition. It is a look, not a guarantee: a
 * checkpoint it does not read is still checked where it loads ({@link ModelCheckpoints#restore}),
 * and when the changelog cannot be read (a timeout, no access) the start goes on and says so at
 * DEBUG.
 */
public final class SavedModels {

    private static final Logger LOG = LoggerFactory.getLogger(SavedModels.class);
    /** Records read from the end of each changelog partition. */
    static final int TAIL = 4;

    private SavedModels() {
    }

    /** The changelog topic of the model store of {@code applicationId}. */
    public static String changelogTopic(String applicationId) {
        return applicationId + "-" + Names.MODEL_STORE + "-changelog";
    }

    /**
     * Refuses a start whose settings do not fit the newest saved models.
     *
     * @param client  connection and security properties
     * @param timeout the longest this look may take
     * @throws ModelMismatchException when a setting that shapes the weights differs from the one
     *                                the newest checkpoint of the champion or of a challenger
     *                                was trained with
     */
    public static void check(StreamfitConfig config, Map<String, Object> client, Duration timeout) {
        Map<String, ModelCheckpoint> newest;
        try {
            newest = newest(config, client, timeout);
        } catch (KafkaException | IllegalStateException e) {
            LOG.debug("Could not read the newest checkpoints of {} before the start ({}); they are checked as they "
                    + "load", changelogTopic(config.applicationId()), e.toString());
            return;
        }
        check(config, newest.values());
    }

    /**
     * Refuses settings that do not fit {@code checkpoints} (each the champion's or a challenger's
     * by its key; a challenger no longer configured is left alone).
     *
     * @throws ModelMismatchException as {@link #check(StreamfitConfig, Map, Duration)}
     */
    static void check(StreamfitConfig config, Iterable<ModelCheckpoint> checkpoints) {
        Map<String, Challengers.Challenger> challengers = new HashMap<>();
        config.challengers().forEach(c -> challengers.put(c.name(), c));
        for (ModelCheckpoint cp : checkpoints) {
            String key = cp.getModelKey();
            ModelSpec spec = config.modelSpec();
            SettingsChange.Variant variant = SettingsChange.Variant.CHAMPION;
            if (key != null && Names.isChallengerKey(key)) {
                Challengers.Challenger c = challengers.get(key.substring(key.indexOf('\u0000') + 1));
                if (c == null) {
                    continue;
                }
                spec = c.kind().spec();
                variant = new SettingsChange.Variant(c.name(), c.overrides().keySet());
            }
            ModelCheckpoints.refuseOtherShape(cp, spec, config.applicationId(), variant);
        }
    }

    /** The newest checkpoint of each partition's tail, by store key; none when the changelog does not exist. */
    private static Map<String, ModelCheckpoint> newest(StreamfitConfig config, Map<String, Object> client,
                                                       Duration timeout) {
        String topic = changelogTopic(config.applicationId());
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties(client),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return Map.of();
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            // Assigned before the offsets are asked for: a read_committed consumer keeps the last
            // stable offsets of its assigned partitions only (and warns about the others).
            consumer.assign(partitions);
            // With read_committed, the end offsets are the last stable ones: what the run before committed.
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            List<TopicPartition> reading = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                long start = Math.max(begin.get(tp), end.get(tp) - TAIL);
                consumer.seek(tp, start);
                if (start < end.get(tp)) {
                    reading.add(tp);
                }
            }
            Deserializer<String> keys = new StringDeserializer();
            Map<String, byte[]> latest = new LinkedHashMap<>();
            while (reading.stream().anyMatch(tp -> consumer.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not read to its end within " + timeout.toMillis() + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    String key = keys.deserialize(r.topic(), r.key());
                    if (r.value() == null) {
                        latest.remove(key);
                    } else {
                        latest.put(key, r.value());
                    }
                }
            }
            Deserializer<ModelCheckpoint> values = StreamfitSerdes.modelCheckpoint().deserializer();
            Map<String, ModelCheckpoint> out = new LinkedHashMap<>();
            latest.forEach((k, v) -> {
                try {
                    out.put(k, values.deserialize(topic, v));
                } catch (RuntimeException e) {
                    // A checkpoint that does not decode is that key's fault, found where it loads.
                    LOG.debug("Checkpoint of '{}' in {} does not decode: {}", k, topic, e.toString());
                }
            });
            return out;
        }
    }

    /** A consumer that joins no group, reads what is committed, and takes big checkpoints. */
    private static Map<String, Object> consumerProperties(Map<String, Object> client) {
        Map<String, Object> p = new HashMap<>();
        client.forEach((k, v) -> {
            if (ConsumerConfig.configNames().contains(k)) {
                p.put(k, v);
            }
        });
        // Asking for a changelog that does not exist must not create it: a broker that creates topics
        // on request would give it its default partition count, and Kafka Streams then refuses it.
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamfit-saved-models");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return p;
    }
}
