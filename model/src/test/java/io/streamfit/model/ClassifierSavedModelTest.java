package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** A classifier's SavedModel, loaded back by TensorFlow, gives the live model's probabilities. */
class ClassifierSavedModelTest {

    private static final int M = 6;
    private static final int C = 3;

    @ParameterizedTest(name = "{0} input")
    @ValueSource(strings = {ModelSpec.INPUT_DENSE, ModelSpec.INPUT_SPARSE})
    void loadedSavedModelGivesTheSameProbabilities(String input, @TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.classifier(M, C, new int[] {5}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.05),
                4).withInput(input);
        try (Classifier model = new Classifier(spec)) {
            for (int s = 0; s < 5; s++) {
                model.step(ClassifierStateTest.batch(model, s), true);
            }
            ObjectBatch probe = ClassifierStateTest.batch(model, 77);
            float[] expected = model.step(probe, false).probabilities();
            Path out = dir.resolve("model");
            model.exportSavedModel(out);

            try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
                assertThat(bundle.function("serve").signature().outputNames()).containsExactly(Classifier.SERVE_OUTPUT);
                assertThat(bundle.function("serving_default")).isNotNull();
                Map<String, Tensor> feeds = new HashMap<>();
                int n = probe.objects();
                if (spec.sparseInput()) {
                    assertThat(bundle.function("serve").signature().inputNames())
                            .containsExactlyInAnyOrder("rows", "cols", "values", "objects");
                    int nnz = probe.nnz();
                    feeds.put("rows", TInt32.vectorOf(Arrays.copyOf(probe.cooRows(), nnz)));
                    feeds.put("cols", TInt32.vectorOf(Arrays.copyOf(probe.cooCols(), nnz)));
                    feeds.put("values", TFloat32.vectorOf(Arrays.copyOf(probe.cooValues(), nnz)));
                    feeds.put("objects", TInt32.scalarOf(n));
                } else {
                    assertThat(bundle.function("serve").signature().inputNames()).containsExactly("features");
                    feeds.put("features", TFloat32.tensorOf(Shape.of(n, M),
                            DataBuffers.of(Arrays.copyOf(probe.x(), n * M), true, false)));
                }
                float[] actual = new float[n * C];
                try (Result r = bundle.function("serve").call(feeds)) {
                    TFloat32 p = (TFloat32) r.get(Classifier.SERVE_OUTPUT).orElseThrow();
                    assertThat(p.shape()).isEqualTo(Shape.of(n, C));
                    p.asRawTensor().data().asFloats().read(actual);
                } finally {
                    feeds.values().forEach(Tensor::close);
                }
                for (int k = 0; k < expected.length; k++) {
                    assertThat((double) actual[k]).as("probability %d", k).isCloseTo(expected[k], within(1e-6));
                }
                assertThat(expected[0]).isNotEqualTo(expected[1]);
            }
        }
    }
}
