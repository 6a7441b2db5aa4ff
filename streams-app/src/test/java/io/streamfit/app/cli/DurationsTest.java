package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(Durations.human(Duration.ofSeconds(12))).isEqualTo("12s");
        assertThat(Durations.human(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.human(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(Durations.human(Duration.ofMinutes(65))).isEqualTo("1h5m");
        assertThat(Durations.human(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(Durations.human(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Durations.human(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.human(Duration.ofSeconds(-3))).isEqualTo("-3s");
    }

    @Test
    void aDurationWithOneUnitReadsBack() {
        for (String s : new String[] {"12s", "5m", "2h", "250ms"}) {
            assertThat(Durations.human(new DurationConverter().convert(s))).isEqualTo(s);
        }
    }
}
