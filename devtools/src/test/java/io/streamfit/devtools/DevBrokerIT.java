package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.streamfit.devkit.broker.EmbeddedBroker;
import io.streamfit.schemas.TopicRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The development broker ({@code streamfit broker}, the demo's) has the contract's topics with the
 * contract's partition count as soon as it is up, and creates any other topic on first use, as
 * {@code kcat -P -t features} against a fresh broker expects.
 */
class DevBrokerIT {

    @Test
    void aFreshDevBrokerHasTheContractTopicsAndCreatesOthersOnFirstUse() throws Exception {
        DevBroker.Started dev = DevBroker.start(0, null, Map.of());
        try (EmbeddedBroker broker = dev.broker();
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            List<String> contract = List.of("features", "labels", "model-commands", "object-predictions",
                    "sum-predictions", "anomaly-scores", "dead-letters", "model-events");
            assertThat(TopicRegistry.defaults().names()).containsExactlyInAnyOrderElementsOf(contract);
            assertThat(dev.partitions()).isEqualTo(6);
            assertThat(dev.created()).containsExactlyInAnyOrderElementsOf(contract);

            Map<String, TopicDescription> topics = admin.describeTopics(contract).allTopicNames().get(30, TimeUnit.SECONDS);
            Map<String, Integer> partitions = new TreeMap<>();
            topics.forEach((name, d) -> partitions.put(name, d.partitions().size()));
            assertThat(partitions).hasSize(contract.size()).allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(6));

            // A topic nobody created: the producer's metadata request creates it.
            String fresh = "scratch-" + System.nanoTime();
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain(fresh);
            Map<String, Object> clientProps = Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "max.block.ms", "30000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(clientProps, new StringSerializer(),
                    new StringSerializer())) {
                RecordMetadata sent = producer.send(new ProducerRecord<>(fresh, "k", "hello")).get(30, TimeUnit.SECONDS);
                assertThat(sent.topic()).isEqualTo(fresh);
                RecordMetadata toFeatures = producer.send(new ProducerRecord<>("features", "plant-7", "{}"))
                        .get(30, TimeUnit.SECONDS);
                assertThat(toFeatures.partition()).isBetween(0, 5);
            }
            assertThat(admin.describeTopics(List.of(fresh)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(fresh).partitions()).hasSize(6);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    "bootstrap.servers", broker.bootstrapServers(), "group.id", "dev-broker-it",
                    "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(Set.of(fresh));
                String value = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (value == null && System.nanoTime() < deadline) {
                    ConsumerRecords<String, String> got = consumer.poll(Duration.ofMillis(500));
                    for (var r : got) {
                        value = new String(r.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
                    }
                }
                assertThat(value).isEqualTo("hello");
            }
        }
    }
}
