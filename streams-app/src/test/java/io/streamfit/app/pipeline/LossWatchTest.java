package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The loss watch's saved state: a restored watch goes on exactly as the one it was saved from. */
class LossWatchTest {

    @Test
    void aWatchRestoredFromItsSavedStateGivesTheSameVerdictsAndSumsBitForBit() {
        Random rnd = new Random(5);
        for (int savedAfter : new int[] {0, 3, 7, 8, 9, 23}) {
            LossWatch original = new LossWatch(8);
            for (int i = 0; i < savedAfter; i++) {
                original.add(Math.exp(3 * rnd.nextGaussian()), 100);
            }
            LossWatch restored = new LossWatch(8);
            restored.add(42, 100); // whatever it held before is replaced
            restored.restore(original.losses(), original.sum(), original.best());
            assertThat(restored.losses()).containsExactly(original.losses());

            for (int i = 0; i < 40; i++) {
                double loss = i == 30 ? 1e9 : Math.exp(3 * rnd.nextGaussian());
                assertThat(restored.add(loss, 100)).as("verdict %d after %d", i, savedAfter)
                        .isEqualTo(original.add(loss, 100));
                assertThat(Double.doubleToRawLongBits(restored.sum())).isEqualTo(Double.doubleToRawLongBits(original.sum()));
                assertThat(restored.best()).isEqualTo(original.best());
            }
        }
    }

    @Test
    void theSavedLossesAreOldestFirstAndTheSumIsTheRunningOne() {
        LossWatch w = new LossWatch(3);
        for (double loss : new double[] {0.1, 0.2, 0.3, 0.4}) {
            w.add(loss, 0);
        }
        assertThat(w.losses()).containsExactly(0.2, 0.3, 0.4);
        // Kept by adding and subtracting: not the fresh sum of the window's losses.
        assertThat(w.sum()).isEqualTo(((0.1 + 0.2 + 0.3) - 0.1) + 0.4).isNotEqualTo(0.2 + 0.3 + 0.4);
        assertThat(w.best()).isEqualTo(((0.1 + 0.2) + 0.3) / 3);
    }

    @Test
    void aStateThatNoWatchOfThisWindowCouldHoldIsRefused() {
        LossWatch w = new LossWatch(2);
        assertThatThrownBy(() -> w.restore(new double[] {1, 2, 3}, 6, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.restore(new double[] {1, Double.NaN}, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.restore(new double[] {1}, Double.POSITIVE_INFINITY, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
