package io.streamfit.devkit.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces the synthetic stream as the contract's JSON to the input topic at a fixed rate, keyed by
 * series, on its own thread. On start it reads the last record of every partition so that a
 * restarted demo continues each series' timesteps instead of going back.
 */
public final class DemoProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DemoProducer.class);

    private final SyntheticStream stream;
    private final String topic;
    private final double ratePerSecond;
    private final Map<String, Object> clientProps;
    /** Where the targets go when they come late, and how many timesteps late; 0: in the features. */
    private final String labelsTopic;
    private final int labelDelay;
    /** Per series, the timesteps whose targets are not sent yet (only with a label delay). */
    private final Map<String, java.util.ArrayDeque<Timestep>> unlabelled = new java.util.HashMap<>();
    private final AtomicLong labelsSent = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;

    /**
     * @param ratePerSecond records per second (&gt; 0)
     * @param clientProps   bootstrap servers and security for the producer and the resume consumer
     */
    public DemoProducer(SyntheticStream stream, String topic, double ratePerSecond, Map<String, Object> clientProps) {
        this(stream, topic, ratePerSecond, clientProps, null, 0);
    }

    /**
     * A producer whose targets come {@code labelDelay} timesteps late: each timestep goes to
     * {@code topic} without its targets, and its targets go to {@code labelsTopic} (the contract's
     * labels JSON) when its series sends the timestep {@code labelDelay} later.
     *
     * @param labelDelay timesteps (&gt;= 0; 0 sends the targets with the features, as the other constructor)
     */
    public DemoProducer(SyntheticStream stream, String topic, double ratePerSecond, Map<String, Object> clientProps,
                        String labelsTopic, int labelDelay) {
        if (labelDelay < 0 || (labelDelay > 0 && labelsTopic == null)) {
            throw new IllegalArgumentException("label delay " + labelDelay + " needs a labels topic and must be >= 0");
        }
        this.stream = stream;
        this.topic = topic;
        this.ratePerSecond = ratePerSecond;
        this.clientProps = clientProps;
        this.labelsTopic = labelsTopic;
        this.labelDelay = labelDelay;
    }

    /** Label records sent so far (with a label delay). */
    public long labelsSent() {
        return labelsSent.get();
    }

    /** Timesteps sent without their targets whose labels are not sent yet (with a label delay). */
    public long labelsOwed() {
        return labelDelay == 0 ? 0 : Math.max(0, sent.get() - labelsSent.get());
    }

    public void start() {
        resumeFromTopic();
        thread = new Thread(this::run, "streamfit-demo-producer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records sent so far. */
    public long sent() {
        return sent.get();
    }

    private void run() {
        Map<String, Object> props = new java.util.HashMap<>(clientProps);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // One request in flight: on a just-created partition a first batch refused as NOT_LEADER could
        // otherwise be overtaken by the second, and a Kafka 4.x broker then rejects the first
        // forever as out of sequence (KAFKA-18202 makes sequence 0 mandatory for a new producer).
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        Serializer<Timestep> json = StreamfitSerdes.timestep().serializer();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            long start = System.nanoTime();
            double nanosPerRecord = 1e9 / ratePerSecond;
            long n = 0;
            while (running) {
                long due = start + (long) (n * nanosPerRecord);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                Timestep ts = stream.next();
                if (labelDelay == 0) {
                    producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
                } else {
                    producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, withoutTargets(ts))));
                    java.util.ArrayDeque<Timestep> owed = unlabelled.computeIfAbsent(ts.series(),
                            k -> new java.util.ArrayDeque<>());
                    owed.addLast(ts);
                    if (owed.size() > labelDelay) {
                        Timestep late = owed.removeFirst();
                        producer.send(new ProducerRecord<>(labelsTopic, late.series(),
                                io.streamfit.schemas.LabelsJson.toBytes(labelsOf(late))));
                        labelsSent.incrementAndGet();
                    }
                }
                sent.incrementAndGet();
                n++;
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("Demo producer stopped", e);
        }
    }

    /** {@code ts} with no target, label or sum target: what a sensor sends before the truth is known. */
    static Timestep withoutTargets(Timestep ts) {
        List<Timestep.ObjectInput> objects = new ArrayList<>(ts.objects().size());
        for (Timestep.ObjectInput o : ts.objects()) {
            objects.add(new Timestep.ObjectInput(o.id(), o.features(), null, null));
        }
        return new Timestep(ts.series(), ts.timestep(), objects, null);
    }

    /** The truth of {@code ts} as a labels record: every object's target (or label) and the sum target. */
    static io.streamfit.schemas.Labels labelsOf(Timestep ts) {
        List<io.streamfit.schemas.Labels.ObjectLabel> objects = new ArrayList<>(ts.objects().size());
        for (Timestep.ObjectInput o : ts.objects()) {
            if (o.target() != null || o.label() != null) {
                objects.add(new io.streamfit.schemas.Labels.ObjectLabel(o.id(), o.target(), o.label()));
            }
        }
        return new io.streamfit.schemas.Labels(ts.series(), ts.timestep(), objects, ts.sumTarget());
    }

    private void resumeFromTopic() {
        Map<String, Object> props = new java.util.HashMap<>(clientProps);
        props.put("enable.auto.commit", "false");
        props.put("isolation.level", "read_committed");
        var decoder = StreamfitSerdes.timestep().deserializer();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null) {
                return;
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
            int pending = 0;
            for (TopicPartition tp : parts) {
                long end = ends.get(tp);
                if (end > 0) {
                    // A few records back: the very last offsets may be transaction markers.
                    consumer.seek(tp, Math.max(0, end - 50));
                    pending++;
                }
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (pending > 0 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        Timestep ts = decoder.deserialize(topic, r.value());
                        String series = r.key() != null ? new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)
                                : ts.series();
                        stream.resumeAfter(series, ts.timestep());
                    } catch (RuntimeException ignored) {
                        // Not one of ours (e.g. a record a user typed in); it does not move our series.
                    }
                }
                pending = 0;
                for (TopicPartition tp : parts) {
                    if (consumer.position(tp) < ends.get(tp)) {
                        pending++;
                    }
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(10_000);
        }
    }
}
