package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import io.streamfit.app.errors.Rejection;
import io.streamfit.app.screen.TimestepValidator;
import io.streamfit.app.kind.Supervision;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class BackfillHistoryScreenTest {

    private static final String OK_T5 = "{\"timestep\":5,\"objects\":[{\"id\":\"a\",\"features\":[1,2],\"target\":1}]}";

    private static ConsumerRecord<byte[], byte[]> rec(int partition, String key, String value) {
        return new ConsumerRecord<>("features", partition, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private static HistoryScreen screen(boolean global) {
        return new HistoryScreen(new TimestepValidator(2, 8, Supervision.TARGETS), 1_000, global);
    }

    private static String reason(HistoryScreen s, ConsumerRecord<byte[], byte[]> r) {
        HistoryScreen.Outcome o = s.screen(r);
        assertThat(o.sample()).as("no sample for a rejected record").isNull();
        return o.rejection().reason();
    }

    @Test
    void skipsWhatTheProcessorWouldSendToTheDeadLetters() {
        HistoryScreen s = screen(false);
        assertThat(reason(s, rec(0, "a", null))).isEqualTo(Rejection.NULL_VALUE);
        assertThat(reason(s, rec(0, "a", "x".repeat(1_001)))).isEqualTo(Rejection.TOO_LARGE);
        assertThat(reason(s, rec(0, "a", "{not json"))).isEqualTo(Rejection.UNPARSABLE);
        assertThat(reason(s, rec(0, null, OK_T5))).isEqualTo(Rejection.MISSING_SERIES);
        assertThat(reason(s, rec(0, "a", OK_T5.replace("[1,2]", "[1,2,3]")))).isEqualTo(Rejection.WRONG_FEATURE_COUNT);
        assertThat(s.screen(rec(0, "a", OK_T5)).sample()).isNotNull();
        assertThat(reason(s, rec(0, "a", OK_T5))).isEqualTo(Rejection.TIMESTEP_NOT_INCREASING);
        assertThat(reason(s, rec(0, "a", OK_T5.replace("\"timestep\":5", "\"timestep\":4"))))
                .isEqualTo(Rejection.TIMESTEP_NOT_INCREASING);
        // Another series has its own order.
        assertThat(s.screen(rec(0, "b", OK_T5)).sample()).isNotNull();
    }

    @Test
    void everyPassChecksTheOrderAfresh() {
        HistoryScreen s = screen(false);
        assertThat(s.screen(rec(0, "a", OK_T5)).sample()).isNotNull();
        s.beginPass();
        assertThat(s.screen(rec(0, "a", OK_T5)).sample()).isNotNull();
    }

    @Test
    void modelKeyAndTaskPartitionFollowTheScope() {
        Sample series = screen(false).screen(rec(3, "plant-7", OK_T5)).sample();
        assertThat(series.modelKey()).isEqualTo("plant-7");
        assertThat(series.partition()).isEqualTo(3);
        assertThat(series.timestep().timestep()).isEqualTo(5);
        // The value's series counts when there is no key.
        Sample fromValue = screen(false).screen(rec(1, null, OK_T5.replace("{\"timestep\"",
                "{\"series\":\"s9\",\"timestep\""))).sample();
        assertThat(fromValue.series()).isEqualTo("s9");
        Sample global = screen(true).screen(rec(3, "plant-7", OK_T5)).sample();
        assertThat(global.modelKey()).isEqualTo("global");
        assertThat(global.series()).isEqualTo("plant-7");
        assertThat(global.partition()).isZero();
    }

    @Test
    void aSeriesInTwoPartitionsIsRefusedForSeriesScopeOnly() {
        HistoryScreen series = screen(false);
        series.screen(rec(0, "a", OK_T5));
        assertThatThrownBy(() -> series.screen(rec(2, "a", OK_T5.replace("\"timestep\":5", "\"timestep\":6"))))
                .isInstanceOf(BackfillRefused.class).hasMessageContaining("series 'a'")
                .hasMessageContaining("partitions 0 and 2");
        HistoryScreen global = screen(true);
        global.screen(rec(0, "a", OK_T5));
        assertThat(global.screen(rec(2, "a", OK_T5.replace("\"timestep\":5", "\"timestep\":6"))).sample()).isNotNull();
    }
}
