package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The two layouts of {@link EncodeBenchmark} write the same outputs, so their times compare like for like. */
class EncodeBenchmarkTest {

    @Test
    void bothLayoutsWriteEveryObjectsPredictionAndTheSum() {
        EncodeBenchmark b = new EncodeBenchmark();
        b.setUp();
        String perObject = b.perObjectText();
        String perTimestep = b.perTimestepText();
        for (int i = 0; i < EncodeBenchmark.K; i++) {
            assertThat(perObject).contains("\"object\":\"object-" + i + "\"");
            assertThat(perTimestep).contains("\"id\":\"object-" + i + "\"");
        }
        // The same predictions and targets, as the same decimals, in both.
        assertThat(numbers(perObject, "prediction")).isEqualTo(numbers(perTimestep, "prediction")).hasSize(
                EncodeBenchmark.K + 1);
        assertThat(numbers(perObject, "target")).isEqualTo(numbers(perTimestep, "target")).hasSize(EncodeBenchmark.K);
        assertThat(b.perObject()).isEqualTo(perObject.length());
        assertThat(b.perTimestep()).isEqualTo(perTimestep.length());
    }

    private static java.util.List<String> numbers(String json, String field) {
        return java.util.regex.Pattern.compile("\"" + field + "\":(-?[0-9.eE-]+)").matcher(json).results()
                .map(m -> m.group(1)).toList();
    }
}
