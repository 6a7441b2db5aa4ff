package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class LabelsJsonTest {

    private static Labels parse(String json) {
        return LabelsJson.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheContractsExample() {
        Labels l = parse("{\"series\":\"plant-7\",\"timestep\":1042,"
                + "\"objects\":[{\"id\":\"turbine-1\",\"target\":12.5},{\"id\":\"turbine-3\",\"label\":2}],"
                + "\"sumTarget\":25.1,\"note\":{\"skipped\":[1]}}");

        assertThat(l).isEqualTo(new Labels("plant-7", 1042, List.of(new Labels.ObjectLabel("turbine-1", 12.5, null),
                new Labels.ObjectLabel("turbine-3", null, 2)), new double[] {25.1}));
    }

    @Test
    void aSumTargetAloneIsALabel() {
        Labels l = parse("{\"timestep\":3,\"sumTarget\":[1,0,2]}");

        assertThat(l.objects()).isEmpty();
        assertThat(l.sumTarget()).containsExactly(1, 0, 2);
    }

    @Test
    void aRecordWithoutTruthOrTimestepIsRefused() {
        assertThatThrownBy(() -> parse("{\"timestep\":3,\"objects\":[]}"))
                .isInstanceOfSatisfying(InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD));
        assertThatThrownBy(() -> parse("{\"timestep\":3,\"objects\":[{\"id\":\"a\"}]}"))
                .isInstanceOfSatisfying(InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD));
        assertThatThrownBy(() -> parse("{\"objects\":[{\"id\":\"a\",\"target\":1}]}"))
                .isInstanceOfSatisfying(InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.MISSING_FIELD));
    }

    @Test
    void readsWithinTheLimits() {
        TimestepLimits limits = new TimestepLimits(1, 64, 0, 1);

        assertThatThrownBy(() -> LabelsJson.parse(("{\"timestep\":3,\"objects\":[{\"id\":\"a\",\"target\":1},"
                + "{\"id\":\"b\",\"target\":1}]}").getBytes(StandardCharsets.UTF_8), limits))
                .isInstanceOfSatisfying(InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.TOO_MANY_OBJECTS));
    }

    @Test
    void writesWhatItReads() {
        Labels l = new Labels("s", 7, List.of(new Labels.ObjectLabel("a", 1.5, null)), new double[] {2.5});

        assertThat(LabelsJson.parse(LabelsJson.toBytes(l))).isEqualTo(l);
    }
}
