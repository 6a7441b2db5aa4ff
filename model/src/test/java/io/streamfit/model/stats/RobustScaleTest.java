package io.streamfit.model.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;

class RobustScaleTest {

    @Test
    void medianAndMadOfAKnownWindow() {
        RobustScale s = new RobustScale(3, 8, 1);
        for (double v : new double[] {1, 2, 3, 4, 100}) {
            assertThat(s.accept(v)).as("a batch's statistics rest on the values before it").isTrue();
        }
        s.refresh();
        // median 3; |v - 3| = 2, 1, 0, 1, 97: MAD 1.
        assertThat(s.median()).isEqualTo(3.0);
        assertThat(s.spread()).isCloseTo(1.4826, within(1e-12));
        assertThat(s.accept(3 + 3 * 1.4826 - 1e-9)).isTrue();
        assertThat(s.accept(3 - 3 * 1.4826 - 1e-6)).isFalse();
    }

    @Test
    void warmupAcceptsEverythingThenAPoisonValueIsRejectedAndLeavesNoTrace() {
        RobustScale s = new RobustScale(10, 64, 16);
        Random rnd = new Random(1);
        for (int i = 0; i < 16; i++) {
            assertThat(s.accept(i == 3 ? 1e9 : rnd.nextGaussian())).isTrue();
        }
        s.refresh();
        double[] before = s.values();
        assertThat(s.accept(1e9)).isFalse();
        assertThat(s.accept(Double.NaN)).isFalse();
        assertThat(s.values()).containsExactly(before);
        // One poison value in the warm-up does not move the median or the MAD far.
        assertThat(s.spread()).isLessThan(3);
        assertThat(s.accept(rnd.nextGaussian())).isTrue();
    }

    @Test
    void aWindowThatIsMostlyOneValueFallsBackToTheMeanAbsoluteDeviation() {
        RobustScale s = new RobustScale(10, 16, 1);
        for (int i = 0; i < 12; i++) {
            s.accept(0);
        }
        for (int i = 0; i < 4; i++) {
            s.accept(1);
        }
        s.refresh();
        assertThat(s.spread()).isCloseTo(1.2533 * 4 / 16, within(1e-12));
        assertThat(s.accept(1)).isTrue();
        assertThat(s.accept(50)).isFalse();
    }

    @Test
    void restoringTheValuesRebuildsTheSameDecisions() {
        RobustScale a = new RobustScale(4, 32, 8);
        Random rnd = new Random(3);
        for (int i = 0; i < 50; i++) {
            a.refresh();
            a.accept(rnd.nextGaussian() * (i % 7 == 0 ? 20 : 1));
        }
        RobustScale b = new RobustScale(4, 32, 8);
        b.restore(a.values(), a.seen(), a.rejectedInRow());
        assertThat(b.values()).containsExactly(a.values());
        assertThat(b.seen()).isEqualTo(a.seen());
        for (int i = 0; i < 50; i++) {
            double v = rnd.nextGaussian() * (i % 5 == 0 ? 20 : 1);
            a.refresh();
            b.refresh();
            assertThat(b.accept(v)).isEqualTo(a.accept(v));
        }
        assertThat(b.values()).containsExactly(a.values());
    }

    @Test
    void aRunAsLongAsTheWarmUpOfRejectedValuesIsARegimeChangeAndRestartsTheScale() {
        RobustScale s = new RobustScale(10, 64, 16);
        Random rnd = new Random(5);
        for (int i = 0; i < 64; i++) {
            s.refresh();
            s.accept(rnd.nextGaussian());
        }
        // A burst shorter than the warm-up is rejected throughout and leaves the scale as it was.
        for (int i = 0; i < 15; i++) {
            s.refresh();
            assertThat(s.accept(1000 + rnd.nextGaussian())).isFalse();
        }
        s.refresh();
        assertThat(s.accept(rnd.nextGaussian())).as("an ordinary value ends the run").isTrue();
        assertThat(s.rejectedInRow()).isEmpty();
        // The level moves for good: the 16th rejected value in a row restarts the scale at the new level.
        for (int i = 0; i < 15; i++) {
            s.refresh();
            assertThat(s.accept(1000 + rnd.nextGaussian())).isFalse();
        }
        assertThat(s.rejectedInRow()).hasSize(15);
        s.refresh();
        assertThat(s.accept(1000 + rnd.nextGaussian())).isTrue();
        s.refresh();
        assertThat(s.median()).isCloseTo(1000, within(2.0));
        assertThat(s.accept(1000 + rnd.nextGaussian())).isTrue();
        assertThat(s.accept(0)).as("the old level is now the outlier").isFalse();
    }

    @Test
    void theRunOfRejectedValuesSurvivesARestore() {
        RobustScale a = new RobustScale(10, 32, 8);
        for (int i = 0; i < 32; i++) {
            a.refresh();
            a.accept(i % 2);
        }
        for (int i = 0; i < 5; i++) {
            a.refresh();
            a.accept(500);
        }
        RobustScale b = new RobustScale(10, 32, 8);
        b.restore(a.values(), a.seen(), a.rejectedInRow());
        assertThat(b.rejectedInRow()).containsExactly(a.rejectedInRow()).hasSize(5);
        for (int i = 0; i < 4; i++) {
            a.refresh();
            b.refresh();
            assertThat(b.accept(500)).isEqualTo(a.accept(500));
        }
        assertThat(b.values()).containsExactly(a.values());
    }
}
