package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import io.streamfit.model.Activation;
import io.streamfit.model.InputLayout;
import io.streamfit.model.LearningRateSchedule;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.OptimizerParam;
import io.streamfit.model.Optimizers;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class StreamfitConfigTest {

    @Test
    void defaultsFollowTheContract() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "8"));
        ModelSpec spec = c.modelSpec();
        assertThat(spec.kind()).isEqualTo("regressor");
        assertThat(spec.hidden()).containsExactly(64);
        assertThat(spec.activation()).isEqualTo("relu");
        assertThat(spec.lossWeight()).isEqualTo(0.5);
        assertThat(spec.optimizer().name()).isEqualTo("adam");
        assertThat(spec.optimizer().learningRate()).isEqualTo(0.001);
        assertThat(spec.seed()).isEqualTo(42L);
        assertThat(c.globalScope()).isFalse();
        assertThat(c.maxObjects()).isEqualTo(4096);
        assertThat(c.maxIdBytes()).isEqualTo(256);
        assertThat(c.topics().features().name()).isEqualTo("features");
        assertThat(c.topics().deadLetters().name()).isEqualTo("dead-letters");
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(p.getProperty("application.id")).isEqualTo("streamfit");
    }

    @Test
    void kafkaKeysPassThroughAndWinOverDefaults() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "3", "processing.guarantee", "at_least_once",
                "security.protocol", "SASL_SSL", "application.id", "app-1"));
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("processing.guarantee")).isEqualTo("at_least_once");
        assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(c.applicationId()).isEqualTo("app-1");
        assertThat(c.kafkaProperties()).doesNotContainKey("model.features");
    }

    @Test
    void theProducerKeepsOneRequestInFlightWithLargeBatchesUnlessTheUserSaysOtherwise() {
        Properties p = new StreamfitConfig(Map.of("model.features", "3")).streamsProperties();
        assertThat(p.getProperty("producer.max.in.flight.requests.per.connection")).isEqualTo("1");
        assertThat(p.getProperty("producer.batch.size")).as("128 KB, not Kafka's 16 KB").isEqualTo("131072");
        assertThat(p.getProperty("producer.linger.ms")).isEqualTo("5");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "producer.batch.size", "16384"))
                .streamsProperties().getProperty("producer.batch.size")).as("the user's value wins").isEqualTo("16384");
    }

    @Test
    void outputsAreLz4CompressedUnlessTheUserSaysOtherwiseForTheProducerOrForEveryClient() {
        assertThat(new StreamfitConfig(Map.of("model.features", "3")).streamsProperties()
                .getProperty("producer.compression.type")).isEqualTo("lz4");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "producer.compression.type", "none"))
                .streamsProperties().getProperty("producer.compression.type")).isEqualTo("none");
        Properties unprefixed = new StreamfitConfig(Map.of("model.features", "3", "compression.type", "zstd",
                "linger.ms", "50")).streamsProperties();
        // Streams ranks producer.KEY above KEY: a default under the prefix would hide the user's key.
        assertThat(unprefixed.getProperty("compression.type")).isEqualTo("zstd");
        assertThat(unprefixed).doesNotContainKeys("producer.compression.type", "producer.linger.ms");
        assertThat(new org.apache.kafka.streams.StreamsConfig(unprefixed).getProducerConfigs("c"))
                .as("what the producer gets").containsEntry("compression.type", "zstd").containsEntry("linger.ms", "50")
                .containsEntry("batch.size", "131072");
    }

    @Test
    void tasksProcessWhatIsBufferedWithoutIdlingUnlessTheUserSaysOtherwise() {
        // Kafka's 0 formats a log line per empty partition of the task at every record (4.2 and later).
        assertThat(new StreamfitConfig(Map.of("model.features", "3")).streamsProperties()
                .getProperty("max.task.idle.ms")).isEqualTo("-1");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "max.task.idle.ms", "0"))
                .streamsProperties().getProperty("max.task.idle.ms")).as("the user's value wins").isEqualTo("0");
    }

    @Test
    void theMainConsumerHandsRecordsToTheDecodeHelperAfterTheUsersOwnInterceptors() throws Exception {
        String key = "main.consumer.interceptor.classes";
        String ours = "io.streamfit.app.pipeline.DecodeAhead$Interceptor";
        assertThat(new StreamfitConfig(Map.of("model.features", "3")).streamsProperties().getProperty(key))
                .isEqualTo(ours);
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "consumer.interceptor.classes", "a.B"))
                .streamsProperties().getProperty(key)).as("consumer. applies to the main consumer")
                .isEqualTo("a.B," + ours);
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "interceptor.classes", "a.C",
                key, "a.B")).streamsProperties().getProperty(key)).as("main.consumer. wins").isEqualTo("a.B," + ours);
        Properties off = new StreamfitConfig(Map.of("model.features", "3", "decode.ahead", "false",
                "consumer.interceptor.classes", "a.B")).streamsProperties();
        assertThat(off.getProperty(key)).as("decode.ahead=false").isNull();
        assertThat(off.getProperty("consumer.interceptor.classes")).isEqualTo("a.B");
        org.apache.kafka.clients.consumer.ConsumerInterceptor<?, ?> interceptor = org.apache.kafka.common.utils.Utils
                .newInstance(ours, org.apache.kafka.clients.consumer.ConsumerInterceptor.class);
        assertThat(interceptor).as("Kafka can make it by name").isNotNull();
    }

    @Test
    void microBatchesPollInStepsShortEnoughForTheirFlushUnlessPollMsIsSet() {
        assertThat(new StreamfitConfig(Map.of("model.features", "3")).streamsProperties())
                .as("batch.timesteps=1 never waits: Kafka's poll.ms stays").doesNotContainKey("poll.ms");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "batch.timesteps", "64")).streamsProperties()
                .getProperty("poll.ms")).as("at most 5 ms").isEqualTo("5");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "batch.timesteps", "64",
                "batch.max.wait.ms", "8")).streamsProperties()
                .getProperty("poll.ms")).as("a quarter of the wait").isEqualTo("2");
        assertThat(new StreamfitConfig(Map.of("model.features", "3", "batch.timesteps", "64", "poll.ms", "250"))
                .streamsProperties().getProperty("poll.ms")).as("the user's value wins").isEqualTo("250");
    }

    @Test
    void invalidValuesAreRejectedWithTheKey() {
        assertThatThrownBy(() -> new StreamfitConfig(Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("model.features");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "loss.weight", "1.5")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("loss.weight");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "64,x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.hidden");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer", "lbfgs")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("optimizer");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.scope", "object")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.scope");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "max.id.bytes", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("max.id.bytes");
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "max.id.bytes", "1024")).maxIdBytes())
                .isEqualTo(1024);
    }

    @Test
    void classifierKeysBuildTheClassifierSpecAndAreCheckedAcrossKinds() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "500", "model.kind", "classifier",
                "model.classes", "3", "model.input", "sparse", "model.hidden", "64", "model.activation", "sigmoid"));
        ModelSpec spec = c.modelSpec();
        assertThat(spec.kind()).isEqualTo(ModelSpec.KIND_CLASSIFIER);
        assertThat(spec.classes()).isEqualTo(3);
        assertThat(spec.sparseInput()).isTrue();
        assertThat(spec.fingerprint()).endsWith("|classes=3");
        assertThat(c.summary()).contains("model=classifier classes=3");
        assertThat(new StreamfitConfig(Map.of("model.features", "4")).modelSpec().sparseInput()).isFalse();
        assertThat(new StreamfitConfig(Map.of("model.features", "5000")).modelSpec().sparseInput())
                .as("auto is sparse above m = 1024").isTrue();

        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.kind", "classifier")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.classes");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.kind", "classifier",
                "model.classes", "1"))).isInstanceOf(ConfigException.class).hasMessageContaining(">= 2");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.classes", "3")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("only model.kind classifier");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.input", "csr")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.input");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.kind", "seq-autoencoder",
                "model.input", "sparse"))).isInstanceOf(ConfigException.class).hasMessageContaining("model.input");
    }

    @Test
    void emptyHiddenMeansLinear() {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", ""));
        assertThat(c.hidden()).isEmpty();
        StreamfitConfig two = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "64, 32"));
        assertThat(two.hidden()).containsExactly(64, 32);
    }

    @Test
    void optimizerHyperparametersEnterTheFingerprintOfTheirOptimizerOnly() {
        StreamfitConfig adam = new StreamfitConfig(Map.of("model.features", "4", "optimizer.momentum", "0.5"));
        StreamfitConfig adam2 = new StreamfitConfig(Map.of("model.features", "4"));
        assertThat(adam.modelSpec().fingerprint()).isEqualTo(adam2.modelSpec().fingerprint());
        StreamfitConfig mom = new StreamfitConfig(Map.of("model.features", "4", "optimizer", "momentum",
                "optimizer.momentum", "0.5"));
        assertThat(mom.modelSpec().optimizer().param("momentum", 0)).isEqualTo(0.5);
    }

    @ParameterizedTest
    @MethodSource("io.streamfit.model.Optimizers#names")
    void everyOptimizerIsSelectableAndGetsItsOwnDefaults(String name) {
        StreamfitConfig c = new StreamfitConfig(Map.of("model.features", "4", "optimizer", name));
        ModelSpec.OptimizerSpec opt = c.modelSpec().optimizer();
        assertThat(opt.name()).isEqualTo(name);
        assertThat(opt.params()).isEqualTo(Optimizers.defaults(name));
        assertThat(opt.schedule()).isEqualTo("constant");
    }

    @Test
    void sharedKeysTakeTheChosenOptimizersDefaultUnlessSet() {
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "rmsprop")).modelSpec().optimizer()
                .param("momentum", -1)).isEqualTo(0.0);
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "neuron-mean-momentum"))
                .modelSpec().optimizer().param("momentum", -1)).isEqualTo(0.9);
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "ftrl",
                "optimizer.initial.accumulator", "0.5", "optimizer.ftrl.l1", "0.01")).modelSpec().optimizer().params())
                .containsEntry("initial.accumulator", 0.5).containsEntry("ftrl.l1", 0.01)
                .containsEntry("learning.rate.power", -0.5);
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "rmsprop", "optimizer.centered",
                "true")).modelSpec().optimizer().param("centered", 0)).isEqualTo(1.0);
    }

    @Test
    void regularisationClippingAndScheduleEnterTheSpecOnlyWhenUsed() {
        StreamfitConfig plain = new StreamfitConfig(Map.of("model.features", "4", "optimizer.decay.rate", "0.5"));
        assertThat(plain.modelSpec().optimizer().params()).doesNotContainKeys("l1", "l2", "weight.decay",
                "clip.norm", "decay.rate", "decay.steps");
        StreamfitConfig used = new StreamfitConfig(Map.of("model.features", "4", "optimizer.l2", "0.01",
                "optimizer.weight.decay", "0.001", "optimizer.clip.norm", "5", "optimizer.schedule", "exponential",
                "optimizer.decay.rate", "0.5", "optimizer.decay.steps", "100"));
        ModelSpec.OptimizerSpec opt = used.modelSpec().optimizer();
        assertThat(opt.params()).containsEntry("l2", 0.01).containsEntry("weight.decay", 0.001)
                .containsEntry("clip.norm", 5.0).containsEntry("decay.rate", 0.5).containsEntry("decay.steps", 100.0)
                .doesNotContainKey("l1");
        assertThat(opt.schedule()).isEqualTo("exponential");
        assertThat(used.modelSpec().fingerprint()).isNotEqualTo(plain.modelSpec().fingerprint());
    }

    @Test
    void optimizerRangesAreCheckedWithTheKey() {
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer", "momentum",
                "optimizer.momentum", "1.0"))).isInstanceOf(ConfigException.class).hasMessageContaining("momentum");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer.schedule", "cosine")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("optimizer.schedule");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer.schedule",
                "exponential", "optimizer.decay.rate", "2"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("decay.rate");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "optimizer.l2", "-1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("optimizer.l2");
    }

    @Test
    void everyOptimizerKeyButTheChoiceRateAndScheduleIsAParameterOfTheRegistry() {
        Map<String, ConfigDef.ConfigKey> keys = StreamfitConfig.configDef().configKeys();
        Set<String> expected = new HashSet<>(List.of("learning.rate", "schedule"));
        Optimizers.params().forEach(p -> expected.add(p.key()));
        assertThat(keys.keySet().stream().filter(k -> k.startsWith(StreamfitConfig.OPTIMIZER_PREFIX))
                .map(k -> k.substring(StreamfitConfig.OPTIMIZER_PREFIX.length())).collect(Collectors.toSet()))
                .as("no optimizer parameter key is written by hand").isEqualTo(expected);
        for (OptimizerParam p : Optimizers.params()) {
            ConfigDef.ConfigKey key = keys.get(StreamfitConfig.OPTIMIZER_PREFIX + p.key());
            assertThat(key.type).as(key.name).isEqualTo(p.type() == OptimizerParam.Type.FLAG
                    ? ConfigDef.Type.BOOLEAN : ConfigDef.Type.DOUBLE);
            if (!Optimizers.COMMON_PARAMS.contains(p.key())) {
                assertThat(key.documentation).as(key.name + " names the optimizers that take it")
                        .startsWith(String.join(", ", Optimizers.defaultsByOptimizer(p.key()).keySet()) + ": ");
            }
        }
    }

    /**
     * The values of the keys as they were written by hand before they came from the registry;
     * a changed default would silently retrain every model that relies on it.
     */
    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "momentum, DOUBLE, null, LOW", "nesterov, BOOLEAN, false, LOW", "beta1, DOUBLE, 0.9, LOW",
            "beta2, DOUBLE, 0.999, LOW", "epsilon, DOUBLE, null, LOW", "initial.accumulator, DOUBLE, null, LOW",
            "rho, DOUBLE, 0.9, LOW", "centered, BOOLEAN, false, LOW", "learning.rate.power, DOUBLE, -0.5, LOW",
            "ftrl.l1, DOUBLE, 0.0, LOW", "ftrl.l2, DOUBLE, 0.0, LOW", "ftrl.l2.shrinkage, DOUBLE, 0.0, LOW",
            "l1, DOUBLE, 0.0, MEDIUM", "l2, DOUBLE, 0.0, MEDIUM", "weight.decay, DOUBLE, 0.0, MEDIUM",
            // clip.norm has no key default on purpose: unset means Optimizers.CLIP_NORM_DEFAULT, a given 0 off.
            "clip.norm, DOUBLE, null, MEDIUM", "decay.rate, DOUBLE, 0.96, LOW", "decay.steps, DOUBLE, 1000.0, LOW"})
    void optimizerKeysKeepTheirTypeDefaultAndImportance(String param, ConfigDef.Type type, String dflt,
                                                        ConfigDef.Importance importance) {
        ConfigDef.ConfigKey key = StreamfitConfig.configDef().configKeys().get("optimizer." + param);
        assertThat(key.type).isEqualTo(type);
        assertThat(key.defaultValue == null ? null : String.valueOf(key.defaultValue)).isEqualTo(dflt);
        assertThat(key.importance).isEqualTo(importance);
    }

    /** Where a value fails, by the key the error names: "-" passes. As with the hand-written keys. */
    @ParameterizedTest
    @CsvSource({
            // An open end passes the key's check; the model rejects it only for an optimizer that takes it.
            "adam, optimizer.momentum, 1.0, -", "momentum, optimizer.momentum, 1.0, optimizer",
            "sgd, optimizer.epsilon, 0, -", "adam, optimizer.epsilon, 0, optimizer",
            "sgd, optimizer.epsilon, Infinity, optimizer.epsilon",
            "sgd, optimizer.initial.accumulator, -1, optimizer.initial.accumulator",
            // Infinity passes an unbounded key; only ftrl itself refuses it.
            "adam, optimizer.ftrl.l1, Infinity, -", "ftrl, optimizer.ftrl.l1, Infinity, optimizer",
            "ftrl, optimizer.learning.rate.power, -2e6, optimizer.learning.rate.power",
            "ftrl, optimizer.learning.rate.power, 0.1, optimizer.learning.rate.power",
            "sgd, optimizer.decay.steps, 1e-10, optimizer.decay.steps", "sgd, optimizer.decay.steps, 1e-9, -",
            "sgd, optimizer.beta1, 1.5, optimizer.beta1", "sgd, optimizer.l1, -0.1, optimizer.l1",
            "rmsprop, optimizer.centered, yes, optimizer.centered", "rmsprop, optimizer.centered, true, -"})
    void optimizerValuesAreCheckedAsBefore(String optimizer, String key, String value, String failingKey) {
        Map<String, String> props = Map.of("model.features", "4", "optimizer", optimizer, key, value);
        if (failingKey.equals("-")) {
            assertThat(new StreamfitConfig(props).modelSpec().optimizer().name()).isEqualTo(optimizer);
        } else {
            assertThatThrownBy(() -> new StreamfitConfig(props)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("configuration " + failingKey + ":");
        }
    }

    /**
     * The gradient clip and the sum normalisation changed defaults: a configuration that leaves
     * them unset, and one that spells out the old behaviour, keep the fingerprint they had, so
     * their saved models load; huber prints.
     */
    @Test
    void theChangedDefaultsKeepEveryEarlierFingerprint() {
        String before = "regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001, {beta1=0.9, beta2=0.999, "
                + "epsilon=1.0E-8})|seed=42";
        StreamfitConfig unset = new StreamfitConfig(Map.of("model.features", "4"));
        StreamfitConfig old = new StreamfitConfig(Map.of("model.features", "4", "optimizer.clip.norm", "0",
                "loss.sum.normalization", "none"));
        assertThat(unset.modelSpec().fingerprint()).isEqualTo(before);
        assertThat(old.modelSpec().fingerprint()).isEqualTo(before);
        assertThat(Optimizers.regularization(unset.modelSpec().optimizer()).clipNorm())
                .isEqualTo(Optimizers.CLIP_NORM_DEFAULT);
        assertThat(Optimizers.regularization(old.modelSpec().optimizer()).clipNorm()).isZero();
        assertThat(old.modelSpec().loss()).isEqualTo(io.streamfit.model.LossOptions.LEGACY);
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "loss.function", "huber", "loss.huber.delta",
                "0.5")).modelSpec().fingerprint()).isEqualTo(before + "|loss=huber(delta=0.5)");
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.kind", "classifier",
                "model.classes", "3", "loss.function", "huber"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("loss.function");
    }

    /** Checkpoints are matched by fingerprint: the same configuration must keep giving the same one. */
    @Test
    void fingerprintsAreThoseOfTheHandWrittenKeys() {
        assertThat(new StreamfitConfig(Map.of("model.features", "4")).modelSpec().fingerprint()).isEqualTo(
                "regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=adam(lr=0.001, {beta1=0.9, beta2=0.999, "
                        + "epsilon=1.0E-8})|seed=42");
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "rmsprop")).modelSpec()
                .fingerprint()).isEqualTo("regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=rmsprop(lr=0.001, "
                + "{centered=0.0, epsilon=1.0E-10, momentum=0.0, rho=0.9})|seed=42");
        assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer", "ftrl", "optimizer.schedule",
                "exponential", "optimizer.l1", "0", "optimizer.learning.rate", "0.05")).modelSpec().fingerprint())
                .isEqualTo("regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=ftrl(lr=0.05, {decay.rate=0.96, "
                        + "decay.steps=1000.0, ftrl.l1=0.0, ftrl.l2=0.0, ftrl.l2.shrinkage=0.0, "
                        + "initial.accumulator=0.1, learning.rate.power=-0.5}, schedule=exponential)|seed=42");
        Map<String, String> all = new HashMap<>(Map.of("model.features", "4", "optimizer", "momentum",
                "optimizer.momentum", "0.5", "optimizer.nesterov", "true", "optimizer.beta1", "0.8",
                "optimizer.l1", "0.001", "optimizer.l2", "0.002", "optimizer.weight.decay", "0.003",
                "optimizer.clip.norm", "4", "optimizer.schedule", "inverse-time"));
        all.putAll(Map.of("optimizer.decay.rate", "0.5", "optimizer.decay.steps", "77"));
        assertThat(new StreamfitConfig(all).modelSpec().fingerprint()).isEqualTo(
                "regressor|m=4|hidden=[64]|act=relu|w=0.5|opt=momentum(lr=0.001, {clip.norm=4.0, decay.rate=0.5, "
                        + "decay.steps=77.0, l1=0.001, l2=0.002, momentum=0.5, nesterov=1.0, weight.decay=0.003}, "
                        + "schedule=inverse-time)|seed=42");
        assertThat(new StreamfitConfig(Map.of("model.features", "500", "model.kind", "classifier", "model.classes",
                "3", "model.input", "sparse", "model.activation", "sigmoid")).modelSpec().fingerprint()).isEqualTo(
                "classifier|m=500|hidden=[64]|act=sigmoid|w=0.5|opt=adam(lr=0.001, {beta1=0.9, beta2=0.999, "
                        + "epsilon=1.0E-8})|seed=42|classes=3");
    }

    @Test
    void enumKeysAcceptExactlyTheEnumsSpellings() {
        for (String input : InputLayout.configNames()) {
            assertThat(new StreamfitConfig(Map.of("model.features", "4", "model.input", input)).modelSpec().input())
                    .isEqualTo(input);
        }
        for (String schedule : LearningRateSchedule.Kind.configNames()) {
            assertThat(new StreamfitConfig(Map.of("model.features", "4", "optimizer.schedule", schedule))
                    .optimizerSpec().schedule()).isEqualTo(schedule);
        }
        for (Activation a : Activation.values()) {
            assertThat(new StreamfitConfig(Map.of("model.features", "4", "model.activation", a.configName()))
                    .modelSpec().activation()).isEqualTo(a.configName());
        }
        assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "4", "model.activation", "gelu")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("relu, tanh, sigmoid, linear");
    }

    @Test
    void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "model.features=8\nloss.weight=0.2\nbootstrap.servers=kafka:9092\n");
        Map<String, String> env = new HashMap<>();
        env.put("STREAMFIT_LOSS_WEIGHT", "0.9");
        env.put("STREAMFIT_BOOTSTRAP_SERVERS", "other:9093");
        env.put("STREAMFIT_LOG_LEVEL", "DEBUG");
        env.put("PATH", "/usr/bin");
        Map<String, String> props = ConfigLoader.load(file, Map.of("model.hidden", "16"), env);
        StreamfitConfig c = new StreamfitConfig(props);
        assertThat(c.getDouble("loss.weight")).isEqualTo(0.9);
        assertThat(c.bootstrapServers()).isEqualTo("other:9093");
        assertThat(c.hidden()).containsExactly(16);
        assertThat(props).doesNotContainKey("log.level").doesNotContainKey("path");
    }
}
