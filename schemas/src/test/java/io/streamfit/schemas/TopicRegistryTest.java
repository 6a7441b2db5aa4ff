package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class TopicRegistryTest {

    @Test
    void avroOutputsAreSingleObjectEncodedAndJsonStaysTheDefault() {
        TopicRegistry json = TopicRegistry.defaults();
        assertThat(json.withValueFormat(ValueFormat.JSON, null, false)).isSameAs(json);
        TopicRegistry avro = json.withValueFormat(ValueFormat.AVRO, null, false);
        io.streamfit.schemas.avro.SumPrediction p = io.streamfit.schemas.avro.SumPrediction.newBuilder()
                .setSeries("s").setTimestep(3).setPrediction(1.5).setSumTarget(2.0).setObjects(2).setModelVersion(7)
                .build();
        byte[] bytes = avro.sumPredictions().valueSerde().serializer().serialize("sum-predictions", p);
        assertThat(AvroSerde.isSingleObjectEncoded(bytes)).isTrue();
        assertThat(avro.sumPredictions().valueSerde().deserializer().deserialize("sum-predictions", bytes)).isEqualTo(p);
        assertThat(json.sumPredictions().valueSerde().serializer().serialize("sum-predictions", p)[0]).isEqualTo((byte) '{');
        assertThat(avro.names()).isEqualTo(json.names());
        assertThat(avro.deadLetters()).isSameAs(json.deadLetters());
        assertThat(avro.features()).isSameAs(json.features());
    }

    @Test
    void defaultsUseTheContractNames() {
        TopicRegistry topics = TopicRegistry.defaults();

        assertThat(topics.names()).containsExactly("features", "object-predictions", "sum-predictions",
                "anomaly-scores", "dead-letters", "labels", "model-commands", "model-events");
        assertThat(topics.features().name()).isEqualTo(TopicRegistry.FEATURES);
        assertThat(topics.deadLetters().name()).isEqualTo(TopicRegistry.DEAD_LETTERS);
    }

    @Test
    void bindsEachTopicToItsSerdes() {
        TopicRegistry topics = new TopicRegistry("in", "op", "sp", "as", "dl", "lb", "mc", "me");

        assertThat(topics.names()).containsExactly("in", "op", "sp", "as", "dl", "lb", "mc", "me");
        assertThat(topics.modelCommands().valueSerde()).isInstanceOf(Serdes.ByteArraySerde.class);
        assertThat(topics.modelEvents().valueSerde()).isSameAs(StreamfitSerdes.modelEvent());
        assertThat(topics.labels().orElseThrow().keySerde()).isInstanceOf(Serdes.StringSerde.class);
        assertThat(topics.labels().orElseThrow().valueSerde()).isInstanceOf(Serdes.ByteArraySerde.class);
        assertThat(topics.features().keySerde()).isInstanceOf(Serdes.StringSerde.class);
        assertThat(topics.features().valueSerde()).isSameAs(StreamfitSerdes.timestep());
        assertThat(topics.objectPredictions().valueSerde()).isSameAs(StreamfitSerdes.objectPrediction());
        assertThat(topics.sumPredictions().valueSerde()).isSameAs(StreamfitSerdes.sumPrediction());
        assertThat(topics.anomalyScores().valueSerde()).isSameAs(StreamfitSerdes.anomalyScore());
        assertThat(topics.deadLetters().keySerde()).isInstanceOf(Serdes.ByteArraySerde.class);
        assertThat(topics.deadLetters().valueSerde()).isInstanceOf(Serdes.ByteArraySerde.class);
    }

    @Test
    void anEmptyLabelsNameMeansNoLabelsTopic() {
        TopicRegistry topics = new TopicRegistry("in", "op", "sp", "as", "dl", "");

        assertThat(topics.labels()).isEmpty();
        assertThat(topics.names()).containsExactly("in", "op", "sp", "as", "dl", "model-commands", "model-events");
        assertThat(new TopicRegistry("in", "op", "sp", "as", "dl", null).labels()).isEmpty();
        assertThatThrownBy(() -> new TopicRegistry("in", "op", "sp", "as", "dl", "la bels"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
    }

    @Test
    void rejectsIllegalAndRepeatedNames() {
        assertThatThrownBy(() -> new TopicRegistry("in put", "op", "sp", "as", "dl"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("features");
        assertThatThrownBy(() -> new TopicRegistry("in", "", "sp", "as", "dl"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("objectPredictions");
        assertThatThrownBy(() -> new TopicRegistry("in", "op", "sp", "..", "dl"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TopicRegistry("in", "op", "sp", "as", "x".repeat(250)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TopicRegistry("in", "op", "op", "as", "dl"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two roles");
    }
}
