package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** The exported SavedModel, loaded back by TensorFlow, predicts what the live model predicts. */
class SavedModelExportTest {

    private static final int M = 5;

    @Test
    void loadedSavedModelPredictsLikeTheModel(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {8, 4}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 3);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            for (int s = 0; s < 5; s++) {
                model.step(Batches.random(M, s, 4, 6), true);
            }
            ObjectBatch probe = Batches.random(M, 77, 7);
            float[] expected = model.step(probe, false).objectPredictions();
            // An existing empty directory is fine; a non-empty one is refused untouched.
            Path out = Files.createDirectory(dir.resolve("model"));
            model.exportSavedModel(out);
            Path busy = Files.createDirectory(dir.resolve("busy"));
            Files.writeString(busy.resolve("keep.txt"), "x");
            assertThatThrownBy(() -> model.exportSavedModel(busy)).isInstanceOf(IOException.class)
                    .hasMessageContaining("not empty");
            assertThat(Files.readString(busy.resolve("keep.txt"))).isEqualTo("x");

            try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
                assertThat(bundle.function("serve").signature().inputNames()).containsExactly("features");
                assertThat(bundle.function("serve").signature().outputNames()).containsExactly("predictions");
                assertThat(bundle.function("serving_default")).isNotNull();
                float[] actual = new float[probe.objects()];
                try (TFloat32 x = TFloat32.tensorOf(Shape.of(probe.objects(), M),
                        DataBuffers.of(java.util.Arrays.copyOf(probe.x(), probe.objects() * M), true, false));
                     Result r = bundle.function("serve").call(Map.<String, Tensor>of("features", x))) {
                    TFloat32 p = (TFloat32) r.get("predictions").orElseThrow();
                    assertThat(p.shape()).isEqualTo(Shape.of(probe.objects()));
                    p.asRawTensor().data().asFloats().read(actual);
                }
                // Another graph (inference only, loaded from disk), so possibly other kernels: within
                // rounding, in ulps since these relu predictions reach about 8, where 1e-6 is 2 ulps.
                FloatTolerance.assertUlpsClose(actual, expected, FloatTolerance.OTHER_KERNEL_ULPS, 1f,
                        "SavedModel predictions");
                assertThat(expected[0]).isNotEqualTo(expected[1]);
            }
        }
    }

    /**
     * An export with input scaling takes the raw features: the loaded graph, fed raw x, predicts
     * what the live model predicts from (x - mean) / scale computed outside it.
     */
    @Test
    void aScaledExportTakesRawFeaturesAndStandardizesThemInTheGraph(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {8}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 3);
        double[] mean = {100, -3, 0, 0.5, 1e3};
        double[] scale = {20, 0.1, 1, 2, 300};
        InputScaling scaling = new InputScaling(mean, scale);
        java.util.Random rnd = new java.util.Random(4);
        int n = 6;
        float[] raw = new float[n * M];
        float[] standardized = new float[n * M];
        ObjectBatch probe = new ObjectBatch(M);
        probe.beginTimestep();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < M; j++) {
                raw[i * M + j] = (float) (mean[j] + scale[j] * rnd.nextGaussian());
                standardized[i * M + j] = (float) ((raw[i * M + j] - mean[j]) / scale[j]);
            }
            probe.addDense(standardized, i * M, false, 0f);
        }
        probe.endTimestep();
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            for (int s = 0; s < 5; s++) {
                model.step(Batches.random(M, s, 4, 6), true);
            }
            float[] expected = model.step(probe, false).objectPredictions();
            Path out = dir.resolve("scaled");
            model.exportSavedModel(out, scaling);

            float[] actual = new float[n];
            float[] unscaled = new float[n];
            try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
                assertThat(bundle.function("serve").signature().inputNames()).containsExactly("features");
                try (TFloat32 x = TFloat32.tensorOf(Shape.of(n, M), DataBuffers.of(raw, true, false));
                     Result r = bundle.function("serve").call(Map.<String, Tensor>of("features", x))) {
                    ((TFloat32) r.get("predictions").orElseThrow()).asRawTensor().data().asFloats().read(actual);
                }
            }
            // The same graph without the scaling, fed the same raw x, predicts something else: the
            // comparison above can fail.
            Path plain = dir.resolve("plain");
            model.exportSavedModel(plain, null);
            try (SavedModelBundle bundle = SavedModelBundle.load(plain.toString(), "serve");
                 TFloat32 x = TFloat32.tensorOf(Shape.of(n, M), DataBuffers.of(raw, true, false));
                 Result r = bundle.function("serve").call(Map.<String, Tensor>of("features", x))) {
                ((TFloat32) r.get("predictions").orElseThrow()).asRawTensor().data().asFloats().read(unscaled);
            }
            // float32 (x - mean) / scale in the graph against double rounded to float outside: a few ulps.
            FloatTolerance.assertUlpsClose(actual, expected, FloatTolerance.OTHER_KERNEL_ULPS, 1f,
                    "scaled SavedModel predictions");
            assertThat(unscaled[0]).isNotCloseTo(expected[0], org.assertj.core.api.Assertions.within(0.01f));
        }
    }

    @Test
    void aSparseInputModelExportsNoInputScaling(@TempDir Path dir) {
        ModelSpec spec = ModelSpec.regressor(M, new int[] {4}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 3)
                .withInput(ModelSpec.INPUT_SPARSE);
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            assertThatThrownBy(() -> model.exportSavedModel(dir.resolve("m"), new InputScaling(new double[M],
                    new double[] {1, 1, 1, 1, 1}))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sparse");
            assertThat(dir.resolve("m")).doesNotExist();
        }
    }
}
