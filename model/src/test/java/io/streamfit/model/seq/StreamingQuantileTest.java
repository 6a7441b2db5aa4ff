package io.streamfit.model.seq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingQuantileTest {

    @Test
    void interpolatesBetweenOrderStatisticsLikeNumpy() {
        StreamingQuantile q = new StreamingQuantile(0.9, 10, 1);
        for (double v : new double[] {5, 1, 4, 2, 3}) {
            q.add(v);
        }
        // sorted 1 2 3 4 5, h = 0.9 * 4 = 3.6: 4 + 0.6 * (5 - 4); numpy.quantile([5,1,4,2,3], 0.9) = 4.6
        assertThat(q.threshold()).isCloseTo(4.6, within(1e-12));
        StreamingQuantile median = new StreamingQuantile(0.5, 10, 1);
        for (double v : new double[] {10, 0, 7, 3}) {
            median.add(v);
        }
        assertThat(median.threshold()).isCloseTo(5.0, within(1e-12));
    }

    @Test
    void forgetsScoresOlderThanTheWindow() {
        StreamingQuantile q = new StreamingQuantile(0.99, 3, 1);
        q.add(100);
        q.add(1);
        q.add(2);
        assertThat(q.threshold()).isGreaterThan(90);
        q.add(3); // drops 100
        assertThat(q.size()).isEqualTo(3);
        assertThat(q.seen()).isEqualTo(4);
        assertThat(q.threshold()).isCloseTo(2.0 + 0.98 * 1.0, within(1e-12));
    }

    @Test
    void agreesWithSortingTheLastScoresOnARandomStream() {
        Random r = new Random(3);
        int capacity = 50;
        StreamingQuantile q = new StreamingQuantile(0.95, capacity, 1);
        double[] all = new double[2000];
        for (int i = 0; i < all.length; i++) {
            // ties on purpose: rounded values repeat, which exercises removing one of equal scores
            all[i] = Math.round(r.nextGaussian() * 4) / 4.0;
            q.add(all[i]);
            double[] last = Arrays.copyOfRange(all, Math.max(0, i + 1 - capacity), i + 1);
            Arrays.sort(last);
            double h = 0.95 * (last.length - 1);
            int lo = (int) Math.floor(h);
            double expected = lo + 1 < last.length ? last[lo] + (h - lo) * (last[lo + 1] - last[lo]) : last[lo];
            assertThat(q.threshold()).as("after %d scores", i + 1).isEqualTo(expected);
        }
    }

    @Test
    void flagsNothingDuringWarmUpThenAboutOnePercentOfCleanScoresAtP99() {
        StreamingQuantile q = new StreamingQuantile(0.99, 1000, 100);
        Random r = new Random(11);
        for (int i = 0; i < 99; i++) {
            StreamingQuantile.Verdict v = q.observe(Math.exp(r.nextGaussian()));
            assertThat(v.anomaly()).isFalse();
            assertThat(v.threshold()).isInfinite();
        }
        int flagged = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            if (q.observe(Math.exp(r.nextGaussian())).anomaly()) {
                flagged++;
            }
        }
        assertThat(flagged / (double) n).isBetween(0.005, 0.015);
        assertThat(q.observe(1e6).anomaly()).isTrue();
    }

    @Test
    void observeComparesWithTheThresholdBeforeTheScore() {
        StreamingQuantile q = new StreamingQuantile(0.5, 10, 1);
        q.add(1);
        StreamingQuantile.Verdict v = q.observe(2);
        assertThat(v.threshold()).isEqualTo(1.0);
        assertThat(v.anomaly()).isTrue();
        assertThat(q.threshold()).isEqualTo(1.5);
    }

    @Test
    void stateRoundTripIsExactAndChecked() {
        Random r = new Random(5);
        StreamingQuantile a = new StreamingQuantile(0.99, 64, 8);
        for (int i = 0; i < 150; i++) {
            a.add(r.nextDouble());
        }
        StreamingQuantile b = new StreamingQuantile(0.99, 64, 8);
        b.importState(a.exportState());
        assertThat(b.seen()).isEqualTo(150);
        assertThat(b.exportState()).isEqualTo(a.exportState());
        for (int i = 0; i < 100; i++) {
            double s = r.nextDouble() * 1.2;
            assertThat(b.observe(s)).isEqualTo(a.observe(s));
        }
        assertThatThrownBy(() -> new StreamingQuantile(0.95, 64, 8).importState(a.exportState()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quantile 0.99");
        assertThatThrownBy(() -> b.importState(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a streaming quantile state");
    }

    @Test
    void scoresAreTheWindowOldestFirstAndRebuildTheSameThreshold() {
        Random r = new Random(6);
        StreamingQuantile a = new StreamingQuantile(0.9, 5, 2);
        double[] added = new double[8];
        for (int i = 0; i < added.length; i++) {
            added[i] = r.nextDouble();
            a.add(added[i]);
        }
        assertThat(a.scores()).containsExactly(java.util.Arrays.copyOfRange(added, 3, 8));
        assertThat(a.seen()).isEqualTo(8);
        assertThat(a.minCount()).isEqualTo(2);

        StreamingQuantile b = new StreamingQuantile(0.9, 5, 2);
        for (double s : a.scores()) {
            b.add(s);
        }
        assertThat(b.threshold()).isEqualTo(a.threshold());
        for (int i = 0; i < 20; i++) {
            double s = r.nextDouble();
            assertThat(b.observe(s)).isEqualTo(a.observe(s));
        }
        assertThat(new StreamingQuantile(0.5, 3, 1).scores()).isEmpty();
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new StreamingQuantile(1.0, 10, 1)).hasMessageContaining("quantile");
        assertThatThrownBy(() -> new StreamingQuantile(0.5, 0, 1)).hasMessageContaining("capacity");
        assertThatThrownBy(() -> new StreamingQuantile(0.5, 10, 11)).hasMessageContaining("minCount");
        assertThatThrownBy(() -> new StreamingQuantile(0.5).add(Double.NaN)).hasMessageContaining("NaN");
    }
}
