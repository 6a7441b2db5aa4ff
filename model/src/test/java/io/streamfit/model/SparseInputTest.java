package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The same objects given as dense and as sparse values, in batches of either layout, fed to models
 * whose first layer is dense (matrix product) or sparse (gather and segment sum): the predictions,
 * and the weights after three updates, agree within 1e-6 (relative above 1). The sparse first
 * layer computes the same function by another summation order, so agreement is to float
 * rounding, not bit-for-bit.
 */
class SparseInputTest {

    private static final int M = 12;
    private static final int C = 3;

    /** How the objects of a batch are added. */
    enum Objects {
        DENSE, SPARSE, MIXED
    }

    /** One object: its feature values (mostly zero), label and target. */
    private record Item(float[] x, int label, float target) {
    }

    @ParameterizedTest(name = "{0}, {1}, hidden {2}")
    @CsvSource({"classifier, sgd, ''", "classifier, adam, 6", "regressor, sgd, 6", "regressor, adam, ''"})
    void denseAndSparseInputsGiveTheSamePredictionsAndUpdates(String kind, String optimizer, String hidden) {
        int[] h = hidden.isEmpty() ? new int[0] : new int[] {Integer.parseInt(hidden)};
        ModelSpec.OptimizerSpec opt = ModelSpec.OptimizerSpec.of(optimizer, 0.05);
        ModelSpec base = "classifier".equals(kind)
                ? ModelSpec.classifier(M, C, h, "tanh", 0.5, opt, 17)
                : ModelSpec.regressor(M, h, "tanh", 0.5, opt, 17);
        List<List<List<Item>>> batches = new ArrayList<>();
        Random r = new Random(3);
        for (int s = 0; s < 3; s++) {
            batches.add(items(r, new int[] {3, 4}));
        }

        // Reference: a dense-input model fed dense objects in dense batches.
        Run reference = run(base.withInput(ModelSpec.INPUT_DENSE), batches, ObjectBatch::new, Objects.DENSE);
        assertThat(reference.spec.sparseInput()).isFalse();
        int runs = 0;
        for (String input : List.of(ModelSpec.INPUT_DENSE, ModelSpec.INPUT_SPARSE)) {
            for (boolean sparseBatch : new boolean[] {false, true}) {
                for (Objects objects : Objects.values()) {
                    Function<Integer, ObjectBatch> layout = sparseBatch ? ObjectBatch::sparse : ObjectBatch::new;
                    Run other = run(base.withInput(input), batches, layout, objects);
                    String what = input + " input, " + (sparseBatch ? "sparse" : "dense") + " batch, " + objects
                            + " objects";
                    assertClose(other.predictions, reference.predictions, what + ": predictions");
                    for (Map.Entry<String, float[]> e : reference.weights.entrySet()) {
                        assertClose(other.weights.get(e.getKey()), e.getValue(), what + ": " + e.getKey());
                    }
                    runs++;
                }
            }
        }
        assertThat(runs).isEqualTo(12);
        // The updates moved the weights, or comparing them would prove nothing.
        try (OnlineModel fresh = Models.create(base.withInput(ModelSpec.INPUT_DENSE))) {
            Map<String, float[]> initial = ((FeedForwardModel) fresh).weights();
            assertThat(initial.get("output_bias")).isNotEqualTo(reference.weights.get("output_bias"));
        }
    }

    private record Run(ModelSpec spec, List<float[]> predictions, Map<String, float[]> weights) {
    }

    private static Run run(ModelSpec spec, List<List<List<Item>>> batches, Function<Integer, ObjectBatch> layout,
                           Objects objects) {
        List<float[]> predictions = new ArrayList<>();
        try (OnlineModel model = Models.create(spec)) {
            for (List<List<Item>> timesteps : batches) {
                ObjectBatch b = layout.apply(M);
                int k = 0;
                for (List<Item> timestep : timesteps) {
                    b.beginTimestep();
                    for (Item item : timestep) {
                        boolean dense = objects == Objects.DENSE || (objects == Objects.MIXED && k++ % 2 == 0);
                        add(b, item, dense);
                    }
                    b.endTimestep();
                }
                StepResult r = model.step(b, true);
                assertThat(r.updated()).isTrue();
                predictions.add(r.objectPredictions());
                if (r.probabilities() != null) {
                    predictions.add(r.probabilities());
                    predictions.add(r.expectedCounts());
                }
            }
            predictions.add(model.step(batch(batches.get(0)), false).objectPredictions());
            return new Run(spec, predictions, ((FeedForwardModel) model).weights());
        }
    }

    private static ObjectBatch batch(List<List<Item>> timesteps) {
        ObjectBatch b = new ObjectBatch(M);
        for (List<Item> timestep : timesteps) {
            b.beginTimestep();
            for (Item item : timestep) {
                add(b, item, true);
            }
            b.endTimestep();
        }
        return b;
    }

    private static void add(ObjectBatch b, Item item, boolean dense) {
        if (dense) {
            b.addDense(item.x, 0, true, item.target);
        } else {
            List<Integer> idx = new ArrayList<>();
            for (int j = 0; j < M; j++) {
                if (item.x[j] != 0f) {
                    idx.add(j);
                }
            }
            // A repeated index adds up: the first nonzero given as two halves.
            int[] indices = new int[idx.size() + 1];
            float[] values = new float[idx.size() + 1];
            for (int k = 0; k < idx.size(); k++) {
                indices[k] = idx.get(k);
                values[k] = item.x[idx.get(k)];
            }
            indices[idx.size()] = indices[0];
            values[0] = item.x[indices[0]] / 2;
            values[idx.size()] = item.x[indices[0]] / 2;
            b.addSparse(indices, values, true, item.target);
        }
        b.setLabel(item.label);
    }

    /** Timesteps of random objects with 1 to 4 nonzero features each. */
    private static List<List<Item>> items(Random r, int[] sizes) {
        List<List<Item>> timesteps = new ArrayList<>();
        for (int k : sizes) {
            List<Item> objects = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                float[] x = new float[M];
                int active = 1 + r.nextInt(4);
                for (int a = 0; a < active; a++) {
                    x[r.nextInt(M)] = (float) (r.nextDouble() * 2 - 1);
                }
                x[r.nextInt(M)] = 0.5f; // at least one nonzero
                objects.add(new Item(x, r.nextInt(C), (float) r.nextGaussian()));
            }
            timesteps.add(objects);
        }
        return timesteps;
    }

    private static void assertClose(List<float[]> actual, List<float[]> expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int k = 0; k < expected.size(); k++) {
            assertClose(actual.get(k), expected.get(k), what + " #" + k);
        }
    }

    /** Relative above 1: predictions reach about 1.6, where 1e-6 absolute would be 8 ulps. */
    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int j = 0; j < expected.length; j++) {
            assertThat((double) actual[j]).as("%s[%d]", what, j)
                    .isCloseTo(expected[j], FloatTolerance.scaledWithin(1e-6, expected[j]));
        }
    }
}
