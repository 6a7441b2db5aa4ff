package io.streamfit.app.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitAcls;
import io.streamfit.app.testing.Slow;
import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.devkit.broker.SecureBroker;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented minimal ACLs ({@link StreamfitAcls#forApp}, docs/security.md's {@code kafka-acls.sh}
 * commands: see {@link DocumentedAclsTest}) for {@code application.id=streamfit} and principal
 * {@code User:streamfit}, on the in-JVM broker with ACLs enforced (StandardAuthorizer,
 * {@code allow.everyone.if.no.acl.found=false}, only the admin a super user):
 * <ul>
 *   <li>the principal uses its own internal topics ({@code streamfit-...}: creates, writes and reads
 *       them), its group {@code streamfit} and transactional ids {@code streamfit-...}, as Kafka
 *       Streams does with exactly-once;</li>
 *   <li>and nothing of an application whose id merely starts the same, {@code streamfitx}: not its
 *       changelog, its transactional ids or its group;</li>
 *   <li>while the prefixes without the dash, as documented before, would have given it that
 *       application's changelog and transactional ids (the control that shows the second test can
 *       fail).</li>
 * </ul>
 * That the same ACLs are enough for the whole app (with {@code model.scope=global} and topics it
 * creates) is {@link SecureKafkaIT}'s to show.
 */
@Slow
class AclPrefixIT {

    private static final String APP_ID = "streamfit";
    /** As in docs/security.md: the principal {@code User:streamfit}. */
    private static final String APP_USER = "streamfit";
    /** The principal of the control: the ACLs of before, prefixes without the dash. */
    private static final String OLD_ACLS_USER = "sf-old-acls";
    private static final String OTHER_APP = "streamfitx";

    private static final String OWN_CHANGELOG = APP_ID + "-" + Names.MODEL_STORE + "-changelog";
    private static final String OTHER_CHANGELOG = OTHER_APP + "-" + Names.MODEL_STORE + "-changelog";
    private static final String OTHER_RECORD = "a checkpoint of streamfitx";

    @TempDir
    static Path dir;

    private static EmbeddedBroker broker;
    private static SecureBroker secure;

    @BeforeAll
    static void startBrokerAndGrant() throws Exception {
        broker = EmbeddedBroker.startSecure(0, null, dir.resolve("secure"), List.of(APP_USER, OLD_ACLS_USER), Map.of());
        secure = broker.secure();
        TopicRegistry topics = TopicRegistry.defaults();
        try (Admin admin = Admin.create(clientProps(SecureBroker.ADMIN_USER))) {
            List<NewTopic> create = new ArrayList<>();
            topics.names().forEach(t -> create.add(new NewTopic(t, 1, (short) 1)));
            create.add(new NewTopic(OTHER_CHANGELOG, 1, (short) 1));
            admin.createTopics(create).all().get(60, TimeUnit.SECONDS);

            List<AclBinding> documented = StreamfitAcls.forApp("User:" + APP_USER, APP_ID, topics, true);
            List<AclBinding> old = new ArrayList<>();
            for (AclBinding b : StreamfitAcls.forApp("User:" + OLD_ACLS_USER, APP_ID, topics, true)) {
                ResourcePattern p = b.pattern();
                old.add(p.patternType() == PatternType.PREFIXED
                        ? new AclBinding(new ResourcePattern(p.resourceType(), APP_ID, PatternType.PREFIXED), b.entry())
                        : b);
            }
            // The documented prefixes end with the dash; the old ones did not: the only difference.
            assertThat(documented).filteredOn(b -> b.pattern().patternType() == PatternType.PREFIXED)
                    .extracting(b -> b.pattern().name()).containsOnly(APP_ID + "-").hasSize(5);
            List<AclBinding> all = new ArrayList<>(documented);
            all.addAll(old);
            admin.createAcls(all).all().get(60, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = producer(SecureBroker.ADMIN_USER, null)) {
            producer.send(new ProducerRecord<>(topics.features().name(), "s", "a timestep")).get(60, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(OTHER_CHANGELOG, "global", OTHER_RECORD)).get(60, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void theDocumentedAclsLetTheAppUseItsOwnTopicsGroupAndTransactionalIds() throws Exception {
        // Kafka Streams creates the changelog (CREATE on streamfit-).
        try (Admin admin = Admin.create(clientProps(APP_USER))) {
            admin.createTopics(List.of(new NewTopic(OWN_CHANGELOG, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        TopicPartition input = new TopicPartition(TopicRegistry.FEATURES, 0);
        // The exactly-once step: outputs and the changelog in one transaction with the input offsets,
        // under a transactional id as Streams makes them, <application.id>-<process id>-<thread>.
        try (KafkaProducer<String, String> producer = producer(APP_USER, APP_ID + "-" + UUID.randomUUID() + "-1")) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(OWN_CHANGELOG, "global", "a checkpoint"));
            producer.send(new ProducerRecord<>(TopicRegistry.OBJECT_PREDICTIONS, "s", "a prediction"));
            producer.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(1)), new ConsumerGroupMetadata(APP_ID));
            producer.commitTransaction();
        }
        // Restoring reads the changelog (READ on streamfit-), without a group.
        try (KafkaConsumer<String, String> restore = consumer(APP_USER, null)) {
            restore.assign(List.of(new TopicPartition(OWN_CHANGELOG, 0)));
            assertThat(pollValues(restore)).containsExactly("a checkpoint");
        }
        // The group reads the input and commits (READ on group streamfit and topic features).
        try (KafkaConsumer<String, String> main = consumer(APP_USER, APP_ID)) {
            main.assign(List.of(input));
            main.seekToBeginning(List.of(input));
            assertThat(pollValues(main)).containsExactly("a timestep");
            main.commitSync(Map.of(input, new OffsetAndMetadata(1)));
            assertThat(main.committed(java.util.Set.of(input)).get(input).offset()).isEqualTo(1);
        }
    }

    @Test
    void butNothingOfAnApplicationWhoseIdMerelyStartsTheSame() throws Exception {
        try (KafkaConsumer<String, String> c = consumer(APP_USER, null)) {
            c.assign(List.of(new TopicPartition(OTHER_CHANGELOG, 0)));
            assertThatThrownBy(() -> pollValues(c)).isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining(OTHER_CHANGELOG);
        }
        try (KafkaProducer<String, String> p = producer(APP_USER, null)) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>(OTHER_CHANGELOG, "k", "v")).get(60, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaProducer<String, String> p = producer(APP_USER, OTHER_APP + "-" + UUID.randomUUID() + "-1")) {
            assertThatThrownBy(p::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
        }
        try (Admin admin = Admin.create(clientProps(APP_USER))) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic(Names.globalRouteTopic(OTHER_APP), 1,
                    (short) 1))).all().get(60, TimeUnit.SECONDS)).hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaConsumer<String, String> c = consumer(APP_USER, OTHER_APP)) {
            TopicPartition input = new TopicPartition(TopicRegistry.FEATURES, 0);
            assertThatThrownBy(() -> c.commitSync(Map.of(input, new OffsetAndMetadata(0)), Duration.ofSeconds(60)))
                    .isInstanceOf(GroupAuthorizationException.class);
        }
    }

    @Test
    void theSamePrefixesWithoutTheDashWouldHaveGivenItThatApplicationsChangelogAndTransactionalIds() {
        try (KafkaConsumer<String, String> c = consumer(OLD_ACLS_USER, null)) {
            c.assign(List.of(new TopicPartition(OTHER_CHANGELOG, 0)));
            assertThat(pollValues(c)).containsExactly(OTHER_RECORD);
        }
        try (KafkaProducer<String, String> p = producer(OLD_ACLS_USER, OTHER_APP + "-" + UUID.randomUUID() + "-1")) {
            assertThatCode(p::initTransactions).doesNotThrowAnyException();
        }
    }

    private static Map<String, Object> clientProps(String user) {
        return new HashMap<>(secure.clientProperties(user));
    }

    private static KafkaProducer<String, String> producer(String user, String transactionalId) {
        Map<String, Object> p = clientProps(user);
        p.put("acks", "all");
        p.put("max.block.ms", "30000");
        p.put("delivery.timeout.ms", "30000");
        p.put("request.timeout.ms", "20000");
        if (transactionalId != null) {
            p.put("transactional.id", transactionalId);
        }
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(String user, String group) {
        Map<String, Object> p = clientProps(user);
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        if (group != null) {
            p.put("group.id", group);
        }
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    /** The values that arrive within a few polls (until one record and an empty poll, at most 30 s). */
    private static List<String> pollValues(KafkaConsumer<String, String> c) {
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
            records.forEach(r -> values.add(r.value()));
            if (!values.isEmpty() && records.isEmpty()) {
                break;
            }
        }
        return values;
    }
}
