package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void middleRateIgnoresAStartUpGapAndATail() {
        // 101 records: one at t=0 (start-up), then 99 one ms apart from t=5000, then one late straggler.
        long[] t = new long[101];
        t[0] = 0;
        for (int i = 1; i < 100; i++) {
            t[i] = 5000 + i;
        }
        t[100] = 60_000;
        // 10th..90th percentile: indices 10 and 90, timestamps 5010 and 5090: 80 records in 80 ms.
        assertThat(Stats.middleRate(t)).isCloseTo(1000.0, within(1e-9));
        assertThat(Stats.middleRate(new long[] {1, 2, 3})).isNaN();
    }

    @Test
    void nearestRankPercentiles() {
        long[] v = {9, 1, 8, 2, 7, 3, 6, 4, 5, 10};
        assertThat(Stats.percentile(v, 0.5)).isEqualTo(5);
        assertThat(Stats.percentile(v, 0.99)).isEqualTo(10);
        assertThat(Stats.percentile(v, 0.1)).isEqualTo(1);
    }
}
