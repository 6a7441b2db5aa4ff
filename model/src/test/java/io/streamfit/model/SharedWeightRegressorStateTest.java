package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints: the whole state moves between models bit for bit, and only between equal specs. */
class SharedWeightRegressorStateTest {

    private static final int M = 4;

    private static ModelSpec spec(String optimizer) {
        ModelSpec.OptimizerSpec opt = switch (optimizer) {
            case "momentum" -> new ModelSpec.OptimizerSpec("momentum", 0.05, Map.of("momentum", 0.8, "nesterov", 1.0));
            case "adam" -> ModelSpec.OptimizerSpec.of("adam", 0.01);
            case "adagrad" -> new ModelSpec.OptimizerSpec("adagrad", 0.05, Map.of("initial.accumulator", 0.1));
            case "rmsprop" -> new ModelSpec.OptimizerSpec("rmsprop", 0.01,
                    Map.of("momentum", 0.5, "centered", 1.0, "epsilon", 1e-6));
            case "ftrl" -> new ModelSpec.OptimizerSpec("ftrl", 0.1, Map.of("ftrl.l1", 0.001, "ftrl.l2", 0.01));
            case "neuron-mean-momentum" -> new ModelSpec.OptimizerSpec("neuron-mean-momentum", 0.05,
                    Map.of("momentum", 0.7));
            // Every regularisation, clipping that bites, and a schedule whose position must restore.
            case "adam+all" -> new ModelSpec.OptimizerSpec("adam", 0.01, Map.of("l1", 1e-4, "l2", 1e-3,
                    "weight.decay", 1e-2, "clip.norm", 0.5, "decay.rate", 0.5, "decay.steps", 3.0), "exponential");
            case "momentum+inverse-time" -> new ModelSpec.OptimizerSpec("momentum", 0.05,
                    Map.of("decay.rate", 1.0, "decay.steps", 2.0), "inverse-time");
            default -> ModelSpec.OptimizerSpec.of(optimizer, 0.05);
        };
        return ModelSpec.regressor(M, new int[] {8, 5}, "tanh", 0.5, opt, 42);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "adam", "adagrad", "rmsprop", "ftrl", "neuron-mean-momentum",
        "adam+all", "momentum+inverse-time"})
    void importedModelPredictsAndTrainsBitForBitLikeTheOriginal(String optimizer) {
        try (SharedWeightRegressor original = new SharedWeightRegressor(spec(optimizer));
             SharedWeightRegressor copy = new SharedWeightRegressor(spec(optimizer))) {
            for (int s = 0; s < 4; s++) {
                original.step(Batches.random(M, s, 3, 5), true);
            }
            copy.importState(original.exportState());

            assertThat(copy.version()).isEqualTo(original.version()).isEqualTo(4);
            assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            ObjectBatch probe = Batches.mixed(M, 99);
            assertThat(copy.step(probe, false).objectPredictions())
                    .containsExactly(original.step(probe, false).objectPredictions());

            Map<String, float[]> before = original.weights();
            for (int s = 10; s < 15; s++) {
                ObjectBatch batch = Batches.mixed(M, s);
                StepResult a = original.step(batch, true);
                StepResult b = copy.step(batch, true);
                assertThat(b.loss()).isEqualTo(a.loss());
                assertThat(b.objectPredictions()).containsExactly(a.objectPredictions());
                assertThat(copy.variables()).containsExactlyEntriesOf(original.variables());
            }
            assertThat(copy.version()).isEqualTo(original.version()).isEqualTo(9);
            assertThat(original.weights().get("output_kernel")).isNotEqualTo(before.get("output_kernel"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adagrad", "rmsprop", "ftrl", "neuron-mean-momentum", "momentum"})
    void optimizerSlotsAreInTheCheckpoint(String optimizer) {
        String slot = switch (optimizer) {
            case "adagrad" -> "accumulator";
            case "rmsprop" -> "mg";
            case "ftrl" -> "linear_accumulator";
            default -> "momentum";
        };
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec(optimizer))) {
            model.step(Batches.random(M, 1, 4), true);
            assertThat(model.variables()).containsKeys("dense_0_kernel-" + slot, "dense_0_bias-" + slot,
                    "output_kernel-" + slot, "output_bias-" + slot);
            assertThat(model.variables().get("output_bias-" + slot)[0]).isNotZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "momentum", "adam", "adagrad", "rmsprop", "ftrl", "neuron-mean-momentum", "adam+all"})
    void equalSpecsStartAndStayIdentical(String optimizer) {
        try (SharedWeightRegressor a = new SharedWeightRegressor(spec(optimizer));
             SharedWeightRegressor b = new SharedWeightRegressor(spec(optimizer))) {
            assertThat(b.exportState()).isEqualTo(a.exportState());
            for (int s = 0; s < 10; s++) {
                ObjectBatch batch = Batches.mixed(M, s);
                a.step(batch, true);
                b.step(batch, true);
            }
            assertThat(b.exportState()).isEqualTo(a.exportState());
        }
    }

    @Test
    void checkpointHoldsOptimizerSlotsAndStepCounters() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec("adam"))) {
            model.step(Batches.random(M, 1, 4), true);
            assertThat(model.variables().keySet()).contains(
                    "dense_0_kernel", "dense_0_kernel-m", "dense_0_kernel-v", "output_bias-v",
                    "beta1_power", "beta2_power");
            // Exact on any CPU: one float32 multiplication, correctly rounded wherever IEEE 754 holds.
            assertThat(model.variables().get("beta1_power")[0]).isEqualTo(0.9f * 0.9f);
        }
    }

    @Test
    void importRollsBackToTheExportedState() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec("adam"))) {
            model.step(Batches.random(M, 1, 4), true);
            byte[] state = model.exportState();
            Map<String, float[]> saved = model.variables();
            model.step(Batches.random(M, 2, 4), true);
            model.step(Batches.random(M, 3, 4), true);
            assertThat(model.version()).isEqualTo(3);

            model.importState(state);

            assertThat(model.version()).isEqualTo(1);
            assertThat(model.variables()).containsExactlyEntriesOf(saved);
            assertThat(model.exportState()).isEqualTo(state);
        }
    }

    @Test
    void differentSeedsStartDifferently() {
        ModelSpec other = ModelSpec.regressor(M, new int[] {8, 5}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 43);
        try (SharedWeightRegressor a = new SharedWeightRegressor(spec("adam"));
             SharedWeightRegressor b = new SharedWeightRegressor(other)) {
            assertThat(b.weights().get("dense_0_kernel")).isNotEqualTo(a.weights().get("dense_0_kernel"));
            assertThat(b.weights().get("dense_1_kernel")).isNotEqualTo(a.weights().get("dense_1_kernel"));
        }
    }

    @Test
    void stateOfAnotherShapeIsRejectedWithTheFingerprints() {
        // A learning rate, unlike the hidden sizes, may change: see SettingsChangeTest.
        ModelSpec other = ModelSpec.regressor(M, new int[] {8, 4}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.02), 42);
        try (SharedWeightRegressor a = new SharedWeightRegressor(spec("adam"));
             SharedWeightRegressor b = new SharedWeightRegressor(other)) {
            byte[] state = a.exportState();
            b.step(Batches.random(M, 1, 3), true);
            byte[] bBefore = b.exportState();

            assertThatThrownBy(() -> b.importState(state))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint")
                    .hasMessageContaining(spec("adam").fingerprint())
                    .hasMessageContaining(other.fingerprint());
            assertThat(b.exportState()).isEqualTo(bBefore);
            assertThat(b.version()).isEqualTo(1);
        }
    }

    @Test
    void corruptOrForeignBytesAreRejected() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec("sgd"))) {
            byte[] state = model.exportState();
            byte[] flipped = state.clone();
            flipped[state.length / 2] ^= 1;
            assertThatThrownBy(() -> model.importState(flipped))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CRC");
            assertThatThrownBy(() -> model.importState("{\"json\":true}".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("magic");
            assertThatThrownBy(() -> model.importState(Arrays.copyOf(state, 20)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void checkpointFollowsTheDocumentedLayout() {
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec("momentum"))) {
            model.step(Batches.random(M, 1, 3), true);
            model.step(Batches.random(M, 2, 3), true);
            byte[] state = model.exportState();
            ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);

            byte[] magic = new byte[4];
            in.get(magic);
            assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("SFCK");
            assertThat(in.getInt()).isEqualTo(1);
            byte[] fingerprint = new byte[in.getInt()];
            in.get(fingerprint);
            assertThat(new String(fingerprint, StandardCharsets.UTF_8))
                    .isEqualTo(spec("momentum").fingerprint());
            assertThat(in.getLong()).isEqualTo(2);
            Map<String, float[]> variables = model.variables();
            assertThat(in.getInt()).isEqualTo(variables.size());
            for (Map.Entry<String, float[]> e : variables.entrySet()) {
                byte[] name = new byte[in.getInt()];
                in.get(name);
                assertThat(new String(name, StandardCharsets.UTF_8)).isEqualTo(e.getKey());
                assertThat(in.getInt()).isEqualTo(1); // DT_FLOAT
                long size = 1;
                for (int d = in.getInt(); d > 0; d--) {
                    size *= in.getLong();
                }
                assertThat(in.getInt()).isEqualTo(4 * size);
                float[] values = new float[(int) size];
                in.asFloatBuffer().get(values);
                in.position(in.position() + 4 * (int) size);
                assertThat(values).as(e.getKey()).containsExactly(e.getValue());
            }
            CRC32 crc = new CRC32();
            crc.update(state, 0, in.position());
            assertThat(in.getInt()).isEqualTo((int) crc.getValue());
            assertThat(in.hasRemaining()).isFalse();
        }
    }
}
