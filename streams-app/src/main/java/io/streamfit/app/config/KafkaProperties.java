package io.streamfit.app.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.streamfit.app.errors.DeadLetterHandlers;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka side of the configuration: the keys that are not streamfit's, which pass through to
 * Kafka Streams and its clients unchanged, over the few defaults where streamfit needs other
 * values than Kafka's. Kept apart from {@link StreamfitConfig} because these keys are Kafka's to
 * define and validate, and because they carry the credentials: whatever prints them goes through
 * {@link #redacted}.
 */
public final class KafkaProperties {

    /** Defaults for the Kafka keys that streamfit sets differently from Kafka. */
    public static final String DEFAULT_APPLICATION_ID = "streamfit";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    /** Streams property through which the exception handlers learn the dead-letter topic. */
    public static final String DEAD_LETTERS_TOPIC_FOR_HANDLERS = DeadLetterHandlers.TOPIC_CONFIG;

    /** The main consumer's interceptor that hands fetched records to the decode helper ({@code decode.ahead}). */
    static final String DECODE_AHEAD_INTERCEPTOR = "io.streamfit.app.pipeline.DecodeAhead$Interceptor";

    /** The producer's defaults of the two limits on one record's size. */
    private static final long DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;
    private static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;

    /** What {@link #redacted} shows in place of a secret. */
    public static final String HIDDEN = SecretMask.HIDDEN;

    private static final List<String> SECRET_WORDS = List.of("password", "secret", "credential", "token", "jaas",
            "ssl.keystore.key", "ssl.keystore.certificate.chain", "basic.auth.user.info");

    private static final List<ConfigDef> KAFKA_DEFS = List.of(StreamsConfig.configDef(),
            org.apache.kafka.clients.producer.ProducerConfig.configDef(),
            org.apache.kafka.clients.consumer.ConsumerConfig.configDef(),
            org.apache.kafka.clients.admin.AdminClientConfig.configDef());

    private final Map<String, String> passThrough;
    private final int batchTimesteps;
    private final long batchMaxWaitMs;
    private final String deadLettersTopic;
    private final boolean decodeAhead;

    /**
     * @param originals        every key of the configuration, variables resolved
     * @param streamfitKeys    the keys streamfit defines, which do not pass through
     * @param batchTimesteps   {@code batch.timesteps}, which decides whether Streams polls briefly
     * @param batchMaxWaitMs   {@code batch.max.wait.ms}, which sizes that poll
     * @param deadLettersTopic {@code topic.dead.letters}, for the exception handlers
     * @param decodeAhead      {@code decode.ahead}: whether the main consumer hands records to the decode helper
     */
    KafkaProperties(Map<String, Object> originals, Set<String> streamfitKeys, int batchTimesteps,
                    long batchMaxWaitMs, String deadLettersTopic, boolean decodeAhead) {
        Map<String, String> rest = new HashMap<>();
        // originals() has the ${provider:path:key} variables resolved (config.providers); the
        // provider keys themselves stay here, so no client resolves (or logs) them a second time.
        String providers = AbstractConfig.CONFIG_PROVIDERS_CONFIG;
        originals.forEach((k, v) -> {
            // challenger.NAME.<key> are streamfit's too (a challenger's overrides), not the clients'.
            if (!streamfitKeys.contains(k) && v != null && !k.equals(providers)
                    && !k.startsWith(providers + ".") && !k.startsWith(StreamfitConfig.CHALLENGER_PREFIX)) {
                rest.put(k, v.toString());
            }
        });
        this.passThrough = Map.copyOf(rest);
        this.batchTimesteps = batchTimesteps;
        this.batchMaxWaitMs = batchMaxWaitMs;
        this.deadLettersTopic = deadLettersTopic;
        this.decodeAhead = decodeAhead;
    }

    /**
     * Sets a producer key of streamfit's own default ({@code producer.KEY}) unless the user set it,
     * for the producer ({@code producer.KEY}) or for every client ({@code KEY}, which Streams would
     * otherwise rank below the prefixed default).
     */
    private void producerDefault(Properties p, String key, String value) {
        if (!passThrough.containsKey(key) && !passThrough.containsKey(StreamsConfig.producerPrefix(key))) {
            p.put(StreamsConfig.producerPrefix(key), value);
        }
    }

    /** Keys that are not streamfit's, unchanged. */
    Map<String, String> passThrough() {
        return passThrough;
    }

    String applicationId() {
        return passThrough.getOrDefault(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
    }

    String bootstrapServers() {
        return passThrough.getOrDefault(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
    }

    /**
     * Properties for {@link org.apache.kafka.streams.KafkaStreams}: the pass-through keys over
     * streamfit's defaults (exactly-once v2, application id, bootstrap servers, large records).
     */
    Properties streams() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Checkpoints of big models exceed Kafka's 1 MB default record size.
        producerDefault(p, "max.request.size", String.valueOf(64 * 1024 * 1024));
        // Streams lingers 100 ms by default; sum-predictions (one small record per input) rarely fill a
        // batch, so that linger is added to their latency. 5 ms cost no throughput in the e2e benchmark.
        producerDefault(p, "linger.ms", "5");
        // One produce request in flight per broker. With transactions v2 (Kafka 4 brokers) the first
        // batch of a transaction is often refused with CONCURRENT_TRANSACTIONS while the previous
        // commit's markers are written; its retry is then overtaken by the next batch in flight,
        // which the broker rejects for good as out of sequence: the transaction aborts and the task
        // starts over (seen at every few commits in CrashEquivalenceIT and DelayedLabelsIT).
        producerDefault(p, "max.in.flight.requests.per.connection", "1");
        // With one request in flight, a request carries at most one batch per partition, so the
        // batch size caps what a partition moves per round trip: at Kafka's 16 KB that is about a
        // hundred object predictions. 128 KB raised the e2e drain rate of per-object outputs about 20%
        // and of per-timestep ones 0-8% (docs/performance.md, third pass);
        // a batch takes its memory only while a partition has records waiting.
        producerDefault(p, "batch.size", String.valueOf(128 * 1024));
        // The outputs are JSON with the same field names in every record: LZ4 batches are a fraction
        // of their size, so the broker, the network and every consumer move that much less. LZ4
        // compresses on the stream thread at a small cost per record; zstd cost several times more
        // there and drained slower (docs/performance.md, seventh pass). Every Kafka client since 0.10
        // reads LZ4, librdkafka (kcat) included.
        producerDefault(p, "compression.type", "lz4");
        if (batchTimesteps > 1) {
            // A partial micro-batch runs from a wall-clock punctuation, and Streams punctuates only
            // between polls: a poll that waits 100 ms (the default) for new input holds the batch as
            // long. Poll in steps of a quarter of the wait, at most 5 ms: an idle service then spends
            // about 2.5% of a core more than with 100 ms polls (1 ms polls: about 10%).
            long pollMs = Math.max(1, Math.min(batchMaxWaitMs / 4, 5));
            p.put(StreamsConfig.POLL_MS_CONFIG, String.valueOf(pollMs));
        }
        // Kafka's default (0) makes a task wait for a partition whose records are on the broker but
        // not yet fetched; from Kafka 4.2 that check also formats a log line (String.format, whatever
        // the log level) for every empty partition of the task at every record, and the labels and
        // model-commands partitions are empty most of the time (docs/performance.md, sixth pass).
        // -1 processes what is buffered, in timestamp order, without waiting for unfetched records;
        // the label join takes labels before or after their features (docs/guarantees.md).
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
        // Kafka 5.0 enables it anyway; setting it now keeps Streams from warning at every start. The
        // partition assignor reads a StreamsConfig made of the main consumer's settings, which keep
        // only the consumer's own keys and the main.consumer. ones: without the copy there, it warns.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), "true");
        // Ours, not Kafka's log-and-fail: whatever slips past the processor's own checks becomes a dead letter.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.streamfit.app.errors.DeadLetterDeserializationHandler.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.streamfit.app.errors.DeadLetterProcessingHandler.class.getName());
        // Kafka's default fails the client on an output it cannot write, and the replay fails the same way.
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                io.streamfit.app.errors.DeadLetterProductionHandler.class.getName());
        p.put(DEAD_LETTERS_TOPIC_FOR_HANDLERS, deadLettersTopic);
        p.putAll(passThrough);
        if (decodeAhead) {
            // After the user's own interceptors of the main consumer (main.consumer., else consumer.,
            // else unprefixed, as Streams resolves them), which stay as they are.
            String key = ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG;
            String user = p.getProperty(StreamsConfig.mainConsumerPrefix(key),
                    p.getProperty(StreamsConfig.consumerPrefix(key), p.getProperty(key, "")));
            String own = user.isBlank() ? DECODE_AHEAD_INTERCEPTOR : user.strip() + "," + DECODE_AHEAD_INTERCEPTOR;
            p.put(StreamsConfig.mainConsumerPrefix(key), own);
        }
        return p;
    }

    /**
     * The largest record the Streams producer sends: its {@code max.request.size} and
     * {@code buffer.memory} (as {@link #streams()} sets them, a {@code producer.} prefix winning),
     * whichever is smaller.
     */
    int producerRecordCeiling() {
        Properties p = streams();
        long request = producerLong(p, "max.request.size", DEFAULT_MAX_REQUEST_SIZE);
        long memory = producerLong(p, "buffer.memory", DEFAULT_BUFFER_MEMORY);
        return (int) Math.min(Integer.MAX_VALUE, Math.min(request, memory));
    }

    private static long producerLong(Properties p, String key, long fallback) {
        Object v = p.get(StreamsConfig.producerPrefix(key));
        if (v == null) {
            v = p.get(key);
        }
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            // The producer refuses it at start, with the key; until then, its default.
            return fallback;
        }
    }

    /**
     * The pass-through keys fit to print: the value of every secret key (see {@link #isSecret}) is
     * replaced by {@link #HIDDEN}, and so is every secret of {@code mask} inside the other values.
     */
    Map<String, String> redacted(SecretMask mask) {
        return mask.redact(passThrough);
    }

    /**
     * The pass-through keys that every Kafka client of streamfit takes besides Streams itself
     * (the demo's producer, the admin client): connection and security settings, those of
     * {@link org.apache.kafka.clients.CommonClientConfigs}, SASL and SSL.
     */
    Map<String, Object> client() {
        Map<String, Object> out = new HashMap<>();
        Set<String> common = org.apache.kafka.clients.admin.AdminClientConfig.configNames();
        passThrough.forEach((k, v) -> {
            if (common.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * Whether a key holds a secret: a key of type PASSWORD in Kafka's client or Streams
     * definitions (also behind a {@code producer.}, {@code consumer.}, {@code admin.} ... prefix),
     * such as {@code sasl.jaas.config} and {@code ssl.*.password}, or any key whose name speaks of
     * a password, secret, credentials, token or JAAS (for plugins whose keys Kafka does not know).
     */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (SECRET_WORDS.stream().anyMatch(k::contains)) {
            return true;
        }
        for (ConfigDef def : KAFKA_DEFS) {
            for (String name = key; ; name = name.substring(name.indexOf('.') + 1)) {
                ConfigDef.ConfigKey ck = def.configKeys().get(name);
                if (ck != null && ck.type == Type.PASSWORD) {
                    return true;
                }
                if (name.indexOf('.') < 0) {
                    break;
                }
            }
        }
        return false;
    }
}
