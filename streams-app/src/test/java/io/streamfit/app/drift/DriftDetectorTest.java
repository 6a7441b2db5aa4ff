package io.streamfit.app.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both detectors against streams of losses whose truth is known: stationary ones (no report in
 * 50,000 timesteps), level shifts (a report soon after), a learning curve (a falling loss is never
 * a drift), outliers, any scale, and a checkpoint in the middle.
 */
class DriftDetectorTest {

    static Stream<Arguments> detectors() {
        return Stream.of(
                Arguments.of("page-hinkley", (Supplier<DriftDetector>) PageHinkley::new),
                Arguments.of("adwin", (Supplier<DriftDetector>) Adwin::new));
    }

    /** One squared standard Gaussian error per timestep (coefficient of variation 1.4): the noisiest case. */
    private static double squaredError(Random rng) {
        double e = rng.nextGaussian();
        return e * e;
    }

    /** The mean squared error of 8 objects: what a timestep of a k = 8 model gives. */
    private static double meanOfEight(Random rng) {
        double s = 0;
        for (int i = 0; i < 8; i++) {
            s += squaredError(rng);
        }
        return s / 8;
    }

    private static List<Integer> reports(DriftDetector d, double[] losses) {
        List<Integer> at = new ArrayList<>();
        for (int t = 0; t < losses.length; t++) {
            if (d.update(losses[t])) {
                at.add(t);
            }
        }
        return at;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void aStationaryLossOf50000TimestepsIsNeverADrift(String name, Supplier<DriftDetector> make) {
        for (long seed = 1; seed <= 3; seed++) {
            Random rng = new Random(seed);
            double[] single = new double[50_000];
            double[] eight = new double[50_000];
            double[] correlated = new double[50_000];
            double ar = 0;
            for (int t = 0; t < single.length; t++) {
                single[t] = squaredError(rng);
                eight[t] = meanOfEight(rng);
                // A loss that wanders (log-normal, AR(1) with phi 0.9: about +-25% for tens of timesteps): runs of high and low loss that are not drift.
                ar = 0.9 * ar + 0.1 * rng.nextGaussian();
                correlated[t] = 0.5 * Math.exp(ar) * meanOfEight(rng);
            }
            assertThat(reports(make.get(), single)).as("%s, seed %d, one squared error", name, seed).isEmpty();
            assertThat(reports(make.get(), eight)).as("%s, seed %d, mean of 8", name, seed).isEmpty();
            if (name.equals("page-hinkley")) {
                // ADWIN assumes independent losses: on this one it reports the wandering itself
                // (its local means do differ), which docs/lifecycle.md says; page-hinkley, the
                // default, tolerates it.
                assertThat(reports(make.get(), correlated)).as("%s, seed %d, wandering", name, seed).isEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void aLevelShiftIsReportedSoonAfterItAndOnlyOnce(String name, Supplier<DriftDetector> make) {
        for (double factor : new double[] {2, 10}) {
            Random rng = new Random(42);
            double[] losses = new double[20_000];
            for (int t = 0; t < losses.length; t++) {
                losses[t] = (t < 10_000 ? 1 : factor) * meanOfEight(rng);
            }
            List<Integer> at = reports(make.get(), losses);
            assertThat(at).as("%s, x%s", name, factor).isNotEmpty();
            DriftDetector d = make.get();
            int reported = -1;
            for (int t = 0; t < losses.length && reported < 0; t++) {
                if (d.update(losses[t])) {
                    reported = t;
                }
            }
            int delay = reported - 10_000;
            assertThat(delay).as("%s: delay of the report of a rise x%s", name, factor)
                    .isBetween(0, factor == 2 ? 600 : 150);
            // Where the rise began, estimated: near the shift, not at the report.
            assertThat(reported - d.changeBegan()).as("%s: estimated start of the rise x%s", name, factor)
                    .isBetween(10_000L - 150, 10_000L + 150);
            // After the report the detector starts over on the new level: no second report for one shift.
            assertThat(at).as("%s, x%s", name, factor).hasSize(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void aFallingLossWhileTheModelLearnsIsNotADrift(String name, Supplier<DriftDetector> make) {
        Random rng = new Random(7);
        double[] losses = new double[30_000];
        for (int t = 0; t < losses.length; t++) {
            // From 10 down to 0.1 over the first 5,000 timesteps, then level.
            double level = t < 5_000 ? 10 * Math.pow(0.01, t / 5_000.0) : 0.1;
            losses[t] = level * meanOfEight(rng);
        }
        assertThat(reports(make.get(), losses)).isEmpty();
        // A fall after a stable stretch neither.
        double[] drop = new double[20_000];
        for (int t = 0; t < drop.length; t++) {
            drop[t] = (t < 10_000 ? 1 : 0.2) * meanOfEight(rng);
        }
        assertThat(reports(make.get(), drop)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void theScaleOfTheLossDoesNotMatter(String name, Supplier<DriftDetector> make) {
        Random rng = new Random(3);
        double[] base = new double[15_000];
        for (int t = 0; t < base.length; t++) {
            base[t] = (t < 8_000 ? 1 : 3) * meanOfEight(rng);
        }
        List<Integer> unit = reports(make.get(), base);
        assertThat(unit).isNotEmpty();
        for (double scale : new double[] {1e-6, 1e6}) {
            double[] scaled = new double[base.length];
            for (int t = 0; t < base.length; t++) {
                scaled[t] = base[t] * scale;
            }
            List<Integer> at = reports(make.get(), scaled);
            assertThat(at).as("%s at scale %s", name, scale).hasSameSizeAs(unit);
            assertThat(Math.abs(at.get(0) - unit.get(0))).as("%s at scale %s", name, scale).isLessThanOrEqualTo(32);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void oneOutlierOrANonFiniteLossIsNoDrift(String name, Supplier<DriftDetector> make) {
        Random rng = new Random(11);
        DriftDetector d = make.get();
        for (int t = 0; t < 20_000; t++) {
            double loss = meanOfEight(rng);
            if (t % 5_000 == 4_999) {
                loss *= 1_000;
            }
            assertThat(d.update(loss)).as("%s at %d", name, t).isFalse();
            assertThat(d.update(Double.NaN)).isFalse();
            assertThat(d.update(Double.POSITIVE_INFINITY)).isFalse();
            assertThat(d.update(-1)).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void aDetectorRestoredFromItsStateGoesOnExactlyAsTheOriginal(String name, Supplier<DriftDetector> make) {
        Random rng = new Random(5);
        double[] losses = new double[12_000];
        for (int t = 0; t < losses.length; t++) {
            losses[t] = (t < 6_000 ? 1 : 4) * meanOfEight(rng);
        }
        DriftDetector original = make.get();
        List<Integer> whole = reports(original, losses);
        assertThat(whole).isNotEmpty();

        DriftDetector first = make.get();
        List<Integer> at = new ArrayList<>();
        for (int t = 0; t < 5_987; t++) {
            if (first.update(losses[t])) {
                at.add(t);
            }
        }
        Map<String, Double> state = first.state();
        DriftDetector second = make.get();
        second.restore(Map.copyOf(state));
        assertThat(second.seen()).isEqualTo(first.seen());
        for (int t = 5_987; t < losses.length; t++) {
            if (second.update(losses[t])) {
                at.add(t);
            }
        }
        assertThat(at).isEqualTo(whole);
        // A checkpoint without the detector's entries (written before drift detection) starts it empty.
        DriftDetector fresh = make.get();
        fresh.restore(Map.of("prequential.objects", 3.0));
        assertThat(fresh.seen()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("detectors")
    void resetStartsOver(String name, Supplier<DriftDetector> make) {
        DriftDetector d = make.get();
        Random rng = new Random(9);
        for (int t = 0; t < 1_000; t++) {
            d.update(meanOfEight(rng));
        }
        assertThat(d.seen()).isEqualTo(1_000);
        d.reset();
        assertThat(d.seen()).isZero();
    }

    @org.junit.jupiter.api.Test
    void badParametersAreRefusedWithTheirNames() {
        assertThatThrownBy(() -> new PageHinkley(0, 0.1, 200, 0.9999)).hasMessageContaining("min.instances");
        assertThatThrownBy(() -> new PageHinkley(10, 0.1, 0, 0.9999)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new Adwin(0, 32, 100)).hasMessageContaining("delta");
        assertThat(DriftDetector.NONE.update(1e9)).isFalse();
    }
}
