package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * m = 100,000 with a few active features per object: the sparse first layer never builds the
 * [N, m] matrix. With the test JVM's 2 GiB heap, the 4,096 objects of one step would need 1.6 GB
 * as a dense matrix (and as much again natively), so these steps pass only on the sparse path.
 */
class LargeSparseInputTest {

    private static final int M = 100_000;
    private static final int N = 4_096;

    @Test
    void aStepAtOneHundredThousandFeaturesRunsInMemoryOfTheNonzeros() {
        ModelSpec spec = ModelSpec.classifier(M, 3, new int[] {16}, "sigmoid", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.05),
                3);
        assertThat(spec.sparseInput()).as("auto input at m = 100,000").isTrue();
        try (Classifier model = new Classifier(spec)) {
            ObjectBatch batch = model.newBatch();
            assertThat(batch.isSparse()).isTrue();
            Random r = new Random(5);
            int[] firstLabels = new int[4];
            for (int s = 0; s < 4; s++) {
                batch.clear();
                batch.beginTimestep();
                for (int i = 0; i < N; i++) {
                    // The class decides which block of 1,000 features is active.
                    int label = r.nextInt(3);
                    int base = label * 30_000 + r.nextInt(1_000);
                    batch.addSparse(new int[] {base, base + 7, M - 1}, new float[] {1f, 1f, 1f}, false, 0f);
                    batch.setLabel(label);
                }
                batch.endTimestep();
                StepResult result = model.step(batch, true);
                assertThat(result.updated()).isTrue();
                assertThat(result.probabilities()).hasSize(N * 3);
                assertThat(result.loss()).isFinite();
                firstLabels[s] = result.predictedClass(0);
            }
            assertThat(batch.nnz()).isEqualTo(3 * N);
            // O(N + nnz): a few hundred kB, against 1.6 GB for [N, m] floats.
            assertThat(batch.allocatedBytes()).isLessThan(1_000_000L);
            assertThat(model.version()).isEqualTo(4);
        }
    }

    @Test
    void theRegressorTakesTheSameSparsePath() {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {16}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 3);
        assertThat(spec.sparseInput()).isTrue();
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            ObjectBatch batch = model.newBatch();
            Set<Integer> active = new HashSet<>();
            batch.beginTimestep();
            for (int i = 0; i < N; i++) {
                int j = (i * 7919) % M;
                active.add(j);
                batch.addSparse(new int[] {j, M - 1}, new float[] {1f, 0.5f}, true, i % 2);
            }
            batch.endTimestep();
            Map<String, float[]> before = model.weights();
            StepResult result = model.step(batch, true);
            assertThat(result.updated()).isTrue();
            assertThat(result.objectPredictions()).hasSize(N);
            // The gradient reaches exactly the kernel rows of active features.
            float[] kernelBefore = before.get("dense_0_kernel");
            float[] kernelAfter = model.weights().get("dense_0_kernel");
            assertThat(kernelAfter).hasSize(M * 16);
            int idle = 1;
            while (active.contains(idle)) {
                idle++;
            }
            assertThat(Arrays.copyOfRange(kernelAfter, idle * 16, idle * 16 + 16))
                    .containsExactly(Arrays.copyOfRange(kernelBefore, idle * 16, idle * 16 + 16));
            assertThat(Arrays.copyOfRange(kernelAfter, (M - 1) * 16, M * 16))
                    .isNotEqualTo(Arrays.copyOfRange(kernelBefore, (M - 1) * 16, M * 16));
        }
    }
}
