package io.streamfit.app.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import io.streamfit.app.names.Names;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.FeatureScaling;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.model.InputScaling;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code streamfit export --config FILE --model KEY --out DIR}: writes the live model of one model
 * key as a TensorFlow SavedModel (tag and signature {@code serve}: input {@code features} float32
 * [n, m], output {@code predictions} float32 [n]).
 *
 * <p>The graph takes the raw features a record carries. With {@code features.scaling=standard}
 * the model's running means and standard deviations, as its checkpoint holds them, are baked into
 * the graph as constants that standardize the input before the first layer, as the service does
 * before it feeds the network; the export and the configuration must agree on the scaling.
 *
 * <p>"Live" is the latest committed checkpoint of the key in the model store's changelog topic
 * ({@code <application.id>-model-store-changelog}), read to its end with a plain
 * {@code read_committed} consumer that joins no group, so a running service is neither disturbed
 * nor required. The configuration gives the cluster, the application id and the model spec, whose
 * settings that shape the weights (kind, m, hidden sizes, activation, classes, window) must be the
 * checkpoint's; its training settings (optimizer, learning rate, loss weight, seed) need not.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes the live model of a model key as a TensorFlow SavedModel (signature 'serve').")
final class ExportCommand implements Callable<Integer> {

    @Mixin
    ServiceConfigOption config;

    @Option(names = "--model", required = true,
            description = "Model key: a series id, or 'global' with model.scope=global.")
    String model;

    @Option(names = "--out", required = true, description = "Directory to write; must be absent or empty.")
    Path out;

    @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Longest time to read the changelog (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StreamfitConfig cfg = config.load();
        PrintWriter stdout = spec.commandLine().getOut();
        try {
            Exported exported = export(cfg, model, out, timeout);
            stdout.printf("exported model '%s' (version %d) to %s%n", model, exported.version(), out.toAbsolutePath());
            if (exported.standardized()) {
                stdout.println("its graph standardizes the features by the model's running mean and standard "
                        + "deviation (features.scaling=standard): feed it raw features");
            }
            stdout.flush();
            return 0;
        } catch (ExportException e) {
            // The message names the cluster and the application id: configured values, which may hold a secret.
            throw new CliErrors.UserError(cfg.secretMask().mask(e.getMessage()), e);
        }
    }

    /** Why an export could not be made, in words for the user. */
    static final class ExportException extends Exception {
        ExportException(String message) {
            super(message);
        }
    }

    /** The changelog topic of the model store of {@code applicationId}. */
    static String changelogTopic(String applicationId) {
        return applicationId + "-" + Names.MODEL_STORE + "-changelog";
    }

    /**
     * What an export wrote.
     *
     * @param version      the model version (applied updates) of the exported model
     * @param standardized whether its graph standardizes the raw features ({@code features.scaling=standard})
     */
    record Exported(long version, boolean standardized) {
    }

    /** Exports the latest committed checkpoint of {@code key} to {@code out}. */
    static Exported export(StreamfitConfig cfg, String key, Path out, Duration timeout)
            throws ExportException, IOException {
        if (Files.isDirectory(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new ExportException("output directory " + out + " is not empty");
                }
            }
            // The SavedModel writer creates the directory itself.
            Files.delete(out);
        } else if (Files.exists(out)) {
            throw new ExportException("output path " + out + " exists and is not a directory");
        }
        return export(cfg, key, latestCheckpoint(cfg, key, timeout), out);
    }

    /**
     * Exports {@code cp}, the checkpoint of {@code key}, to {@code out} (absent or an empty
     * directory's place): under the configuration's shape settings, which must be the checkpoint's;
     * its training settings need not be.
     */
    static Exported export(StreamfitConfig cfg, String key, ModelCheckpoint cp, Path out)
            throws ExportException, IOException {
        ModelSpec spec = cfg.modelSpec();
        // Training settings (learning rate, optimizer, loss weight, seed, ...) do not change what
        // the weights compute: the export takes them from any; settings that shape them must match.
        SettingsChange change = SettingsChange.of(cp.getSpecFingerprint(), spec);
        if (change != null && change.reshapes()) {
            SettingsChange.Variant champion = SettingsChange.Variant.CHAMPION;
            throw new ExportException("model '" + key + "' was trained with " + change.shapeThen(champion)
                    + " but the configuration says " + change.shapeNow(champion) + " (settings that shape the "
                    + "weights); export with the configuration the service runs with");
        }
        InputScaling scaling = inputScaling(cfg.kind(), cp);
        ByteBuffer buf = cp.getModelState().duplicate();
        byte[] state = new byte[buf.remaining()];
        buf.get(state);
        try (OnlineModel m = cfg.kind().create()) {
            m.importState(state);
            m.exportSavedModel(out, scaling);
            return new Exported(m.version(), scaling != null);
        }
    }

    /**
     * The standardization the exported graph applies to its raw input: the one of the model's
     * restored extras, or null when the model sees its features as they are.
     *
     * @throws ExportException when the checkpoint holds feature statistics and the configuration
     *                         scales no features, or the other way round: the weights were
     *                         learned on other inputs than the export would feed them
     */
    static InputScaling inputScaling(ConfiguredKind kind, ModelCheckpoint cp) throws ExportException {
        ModelExtras extras = kind.newExtras();
        try {
            extras.restore(cp);
        } catch (RuntimeException e) {
            throw new ExportException("the checkpoint of model '" + cp.getModelKey() + "' cannot be restored: "
                    + e.getMessage());
        }
        InputScaling scaling = extras.inputScaling();
        boolean trainedScaled = cp.getLearning() != null && cp.getLearning().getFeatureMoments() != null;
        if (trainedScaled && scaling == null) {
            throw new ExportException("model '" + cp.getModelKey() + "' was trained on standardized features (its "
                    + "checkpoint holds their statistics) but the configuration says " + FeatureScaling.KEY + "="
                    + FeatureScaling.NONE.configName() + "; export with the configuration the service runs with");
        }
        if (!trainedScaled && scaling != null) {
            throw new ExportException("model '" + cp.getModelKey() + "' was trained on raw features (its checkpoint "
                    + "holds no feature statistics) but the configuration says " + FeatureScaling.KEY + "="
                    + FeatureScaling.STANDARD.configName() + "; export with the configuration it was trained with");
        }
        return scaling;
    }

    private static ModelCheckpoint latestCheckpoint(StreamfitConfig cfg, String key, Duration timeout)
            throws ExportException {
        String topic = changelogTopic(cfg.applicationId());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProperties(cfg),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new ExportException("topic " + topic + " does not exist on " + cfg.bootstrapServers()
                        + ": has the service run with application.id '" + cfg.applicationId() + "'?");
            }
            List<TopicPartition> partitions = new ArrayList<>();
            infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // With read_committed these are the last stable offsets: everything up to them is final.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            byte[] latest = null;
            TreeSet<String> seen = new TreeSet<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new ExportException("could not read " + topic + " to its end within "
                            + Durations.human(timeout) + " (--timeout)");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        latest = r.value(); // a tombstone (null) deletes the model
                    } else if (seen.size() < 20 && r.key() != null) {
                        seen.add(r.key());
                    }
                }
            }
            if (latest == null) {
                throw new ExportException("no checkpoint of model '" + key + "' in " + topic
                        + (seen.isEmpty() ? " (the topic is empty)" : "; keys there include " + seen));
            }
            return StreamfitSerdes.modelCheckpoint().deserializer().deserialize(topic, latest);
        }
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The pass-through client keys a consumer knows (security, SASL, TLS), plus read_committed. */
    private static Map<String, Object> consumerProperties(StreamfitConfig cfg) {
        Map<String, Object> p = new HashMap<>();
        cfg.kafkaProperties().forEach((k, v) -> {
            if (ConsumerConfig.configNames().contains(k)) {
                p.put(k, v);
            }
        });
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        // A changelog that does not exist must not be created by asking for it (see SavedModels).
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "streamfit-export");
        // Checkpoints of big models exceed the default fetch sizes.
        p.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
        p.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return p;
    }
}
