package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Update counting and learning. */
class SharedWeightRegressorTrainingTest {

    private static final int M = 3;

    @Test
    void versionCountsAppliedUpdatesOnly() {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {4}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 1);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            ObjectBatch supervised = Batches.random(M, 1, 3);
            byte[] start = model.exportState();

            StepResult predictOnly = model.step(supervised, false);
            assertThat(predictOnly.updated()).isFalse();
            assertThat(predictOnly.loss()).isNaN();
            assertThat(model.version()).isZero();

            StepResult noTargets = model.step(Batches.unsupervised(M, 2, 4), true);
            assertThat(noTargets.updated()).isFalse();
            assertThat(noTargets.loss()).isNaN();
            assertThat(noTargets.objectPredictions()).hasSize(4);
            assertThat(model.version()).isZero();
            assertThat(model.exportState()).isEqualTo(start);

            StepResult trained = model.step(supervised, true);
            assertThat(trained.updated()).isTrue();
            assertThat(trained.loss()).isFinite().isPositive();
            assertThat(model.version()).isEqualTo(1);
            model.step(supervised, true);
            assertThat(model.version()).isEqualTo(2);
            assertThat(model.exportState()).isNotEqualTo(start);
        }
    }

    @Test
    void emptyBatchIsANoOp() {
        ModelSpec spec = ModelSpec.regressor(M, new int[0], "linear", 0.5, ModelSpec.OptimizerSpec.of("sgd", 0.1), 1);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            StepResult r = model.step(new ObjectBatch(M), true);
            assertThat(r.objectPredictions()).isEmpty();
            assertThat(r.sumPredictions()).isEmpty();
            assertThat(r.updated()).isFalse();
            assertThat(model.version()).isZero();
        }
    }

    @Test
    void linearModelLearnsALinearFunction() {
        ModelSpec spec = ModelSpec.regressor(M, new int[0], "linear", 1.0, ModelSpec.OptimizerSpec.of("adam", 0.05), 5);
        Random r = new Random(17);
        ObjectBatch batch = new ObjectBatch(M);
        float[] x = new float[M];
        double firstLoss = Double.NaN;
        double lastLosses = 0;
        int steps = 400;
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            for (int s = 0; s < steps; s++) {
                batch.clear();
                batch.beginTimestep();
                for (int i = 0; i < 8; i++) {
                    for (int j = 0; j < M; j++) {
                        x[j] = (float) (2 * r.nextDouble() - 1);
                    }
                    batch.addDense(x, 0, true, 2 * x[0] - x[1] + 0.5f);
                }
                batch.endTimestep();
                double loss = model.step(batch, true).loss();
                if (s == 0) {
                    firstLoss = loss;
                }
                if (s >= steps - 20) {
                    lastLosses += loss / 20;
                }
            }
            assertThat(lastLosses).isLessThan(firstLoss / 100);
            float[] kernel = model.weights().get("output_kernel");
            assertThat(kernel[0]).isCloseTo(2f, within(0.05f));
            assertThat(kernel[1]).isCloseTo(-1f, within(0.05f));
            assertThat(kernel[2]).isCloseTo(0f, within(0.05f));
            assertThat(model.weights().get("output_bias")[0]).isCloseTo(0.5f, within(0.05f));
        }
    }

    @Test
    void sumTargetsAloneTeachPerObjectPredictions() {
        // w = 0: only the per-timestep sums are labelled, yet the shared weights recover y = 3 x0 - 1.
        ModelSpec spec = ModelSpec.regressor(2, new int[0], "linear", 0.0, ModelSpec.OptimizerSpec.of("adam", 0.05), 5);
        Random r = new Random(3);
        ObjectBatch batch = new ObjectBatch(2);
        float[] x = new float[2];
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            for (int s = 0; s < 600; s++) {
                batch.clear();
                batch.beginTimestep();
                int k = 2 + r.nextInt(5);
                float sum = 0;
                for (int i = 0; i < k; i++) {
                    x[0] = (float) (2 * r.nextDouble() - 1);
                    x[1] = (float) (2 * r.nextDouble() - 1);
                    sum += 3 * x[0] - 1;
                    batch.addDense(x, 0, false, 0f);
                }
                batch.setSumTarget(sum);
                batch.endTimestep();
                model.step(batch, true);
            }
            float[] kernel = model.weights().get("output_kernel");
            assertThat(kernel[0]).isCloseTo(3f, within(0.1f));
            assertThat(kernel[1]).isCloseTo(0f, within(0.1f));
            assertThat(model.weights().get("output_bias")[0]).isCloseTo(-1f, within(0.1f));
        }
    }

    @Test
    void tensorFlowsOwnThreadingPredictsLikeSingleThreaded() {
        ModelSpec single = ModelSpec.regressor(M, new int[] {16}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 9);
        ModelSpec pooled = new ModelSpec(ModelSpec.KIND_REGRESSOR, M, new int[] {16}, "tanh", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.01), 9, 0, 0);
        try (SharedWeightRegressor a = new SharedWeightRegressor(single);
             SharedWeightRegressor b = new SharedWeightRegressor(pooled)) {
            for (int s = 0; s < 5; s++) {
                ObjectBatch batch = Batches.mixed(M, s);
                StepResult ra = a.step(batch, true);
                StepResult rb = b.step(batch, true);
                assertThat(rb.loss()).isCloseTo(ra.loss(), within(1e-5));
            }
            assertThat(b.version()).isEqualTo(5);
        }
    }
}
