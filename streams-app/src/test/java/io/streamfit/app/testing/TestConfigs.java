package io.streamfit.app.testing;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.streamfit.app.config.StreamfitConfig;

/**
 * Configurations for tests, written as what differs from a plain model of one kind:
 * {@code TestConfigs.regressor(8).kafka(broker.bootstrapServers()).app("learning-it").with("model.hidden", 16)}.
 * Keys are the user-facing property names, as in a properties file.
 */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** The default kind (the shared-weight regressor) on {@code features} features per object. */
    public static Builder regressor(int features) {
        return new Builder().with("model.features", features);
    }

    /** {@code model.kind=classifier} with {@code classes} classes. */
    public static Builder classifier(int features, int classes) {
        return regressor(features).with("model.kind", "classifier").with("model.classes", classes);
    }

    /** A sequence kind ({@code seq-autoencoder}, {@code lstm-regressor}) over windows of {@code window} timesteps. */
    public static Builder sequence(String kind, int features, int window) {
        return regressor(features).with("model.kind", kind).with("model.window", window);
    }

    /** Starts from given properties, e.g. the deploy files' streamfit.properties. */
    public static Builder from(Map<String, String> properties) {
        return new Builder().withAll(properties);
    }

    /** Accumulates properties; each call returns this builder, and the last value of a key wins. */
    public static final class Builder {

        private final Map<String, String> props = new HashMap<>();

        private Builder() {
        }

        /** Sets {@code key} to {@code String.valueOf(value)}. */
        public Builder with(String key, Object value) {
            props.put(key, String.valueOf(value));
            return this;
        }

        public Builder withAll(Map<String, String> properties) {
            props.putAll(properties);
            return this;
        }

        /** {@code application.id}: it also names the consumer group and the changelog topics. */
        public Builder app(String applicationId) {
            return with("application.id", applicationId);
        }

        /** {@code bootstrap.servers}. */
        public Builder kafka(String bootstrapServers) {
            return with("bootstrap.servers", bootstrapServers);
        }

        /** {@code state.dir}: give every test its own (a {@code @TempDir}), never Kafka's shared default. */
        public Builder stateDir(Path dir) {
            return with("state.dir", dir);
        }

        /** {@code topics.partitions} of the topics the app creates. */
        public Builder partitions(int partitions) {
            return with("topics.partitions", partitions);
        }

        /**
         * Every topic of the app named {@code prefix} + its default name (e.g. {@code fuzz-features}),
         * so that several apps on one broker keep their records apart.
         */
        public Builder topicPrefix(String prefix) {
            return with("topic.features", prefix + "features")
                    .with("topic.object.predictions", prefix + "object-predictions")
                    .with("topic.sum.predictions", prefix + "sum-predictions")
                    .with("topic.anomaly.scores", prefix + "anomaly-scores")
                    .with("topic.dead.letters", prefix + "dead-letters")
                    .with("topic.labels", prefix + "labels")
                    .with("topic.model.commands", prefix + "model-commands")
                    .with("topic.model.events", prefix + "model-events");
        }

        /** A mutable copy: later changes to this builder do not reach it. */
        public Map<String, String> toMap() {
            return new HashMap<>(props);
        }

        public StreamfitConfig toConfig() {
            return new StreamfitConfig(props);
        }

        /** Writes the properties to {@code file}, the form that {@code streamfit ... --config} reads; returns it. */
        public Path writeTo(Path file) throws IOException {
            Properties p = new Properties();
            p.putAll(props);
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                p.store(w, "written by a streamfit test");
            }
            return file;
        }
    }
}
