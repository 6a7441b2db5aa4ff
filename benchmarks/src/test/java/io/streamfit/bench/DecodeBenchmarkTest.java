package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import io.streamfit.schemas.TimestepJson;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The four decoders of {@link DecodeBenchmark} fill the batch buffer alike, so their times compare like for like. */
class DecodeBenchmarkTest {

    @ParameterizedTest
    @ValueSource(strings = {"short", "float", "long"})
    void everyDecoderFillsTheSameBuffer(String numbers) throws Exception {
        DecodeBenchmark b = new DecodeBenchmark();
        b.numbers = numbers;
        b.setUp();
        float[] expected = b.streamfit().clone();
        assertThat(expected).hasSize(DecodeBenchmark.K * DecodeBenchmark.M);
        assertThat(expected).as("a record's features are not all zero").contains(expected[1]).isNotEqualTo(
                new float[expected.length]);
        assertThat(b.databind()).containsExactly(expected);
        assertThat(b.tree()).containsExactly(expected);
        assertThat(b.direct()).containsExactly(expected);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theRecordsAreTheContractsJsonWithShortOrLongNumbers(boolean longNumbers) {
        byte[] record = DecodeBenchmark.record(longNumbers, new Random(1));
        assertThat(TimestepJson.parse(record).objects()).hasSize(DecodeBenchmark.K);
        String text = new String(record, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text.matches("(?s).*\\d\\.\\d{5,}.*")).as("long numbers have more than 4 decimals")
                .isEqualTo(longNumbers);
    }
}
