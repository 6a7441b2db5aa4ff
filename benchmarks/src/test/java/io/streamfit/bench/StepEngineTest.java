package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both engines compute the loss the benchmark claims (from their own pre-update predictions,
 * recomputed here in plain Java) and actually learn: the loss on the fixed data falls.
 */
class StepEngineTest {

    private static final StepShape SHAPE = new StepShape(5, 3, 8, 4);

    @ParameterizedTest
    @ValueSource(strings = {StepEngine.TENSORFLOW, StepEngine.PYTORCH})
    void lossIsTheCombinedLossOfThePredictionsAndFalls(String engine) {
        StepData data = StepData.random(SHAPE, 3);
        try (StepEngine step = StepEngine.create(engine, data, 1, 42)) {
            double first = step.step();
            float[] p = step.lastPredictions();
            assertThat(p).hasSize(SHAPE.rows());
            assertThat(first).isCloseTo(combinedLoss(data, p), within(1e-4 * Math.max(1, first)));

            double last = first;
            for (int i = 0; i < 300; i++) {
                last = step.step();
            }
            assertThat(last).as("%s loss after 300 Adam steps on the same data", engine).isLessThan(0.8 * first);
        }
    }

    /** w * mean object squared error + (1 - w) * mean over timesteps of the squared sum error, w = 0.5. */
    private static double combinedLoss(StepData data, float[] p) {
        int k = SHAPE.objects();
        double objects = 0;
        double sums = 0;
        for (int t = 0; t < SHAPE.timesteps(); t++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                int i = t * k + j;
                double e = p[i] - data.objectTarget()[i];
                objects += e * e;
                sum += p[i];
            }
            double e = sum - data.sumTarget()[t];
            sums += e * e;
        }
        double w = StepEngine.LOSS_WEIGHT;
        return w * objects / SHAPE.rows() + (1 - w) * sums / SHAPE.timesteps();
    }
}
