package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The first-sight loop of {@code run.sh keys} times every kind of record and reports them. */
class FirstSightTest {

    @Test
    void timesEveryKindOfRecordAndReportsTheSetUp() {
        FirstSight.Result r = new FirstSight(Map.of("model.features", "3", "model.hidden", "4",
                "bootstrap.servers", "unused:9092", "application.id", "first-sight-test"), 2).run(20, 1);
        for (FirstSight.Series s : List.of(r.resident(), r.newKey(), r.knownKey(), r.evictedKey())) {
            assertThat(s.nanos()).as(s.name()).hasSize(20);
            assertThat(Arrays.stream(s.nanos()).min().orElse(0)).as(s.name()).isPositive();
        }
        assertThat(r.ownGraph().nanos()).hasSize(1);
        assertThat(r.stateBytes()).isPositive();
        assertThat(r.checkpointBytes()).isGreaterThan(r.stateBytes());
        assertThat(FirstSight.report(r, 20)).contains("| new key |", "| resident key |", "set-up of a new key");
    }
}
