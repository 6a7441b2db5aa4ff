package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import io.streamfit.schemas.avro.ModelEvent;
import org.junit.jupiter.api.Test;

class ModelEventJsonTest {

    private static ModelEvent event() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("windowedObjectMse", 0.25);
        metrics.put("objectMse", 0.5);
        metrics.put("broken", Double.NaN);
        return ModelEvent.newBuilder().setModel("global").setEvent("rolled-back").setFromVersion(15321L)
                .setToVersion(12000L).setChallenger(null).setReason("command").setAtTimestep(9001L).setGeneration(3)
                .setMetrics(metrics).build();
    }

    @Test
    void anEventIsTheContractsJsonInItsOrderWithNullsShown() {
        String json = new String(StreamfitSerdes.modelEvent().serializer().serialize("model-events", event()),
                StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"model\":\"global\",\"event\":\"rolled-back\",\"fromVersion\":15321,"
                + "\"toVersion\":12000,\"challenger\":null,\"reason\":\"command\",\"atTimestep\":9001,"
                + "\"generation\":3,\"metrics\":{\"objectMse\":0.5,\"windowedObjectMse\":0.25}}");
    }

    @Test
    void anEventReadsBackAsWritten() {
        ModelEvent e = event();
        byte[] bytes = StreamfitSerdes.modelEvent().serializer().serialize("t", e);
        ModelEvent back = StreamfitSerdes.modelEvent().deserializer().deserialize("t", bytes);
        assertThat(back.getModel()).isEqualTo("global");
        assertThat(back.getFromVersion()).isEqualTo(15321L);
        assertThat(back.getChallenger()).isNull();
        assertThat(back.getGeneration()).isEqualTo(3);
        assertThat(back.getMetrics()).containsOnly(Map.entry("objectMse", 0.5), Map.entry("windowedObjectMse", 0.25));
        ModelEvent drift = ModelEvent.newBuilder(e).setEvent("drift").setReason("drift").setToVersion(null)
                .setFromVersion(null).setAtTimestep(null).build();
        assertThat(StreamfitSerdes.modelEvent().deserializer().deserialize("t",
                StreamfitSerdes.modelEvent().serializer().serialize("t", drift)).getToVersion()).isNull();
    }

    @Test
    void anEventWithoutItsRequiredFieldsIsRefused() {
        assertThatThrownBy(() -> StreamfitSerdes.modelEvent().deserializer().deserialize("t",
                "{\"model\":\"a\",\"event\":\"reset\",\"reason\":\"command\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("generation");
    }
}
