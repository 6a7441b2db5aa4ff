package io.streamfit.app.security;

import io.streamfit.app.testing.Slow;
import io.streamfit.app.names.Names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.streamfit.app.cli.StreamfitCli;
import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.KafkaProperties;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.http.HttpApi;
import io.streamfit.app.metrics.Registries;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.runtime.StreamfitAcls;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.topology.StreamfitTopology;
import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.devkit.broker.SecureBroker;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * streamfit against the in-JVM KRaft broker with a SASL_SSL (SCRAM-SHA-512) listener and ACLs
 * enforced (StandardAuthorizer, {@code allow.everyone.if.no.acl.found=false}):
 * <ul>
 *   <li>with the documented minimal ACLs ({@link StreamfitAcls}) and the client config that
 *       {@code streamfit broker --secure} writes (passwords through {@code ${file:...}}), the app
 *       creates its topics and predicts every record;</li>
 *   <li>{@code streamfit run} with a wrong password stops at once with a clear authentication
 *       error and a non-zero exit;</li>
 *   <li>without WRITE on an output topic the app reports the authorization error, stops, and
 *       commits nothing, so a restart after the grant predicts every record;</li>
 *   <li>no password appears in the logs (Kafka's client logs at INFO included), the CLI's output or
 *       the HTTP answers of those runs.</li>
 * </ul>
 */
@Slow
class SecureKafkaIT {

    private static final String APP_USER = "sf-app";
    private static final String NO_WRITE_USER = "sf-nowrite";
    private static final int M = 3;

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static SecureBroker secure;
    private static ListAppender<ILoggingEvent> logs;
    private static final Map<String, Level> LEVELS_BEFORE = new HashMap<>();

    @BeforeAll
    static void startBroker() throws Exception {
        // Kafka's clients log their whole configuration at INFO: the strictest place to look for a leak.
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        for (String name : List.of("org.apache.kafka.clients", "org.apache.kafka.streams", "org.apache.kafka.common.config",
                "io.streamfit")) {
            LEVELS_BEFORE.put(name, ctx.getLogger(name).getLevel());
            ctx.getLogger(name).setLevel(Level.INFO);
        }
        logs = new ListAppender<>();
        logs.setContext(ctx);
        logs.start();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
        broker = EmbeddedBroker.startSecure(0, null, dir.resolve("secure"), List.of(APP_USER, NO_WRITE_USER), Map.of());
        secure = broker.secure();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        LoggerContext ctx = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
        LEVELS_BEFORE.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
        if (broker != null) {
            broker.close();
        }
    }

    /** The app's config: the client config file of {@code user} plus app keys in a second file. */
    private static StreamfitConfig appConfig(String user, String appId, String prefix, boolean createTopics)
            throws Exception {
        Map<String, String> app = new HashMap<>();
        app.put("application.id", appId);
        app.put("state.dir", dir.resolve("state-" + appId + "-" + System.nanoTime()).toString());
        app.put("model.features", String.valueOf(M));
        app.put("model.hidden", "8");
        app.put("topics.partitions", "2");
        app.put("topics.create", String.valueOf(createTopics));
        app.put("http.port", "0");
        // One model for all series: the route topic <application.id>-global-route is covered by the ACLs too.
        app.put("model.scope", "global");
        app.put("topic.features", prefix + "-features");
        app.put("topic.object.predictions", prefix + "-objects");
        app.put("topic.sum.predictions", prefix + "-sums");
        app.put("topic.anomaly.scores", prefix + "-anomalies");
        app.put("topic.dead.letters", prefix + "-dead");
        app.put("topic.labels", prefix + "-labels");
        app.put("topic.model.commands", prefix + "-commands");
        app.put("topic.model.events", prefix + "-events");
        // Commit often: the test waits for committed outputs.
        app.put("commit.interval.ms", "200");
        return new StreamfitConfig(ConfigLoader.load(secure.clientConfig(user), app, Map.of()));
    }

    private static Map<String, Object> admin() {
        return new HashMap<>(secure.clientProperties(SecureBroker.ADMIN_USER));
    }

    private static void grant(List<AclBinding> acls) throws Exception {
        try (Admin admin = Admin.create(admin())) {
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Produces {@code n} timesteps as the admin; returns the number of objects in them. */
    private static int produce(String topic, SyntheticStream stream, int n, Set<String> keys) {
        Map<String, Object> props = admin();
        props.put("acks", "all");
        props.put("max.in.flight.requests.per.connection", 1);
        var json = StreamfitSerdes.timestep().serializer();
        int objects = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < n; i++) {
                Timestep ts = stream.next();
                objects += ts.objects().size();
                keys.add(ts.series() + "@" + ts.timestep());
                producer.send(new ProducerRecord<>(topic, ts.series(), json.serialize(topic, ts)));
            }
        }
        return objects;
    }

    /** Every committed record of a topic, read as the admin. */
    private static <T> List<T> readCommitted(String topic, Deserializer<T> d, int expected) {
        Map<String, Object> props = admin();
        props.put("group.id", "reader-" + topic + "-" + System.nanoTime());
        props.put("auto.offset.reset", "earliest");
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, new StringDeserializer(), d)) {
            consumer.subscribe(List.of(topic));
            int idle = 0;
            while (idle < 4 && out.size() < expected) {
                var records = consumer.poll(Duration.ofSeconds(1));
                idle = records.isEmpty() ? idle + 1 : 0;
                for (ConsumerRecord<String, T> r : records) {
                    out.add(r.value());
                }
            }
            // A little longer: anything beyond the expected count would be a duplicate.
            for (ConsumerRecord<String, T> r : consumer.poll(Duration.ofSeconds(1))) {
                out.add(r.value());
            }
        }
        return out;
    }

    private static List<String> httpAnswers(HttpApi http) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        List<String> bodies = new ArrayList<>();
        for (String path : List.of("/metrics", "/health", "/models")) {
            bodies.add(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        }
        return bodies;
    }

    /** Every log line so far, with the messages and stack traces of attached exceptions. */
    private static String logText() {
        StringBuilder sb = new StringBuilder();
        synchronized (logs) {
            for (ILoggingEvent e : List.copyOf(logs.list)) {
                sb.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" - ").append(e.getFormattedMessage())
                        .append('\n');
                if (e.getThrowableProxy() != null) {
                    sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static void assertNoSecretIn(String what, String text) {
        List<String> secrets = new ArrayList<>();
        secrets.add(secure.truststorePassword());
        secure.users().forEach(u -> secrets.add(secure.password(u)));
        for (String s : secrets) {
            assertThat(s).hasSizeGreaterThan(16);
            assertThat(text).as("%s must not contain a password", what).doesNotContain(s);
        }
    }

    @Test
    void theClientConfigsGiveNoPasswordAwayAndTheSecretsFileIsTheOwnersOnly() throws Exception {
        for (String user : secure.users()) {
            String config = Files.readString(secure.clientConfig(user));
            assertThat(config).contains("security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
                    "username=\"" + user + "\"", "${file:");
            assertNoSecretIn("client config of " + user, config);
        }
        Path secrets = secure.directory().resolve(SecureBroker.SECRETS_FILE);
        assertThat(Files.readString(secrets)).contains(secure.password(APP_USER));
        assertThat(Files.getPosixFilePermissions(secrets))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void withTheMinimalAclsTheAppPredictsEveryRecord() throws Exception {
        StreamfitConfig cfg = appConfig(APP_USER, "secure-ok", "ok", true);
        // The client config file reached the app with the password resolved from the secrets file.
        assertThat(cfg.kafkaProperties().get("sasl.jaas.config")).contains(secure.password(APP_USER));
        grant(StreamfitAcls.forApp("User:" + APP_USER, cfg));

        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitMetrics metrics = new StreamfitMetrics(registry);
        StreamfitApp app = new StreamfitApp(cfg, metrics);
        List<String> answers;
        int n = 40;
        Set<String> keys = new HashSet<>();
        int objects;
        app.start(); // creates the topics as the app's principal (CREATE ACLs)
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
            objects = produce("ok-features", new SyntheticStream(2, M, 0.1, 5, 1), n, keys);
            await().atMost(Duration.ofMinutes(2)).until(() -> metrics.recordsTotal() >= n);
            await().atMost(Duration.ofSeconds(30)).until(app::healthy);
            answers = httpAnswers(http);
        } finally {
            app.close();
        }
        assertThat(app.fatalError()).isNull();
        assertThat(metrics.deadLetters()).isZero();
        List<SumPrediction> sums = readCommitted("ok-sums", StreamfitSerdes.sumPrediction().deserializer(), n);
        Set<String> predicted = new HashSet<>();
        sums.forEach(s -> predicted.add(s.getSeries() + "@" + s.getTimestep()));
        assertThat(sums).hasSize(n);
        assertThat(predicted).isEqualTo(keys);
        assertThat(readCommitted("ok-objects", new ByteArrayDeserializer(), objects)).hasSize(objects);

        assertThat(answers.get(0)).contains("streamfit_records_total");
        assertThat(answers.get(1)).contains("\"UP\"");
        assertThat(answers.get(2)).contains("\"global\"");
        String log = logText();
        // The start-up line shows the security settings, with the secrets hidden.
        assertThat(log).contains("Kafka client settings:", "security.protocol=SASL_SSL",
                "sasl.jaas.config=" + KafkaProperties.HIDDEN, "ssl.truststore.password=" + KafkaProperties.HIDDEN);
        // Kafka's own configuration dumps were captured too.
        assertThat(log).contains("ProducerConfig values", "ConsumerConfig values");
        assertNoSecretIn("the log", log);
        for (String body : answers) {
            assertNoSecretIn("an HTTP answer", body);
        }
    }

    @Test
    void aWrongPasswordStopsRunAtOnceWithAClearError() throws Exception {
        String wrong = "wrong-password-" + System.nanoTime();
        Path config = dir.resolve("wrong.properties");
        Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + broker.bootstrapServers(),
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + APP_USER + "\" password=\"" + wrong + "\";",
                "ssl.truststore.type=PKCS12",
                "ssl.truststore.location=" + secure.truststore(),
                "ssl.truststore.password=" + secure.truststorePassword(),
                "application.id=secure-wrong",
                "state.dir=" + dir.resolve("state-wrong"),
                "model.features=" + M,
                "http.port=0",
                ""));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        int code;
        long t0 = System.nanoTime();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = StreamfitCli.commandLine().execute("run", "--config", config.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        System.out.print(printed);

        assertThat(code).as("exit code").isEqualTo(2);
        assertThat(seconds).as("seconds until run gave up").isLessThan(30);
        assertThat(printed).contains("streamfit run: cannot start: Kafka authentication failed",
                "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "user=" + APP_USER,
                "invalid credentials");
        assertThat(printed).doesNotContain(wrong);
        assertThat(logText()).doesNotContain(wrong);
        assertNoSecretIn("the output of run", printed);
    }

    @Test
    void withoutWriteOnAnOutputTheAppStopsAndARestartAfterTheGrantPredictsEveryRecord() throws Exception {
        StreamfitConfig cfg = appConfig(NO_WRITE_USER, "secure-nowrite", "nw", false);
        try (Admin admin = Admin.create(admin())) {
            List<NewTopic> topics = new ArrayList<>(cfg.topics().names().stream()
                    .map(t -> new NewTopic(t, 2, (short) 1)).toList());
            topics.add(new NewTopic(Names.globalRouteTopic("secure-nowrite"), 1, (short) 1));
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
        AclBinding sumsWrite = StreamfitAcls.allow("User:" + NO_WRITE_USER, ResourceType.TOPIC, "nw-sums",
                PatternType.LITERAL, AclOperation.WRITE);
        List<AclBinding> allButOne = new ArrayList<>(StreamfitAcls.forApp("User:" + NO_WRITE_USER, cfg));
        assertThat(allButOne.remove(sumsWrite)).isTrue();
        grant(allButOne);

        int n = 30;
        Set<String> keys = new HashSet<>();
        int objects = produce("nw-features", new SyntheticStream(2, M, 0.1, 9, 1), n, keys);

        PrometheusMeterRegistry registry = Registries.prometheus();
        StreamfitApp app = new StreamfitApp(cfg, new StreamfitMetrics(registry));
        String health;
        app.start();
        try (HttpApi http = HttpApi.start("127.0.0.1", 0, app, registry)) {
            await().atMost(Duration.ofMinutes(2)).until(() -> app.state() == KafkaStreams.State.ERROR);
            health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + http.port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertNoSecretIn("an HTTP answer", String.join("\n", httpAnswers(http)));
        } finally {
            app.close();
        }
        assertThat(app.fatalError()).isNotNull();
        assertThat(health).contains("\"DOWN\"", "nw-sums");
        assertThat(logText()).contains("Kafka denied this application's principal an operation",
                "Not authorized to access topics: [nw-sums]");
        // Nothing of the learning step was committed: neither the offsets of its input (the route
        // topic; the step before, features -> route, is allowed and may commit) nor any output.
        try (Admin admin = Admin.create(admin())) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("secure-nowrite")
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            OffsetAndMetadata route = offsets.get(new TopicPartition(Names.globalRouteTopic("secure-nowrite"), 0));
            assertThat(route == null ? 0 : route.offset()).as("committed offset of the route topic").isZero();
        }
        assertThat(readCommitted("nw-objects", new ByteArrayDeserializer(), 1)).isEmpty();

        grant(List.of(sumsWrite));
        StreamfitMetrics metrics2 = new StreamfitMetrics(Registries.prometheus());
        StreamfitApp app2 = new StreamfitApp(appConfig(NO_WRITE_USER, "secure-nowrite", "nw", false), metrics2);
        app2.start();
        try {
            await().atMost(Duration.ofMinutes(2)).until(() -> metrics2.recordsTotal() >= n);
        } finally {
            app2.close();
        }
        assertThat(app2.fatalError()).isNull();
        List<SumPrediction> sums = readCommitted("nw-sums", StreamfitSerdes.sumPrediction().deserializer(), n);
        Set<String> predicted = new HashSet<>();
        sums.forEach(s -> predicted.add(s.getSeries() + "@" + s.getTimestep()));
        assertThat(sums).hasSize(n);
        assertThat(predicted).isEqualTo(keys);
        assertThat(readCommitted("nw-objects", new ByteArrayDeserializer(), objects)).hasSize(objects);
        assertNoSecretIn("the log", logText());
    }
}
