package io.streamfit.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.names.Names;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The end-to-end benchmark's side of the broker: run ids, topics, configs and input records. In
 * one place so that the drain and the latency runs name, configure and feed their topologies
 * alike, and a difference between their numbers is never a difference in set-up.
 */
final class EndToEndCluster {

    private final String bootstrapServers;
    private final EndToEndOptions options;
    private final Path stateRoot;
    private int run;

    /**
     * @param stateRoot a fresh folder for this invocation: every run's state goes below it
     */
    EndToEndCluster(String bootstrapServers, EndToEndOptions options, Path stateRoot) {
        this.bootstrapServers = bootstrapServers;
        this.options = options;
        this.stateRoot = stateRoot;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** A fresh application.id (and topic prefix) per run: no run reads another's offsets or state. */
    String nextRunId(String kind) {
        return "e2e-" + (++run) + "-" + kind;
    }

    /** A streamfit run's configuration with the first {@code --output-objects} layout. */
    StreamfitConfig streamfitConfig(String id, String guarantee, int batch, String input) {
        return streamfitConfig(id, guarantee, batch, options.outputObjects.get(0), input);
    }

    /** @param layout {@code output.objects} */
    StreamfitConfig streamfitConfig(String id, String guarantee, int batch, String layout, String input) {
        Map<String, String> p = new HashMap<>();
        p.put(StreamfitConfig.OUTPUT_OBJECTS, layout);
        p.put(StreamfitConfig.MODEL_FEATURES, String.valueOf(options.features));
        p.put(StreamfitConfig.BATCH_TIMESTEPS, String.valueOf(batch));
        p.put(StreamfitConfig.TOPIC_FEATURES, input);
        p.put(StreamfitConfig.TOPIC_OBJECT_PREDICTIONS, id + "-objects");
        p.put(StreamfitConfig.TOPIC_SUM_PREDICTIONS, id + "-sums");
        p.put(StreamfitConfig.TOPIC_ANOMALY_SCORES, id + "-anomalies");
        p.put(StreamfitConfig.TOPIC_DEAD_LETTERS, id + "-dead");
        p.put(StreamfitConfig.TOPICS_CREATE, "false");
        p.put(StreamfitConfig.MAX_OBJECTS, String.valueOf(Math.max(options.objects, 4096)));
        baseProps(id, guarantee).forEach((k, v) -> p.put(k.toString(), v.toString()));
        p.putAll(options.extra);
        return new StreamfitConfig(p);
    }

    /** The Streams settings of a pass-through run: the base ones plus the --set keys that apply. */
    Properties passThroughProps(String id, String guarantee) {
        Properties props = baseProps(id, guarantee);
        props.putAll(extraStreamsKeys());
        return props;
    }

    private Properties baseProps(String id, String guarantee) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateRoot.resolve(id).toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        // As streamfit sets it (StreamfitConfig#streamsProperties), so that all topologies run alike.
        p.put("processing.exception.handler.global.enabled", "true");
        return p;
    }

    /** The --set keys that are not streamfit's own: they go to the pass-through topologies too. */
    private Map<String, String> extraStreamsKeys() {
        Map<String, String> m = new HashMap<>(options.extra);
        m.keySet().removeAll(StreamfitConfig.configDef().names());
        return m;
    }

    /**
     * @param countedByAppendTime whether the sum-predictions topic stamps LogAppendTime: a drain
     *                            counts the broker's clock; a latency run needs the input's
     *                            CreateTime kept
     */
    void createStreamfitTopics(StreamfitConfig config, boolean countedByAppendTime) throws Exception {
        var t = config.topics();
        createTopic(t.objectPredictions().name(), false);
        createTopic(t.sumPredictions().name(), countedByAppendTime);
        createTopic(t.deadLetters().name(), false);
        // A streamfit topology reads the labels topic too (delayed labels) unless topic.labels is
        // empty; these runs send none.
        if (t.labels().isPresent()) {
            createTopicIfAbsent(t.labels().get().name());
        }
        // And the model commands (model lifecycle), co-partitioned like the labels, and its events.
        createTopicIfAbsent(t.modelCommands().name());
        createTopicIfAbsent(t.modelEvents().name());
        if (config.globalScope()) {
            // model.scope=global: the one-partition topic that routes every record to the one model.
            createTopic(Names.globalRouteTopic(config.applicationId()), 1, false);
        }
    }

    /** A topic of {@code partitions} partitions, unless it exists already (e.g. from an earlier run). */
    private void createTopicIfAbsent(String name) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            if (!admin.listTopics().names().get(60, TimeUnit.SECONDS).contains(name)) {
                admin.createTopics(List.of(new NewTopic(name, options.partitions, (short) 1))).all()
                        .get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Deletes every topic of run {@code id} (its outputs and changelogs, all named {@code id-...}).
     * The broker then drops their logs, and with them the pages the kernel has yet to write back:
     * otherwise each drain leaves hundreds of MB for the disk, and later drains (the byte copy most,
     * which writes the most) pay for the write-back of earlier ones.
     */
    void deleteRunTopics(String id) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            List<String> names = admin.listTopics().names().get(60, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(id + "-")).toList();
            if (!names.isEmpty()) {
                admin.deleteTopics(names).all().get(60, TimeUnit.SECONDS);
            }
        }
    }

    void createTopic(String name, boolean logAppendTime) throws Exception {
        createTopic(name, options.partitions, logAppendTime);
    }

    private void createTopic(String name, int partitionCount, boolean logAppendTime) throws Exception {
        NewTopic topic = new NewTopic(name, partitionCount, (short) 1);
        if (logAppendTime) {
            topic.configs(Map.of("message.timestamp.type", "LogAppendTime"));
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * A fresh source of input records. The same seed for every topic: every run sees the same
     * records in the same order.
     */
    TimestepRecords records() {
        return new TimestepRecords(options.objects, options.features, options.series, 7, options.numberFormat);
    }

    /**
     * Sends {@code n} fresh records to {@code topic}; at {@code rate} records/s when rate &gt; 0
     * (each with CreateTime = its send time), else as fast as the producer batches them.
     */
    void produce(String topic, int n, double rate) {
        try (KafkaProducer<String, byte[]> producer = producer(rate > 0)) {
            produce(producer, topic, records(), n, rate);
        }
    }

    /** @param paced no linger, so that a paced record leaves when it is due */
    KafkaProducer<String, byte[]> producer(boolean paced) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, paced ? 0 : 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1); // see DemoProducer
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Sends {@code n} records and flushes; at {@code rate} records/s when rate &gt; 0 (each with
     * CreateTime = its send time), else as fast as the producer batches them.
     */
    static void produce(KafkaProducer<String, byte[]> producer, String topic, TimestepRecords source,
                        int n, double rate) {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String key = source.nextKey();
            byte[] value = source.nextValue();
            if (rate > 0) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, value));
            } else {
                producer.send(new ProducerRecord<>(topic, key, value));
            }
        }
        producer.flush();
    }
}
