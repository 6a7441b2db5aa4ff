package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

class TimestepRecordsTest {

    private final Deserializer<Timestep> json = StreamfitSerdes.timestep().deserializer();

    @Test
    void recordsAreContractJsonWithIncreasingTimestepsPerSeries() {
        TimestepRecords gen = new TimestepRecords(3, 4, 2, 7);
        for (int i = 0; i < 6; i++) {
            String key = gen.nextKey();
            Timestep ts = json.deserialize("t", gen.nextValue());
            assertThat(key).isEqualTo("series-" + (i % 2));
            assertThat(ts.series()).isEqualTo(key);
            assertThat(ts.timestep()).isEqualTo(i / 2 + 1);
            assertThat(ts.objects()).extracting(Timestep.ObjectInput::id).containsExactly("obj-0", "obj-1", "obj-2");
            for (Timestep.ObjectInput o : ts.objects()) {
                float[] x = ((FeatureVector.Dense) o.features()).values();
                assertThat(x).hasSize(4);
                for (float v : x) {
                    assertThat(v).isBetween(-1f, 1f);
                }
                assertThat(o.target()).isNotNull();
            }
        }
    }

    @Test
    void objectsRepeatAfterTheDistinctDrawsButSeriesAndTimestepGoOn() {
        TimestepRecords gen = new TimestepRecords(2, 3, 1, 7);
        Timestep first = json.deserialize("t", gen.nextValue());
        Timestep second = json.deserialize("t", gen.nextValue());
        assertThat(second.objects()).isNotEqualTo(first.objects());
        for (int i = 2; i < TimestepRecords.DISTINCT; i++) {
            gen.nextValue();
        }
        Timestep again = json.deserialize("t", gen.nextValue());
        assertThat(again.objects()).isEqualTo(first.objects());
        assertThat(again.timestep()).isEqualTo(TimestepRecords.DISTINCT + 1);
    }

    @Test
    void equalArgumentsGiveEqualBytes() {
        TimestepRecords a = new TimestepRecords(4, 2, 3, 11);
        TimestepRecords b = new TimestepRecords(4, 2, 3, 11);
        TimestepRecords other = new TimestepRecords(4, 2, 3, 12);
        byte[] first = a.nextValue();
        assertThat(b.nextValue()).isEqualTo(first);
        assertThat(other.nextValue()).isNotEqualTo(first);
        for (int i = 0; i < 50; i++) {
            assertThat(a.nextValue()).isEqualTo(b.nextValue());
        }
    }

    @Test
    void shortNumbersHaveAtMostFourDecimalsAndLongOnesMore() {
        String shortText = new String(new TimestepRecords(8, 16, 1, 7, TimestepRecords.NumberFormat.SHORT).nextValue(),
                java.nio.charset.StandardCharsets.UTF_8);
        String longText = new String(new TimestepRecords(8, 16, 1, 7, TimestepRecords.NumberFormat.LONG).nextValue(),
                java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Pattern decimals = java.util.regex.Pattern.compile("-?\\d+\\.(\\d+)");
        int maxShort = decimals.matcher(shortText).results().mapToInt(m -> m.group(1).length()).max().orElseThrow();
        int maxLong = decimals.matcher(longText).results().mapToInt(m -> m.group(1).length()).max().orElseThrow();
        assertThat(maxShort).isLessThanOrEqualTo(4);
        assertThat(maxLong).isGreaterThan(6);
        assertThat(shortText.length()).isLessThan(longText.length());
        // The same draws: the short record is the long one rounded.
        Timestep s = json.deserialize("t", shortText.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Timestep l = json.deserialize("t", longText.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        float[] xs = ((FeatureVector.Dense) s.objects().get(0).features()).values();
        float[] xl = ((FeatureVector.Dense) l.objects().get(0).features()).values();
        for (int j = 0; j < xs.length; j++) {
            assertThat(Math.abs(xs[j] - xl[j])).isLessThanOrEqualTo(0.00005f + 1e-7f);
        }
    }
}
