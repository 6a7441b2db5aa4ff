package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link ObjectBatch}: labels and class counts, their derivation, supervision, and both layouts. */
class ObjectBatchLabelsAndLayoutTest {

    @Test
    void countsAreDerivedFromLabelsOnlyWhenEveryObjectHasOne() {
        ObjectBatch b = new ObjectBatch(2);
        b.beginTimestep(); // all labelled: counts derived, max label + 1 wide
        add(b, 2);
        add(b, 0);
        add(b, 2);
        b.endTimestep();
        b.beginTimestep(); // one unlabelled: no counts, but supervised by its labels
        add(b, 1);
        add(b, -1);
        b.endTimestep();
        b.beginTimestep(); // explicit counts win over the labels
        add(b, 1);
        b.setSumCounts(new float[] {0.5f, 0.25f, 0.25f});
        b.endTimestep();
        b.beginTimestep(); // no labels, no counts
        add(b, -1);
        b.endTimestep();
        b.beginTimestep(); // counts alone
        add(b, -1);
        b.setSumCounts(new float[] {0f, 1f});
        b.endTimestep();

        assertThat(b.sumCounts(0)).containsExactly(1f, 0f, 2f);
        assertThat(b.sumCounts(1)).isEmpty();
        assertThat(b.sumCounts(2)).containsExactly(0.5f, 0.25f, 0.25f);
        assertThat(b.sumCounts(4)).containsExactly(0f, 1f);
        assertThat(Arrays.copyOf(b.sumCountMask(), 5)).containsExactly(1f, 0f, 1f, 0f, 1f);
        assertThat(b.explicitSumCounts(0)).isFalse();
        assertThat(b.explicitSumCounts(2)).isTrue();
        assertThat(Arrays.copyOf(b.labels(), 8)).containsExactly(2, 0, 2, 1, -1, 1, -1, -1);
        assertThat(Arrays.copyOf(b.labelMask(), 8)).containsExactly(1f, 1f, 1f, 1f, 0f, 1f, 0f, 0f);
        assertThat(b.supervised(0)).isTrue();
        assertThat(b.supervised(1)).isTrue();
        assertThat(b.supervised(2)).isTrue();
        assertThat(b.supervised(3)).isFalse();
        assertThat(b.supervised(4)).isTrue();
        // Labels do not make regression targets: the sum target is not derived from them.
        assertThat(Arrays.copyOf(b.sumMask(), 5)).containsOnly(0f);
    }

    @Test
    void clearForgetsLabelsAndCounts() {
        ObjectBatch b = ObjectBatch.sparse(3);
        b.beginTimestep();
        add(b, 1);
        b.endTimestep();
        b.clear();
        b.beginTimestep();
        b.addSparse(new int[] {2}, new float[] {1f}, false, 0f);
        b.endTimestep();
        assertThat(b.labels()[0]).isEqualTo(-1);
        assertThat(b.sumCountMask()[0]).isZero();
        assertThat(b.supervised(0)).isFalse();
        assertThat(b.nnz()).isEqualTo(1);
    }

    @Test
    void labelRulesAreChecked() {
        ObjectBatch b = new ObjectBatch(2);
        b.beginTimestep();
        assertThatThrownBy(() -> b.setLabel(0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no object");
        b.addDense(new float[2], 0, false, 0f);
        assertThatThrownBy(() -> b.setLabel(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> b.setSumCounts(new float[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theModelChecksLabelsAndCountsAgainstItsClasses() {
        try (Classifier model = new Classifier(ModelSpec.classifier(2, 3, new int[0], "linear", 0.5,
                ModelSpec.OptimizerSpec.of("sgd", 0.1), 1))) {
            ObjectBatch b = new ObjectBatch(2);
            b.beginTimestep();
            b.addDense(new float[] {1, 2}, 0, false, 0f);
            b.addDense(new float[] {1, 2}, 0, false, 0f);
            b.setLabel(3);
            b.endTimestep();
            long version = model.version();
            assertThatThrownBy(() -> model.step(b, true)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("object 1").hasMessageContaining("label 3").hasMessageContaining("3 classes");

            ObjectBatch counts = new ObjectBatch(2);
            counts.beginTimestep();
            counts.addDense(new float[] {1, 2}, 0, false, 0f);
            counts.setSumCounts(new float[] {1f, 0f});
            counts.endTimestep();
            assertThatThrownBy(() -> model.step(counts, true)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("2 class counts").hasMessageContaining("3 classes");
            assertThat(model.version()).isEqualTo(version);
        }
    }

    @Test
    void sparseLayoutKeepsTriplesAndNeverADenseMatrix() {
        ObjectBatch b = ObjectBatch.sparse(5);
        assertThat(b.isSparse()).isTrue();
        b.beginTimestep();
        b.addDense(new float[] {9, 0, 1.5f, 0, 0, -2, 9}, 1, true, 1f); // values [0, 1.5, 0, 0, -2]
        b.addSparse(new int[] {4, 0, 4}, new float[] {1f, 2f, 3f}, false, 0f);
        b.endTimestep();

        assertThat(b.nnz()).isEqualTo(5);
        assertThat(Arrays.copyOf(b.cooRows(), 5)).containsExactly(0, 0, 1, 1, 1);
        assertThat(Arrays.copyOf(b.cooCols(), 5)).containsExactly(1, 4, 4, 0, 4);
        assertThat(Arrays.copyOf(b.cooValues(), 5)).containsExactly(1.5f, -2f, 1f, 2f, 3f);
        assertThatThrownBy(b::x).isInstanceOf(IllegalStateException.class).hasMessageContaining("cooRows");
    }

    @Test
    void denseLayoutScattersSparseObjects() {
        ObjectBatch b = new ObjectBatch(4);
        assertThat(b.isSparse()).isFalse();
        b.beginTimestep();
        b.addDense(new float[] {5, 5, 5, 5}, 0, false, 0f);
        b.addSparse(new int[] {3, 1, 3}, new float[] {1f, 2f, 0.5f}, false, 0f);
        b.endTimestep();
        assertThat(Arrays.copyOf(b.x(), 8)).containsExactly(5, 5, 5, 5, 0, 2, 0, 1.5f);
        assertThatThrownBy(b::nnz).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(b::cooCols).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void outOfRangeIndicesAreRejectedAndLeaveTheBatchUnchanged() {
        for (ObjectBatch b : new ObjectBatch[] {new ObjectBatch(3), ObjectBatch.sparse(3)}) {
            b.beginTimestep();
            b.addSparse(new int[] {1}, new float[] {1f}, true, 2f);
            assertThatThrownBy(() -> b.addSparse(new int[] {0, 3}, new float[] {1f, 1f}, true, 0f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sparse index 3 out of range [0, 3)");
            assertThatThrownBy(() -> b.addSparse(new int[] {-1}, new float[] {1f}, false, 0f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
            assertThatThrownBy(() -> b.addSparse(new int[] {0, 1}, new float[] {1f}, false, 0f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 indices but 1 values");
            assertThatThrownBy(() -> b.addDense(new float[] {1f, 2f}, 0, false, 0f))
                    .isInstanceOf(IllegalArgumentException.class);
            b.endTimestep();
            assertThat(b.objects()).isEqualTo(1);
            assertThat(b.objectMask()[0]).isEqualTo(1f);
            assertThat(b.sumTarget()[0]).isEqualTo(2f); // derived from the one object that was added
            if (b.isSparse()) {
                assertThat(b.nnz()).isEqualTo(1);
            }
        }
    }

    @Test
    void sparseBuffersGrowWithNonzerosNotWithObjectsTimesFeatures() {
        int m = 100_000;
        ObjectBatch sparse = ObjectBatch.sparse(m);
        ObjectBatch dense = new ObjectBatch(1_000);
        fill(sparse, 2_000);
        fill(dense, 2_000);
        assertThat(sparse.nnz()).isEqualTo(6_000);
        // 2,000 objects x 100,000 features would be 800 MB as floats; the triples need ~72 kB.
        assertThat(sparse.allocatedBytes()).isLessThan(300_000L);
        // The same objects in the dense layout at a 100 times smaller m already take 8 MB.
        assertThat(dense.allocatedBytes()).isGreaterThan(8_000_000L);
    }

    private static void fill(ObjectBatch b, int objects) {
        b.beginTimestep();
        for (int i = 0; i < objects; i++) {
            b.addSparse(new int[] {i % 997, (i * 31) % 991, 990}, new float[] {1f, 1f, 0.5f}, false, 0f);
        }
        b.endTimestep();
    }

    private static void add(ObjectBatch b, int label) {
        b.addSparse(new int[] {0}, new float[] {1f}, false, 0f);
        if (label >= 0) {
            b.setLabel(label);
        }
    }
}
