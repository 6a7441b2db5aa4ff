package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
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

/** The sequence models' SavedModels, loaded back by TensorFlow, compute what the live models compute. */
class SequenceSavedModelExportTest {

    private static final int M = 2;
    private static final int W = 4;

    @ParameterizedTest
    @ValueSource(strings = {ModelSpec.KIND_SEQ_AUTOENCODER, ModelSpec.KIND_LSTM_REGRESSOR})
    void loadedSavedModelComputesLikeTheModel(String kind, @TempDir Path dir) throws Exception {
        SequenceOptions options = SequenceOptions.DEFAULT.withWindow(W).withDifference(true);
        ModelSpec.OptimizerSpec adam = ModelSpec.OptimizerSpec.of("adam", 0.01);
        ModelSpec spec = kind.equals(ModelSpec.KIND_SEQ_AUTOENCODER)
                ? ModelSpec.seqAutoencoder(M, new int[] {3}, options, adam, 5)
                : ModelSpec.lstmRegressor(M, new int[] {3}, options, 0.5, adam, 5);
        try (OnlineModel model = Models.create(spec)) {
            for (int s = 0; s < 3; s++) {
                model.step(Batches.random(W * M, s, 3), true);
            }
            ObjectBatch probe = Batches.random(W * M, 77, 5);
            float[] expected = model.step(probe, false).objectPredictions();
            Path out = dir.resolve("model");
            model.exportSavedModel(out);
            String output = kind.equals(ModelSpec.KIND_SEQ_AUTOENCODER) ? "scores" : "predictions";
            try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve");
                 TFloat32 x = TFloat32.tensorOf(Shape.of(5, W * M),
                         DataBuffers.of(Arrays.copyOf(probe.x(), 5 * W * M), true, false));
                 Result r = bundle.function("serve").call(Map.<String, Tensor>of("windows", x))) {
                float[] actual = new float[5];
                ((TFloat32) r.get(output).orElseThrow()).asRawTensor().data().asFloats().read(actual);
                for (int i = 0; i < 5; i++) {
                    assertThat(actual[i]).isCloseTo(expected[i], within(1e-6f));
                }
            }
            // exporting does not disturb training
            assertThat(model.step(probe, true).updated()).isTrue();
        }
    }
}
