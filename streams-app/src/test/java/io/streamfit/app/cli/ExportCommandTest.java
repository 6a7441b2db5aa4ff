package io.streamfit.app.cli;

import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.avro.ModelCheckpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.BatchItem;
import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.model.InputScaling;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The export command's checks that need no broker (the round trip is ExportIT), and its feature scaling. */
class ExportCommandTest {

    @Test
    void changelogTopicIsTheModelStoresOfTheApplication() {
        assertThat(ExportCommand.changelogTopic("app-7")).isEqualTo("app-7-model-store-changelog");
    }

    @Test
    void refusesANonEmptyOutputDirectoryBeforeContactingKafka(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("keep.txt"), "precious");
        // Port 1: nothing listens there, so reaching Kafka would fail differently (and slowly).
        StreamfitConfig cfg = new StreamfitConfig(Map.of("model.features", "4", "bootstrap.servers", "127.0.0.1:1"));
        assertThatThrownBy(() -> ExportCommand.export(cfg, "global", dir, Duration.ofSeconds(1)))
                .isInstanceOf(ExportCommand.ExportException.class).hasMessageContaining("not empty");
        assertThat(Files.readString(dir.resolve("keep.txt"))).isEqualTo("precious");
    }

    /** A checkpoint of model 'k' after a few steps under {@code cfg}'s settings. */
    private static ModelCheckpoint trained(StreamfitConfig cfg) {
        try (OnlineModel model = cfg.kind().create()) {
            ObjectBatch batch = model.newBatch();
            for (int t = 0; t < 3; t++) {
                batch.beginTimestep();
                batch.addDense(new float[] {t, 1, 2, 3}, 0, true, 0.5f);
                batch.endTimestep();
            }
            model.step(batch, true);
            return ModelCheckpoints.of("k", cfg.modelSpec(), model, Map.of(), Map.of(), 3, 0);
        }
    }

    @Test
    void aCheckpointTrainedUnderOtherTrainingSettingsExportsAndOneOfAnotherShapeIsRefused(@TempDir Path dir)
            throws Exception {
        ModelCheckpoint cp = trained(new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "5")));
        StreamfitConfig otherTraining = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "5",
                "optimizer", "sgd", "optimizer.learning.rate", "0.5", "loss.weight", "1", "model.seed", "3"));
        assertThat(ExportCommand.export(otherTraining, "k", cp, dir.resolve("saved")).version()).isEqualTo(1);
        assertThat(dir.resolve("saved").resolve("saved_model.pb")).exists();

        StreamfitConfig otherShape = new StreamfitConfig(Map.of("model.features", "4", "model.hidden", "6"));
        assertThatThrownBy(() -> ExportCommand.export(otherShape, "k", cp, dir.resolve("refused")))
                .isInstanceOf(ExportCommand.ExportException.class).hasMessage("model 'k' was trained with "
                        + "model.hidden=5 but the configuration says model.hidden=6 (settings that shape the weights); "
                        + "export with the configuration the service runs with");
    }

    @Test
    void missingOptionsAreAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new StreamfitCli()).setErr(new PrintWriter(err)).execute("export", "--model", "x");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--config").contains("--out");
    }

    @Test
    void anExportThatCannotBeMadeIsOneLineAndExit2(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("taken");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "precious");
        Path config = dir.resolve("app.properties");
        Files.writeString(config, "bootstrap.servers=127.0.0.1:1\nmodel.features=4\n");
        StringWriter err = new StringWriter();
        int code = StreamfitCli.commandLine().setErr(new PrintWriter(err))
                .execute("export", "--config", config.toString(), "--model", "x", "--out", out.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1).first().asString()
                .startsWith("streamfit export: output directory " + out + " is not empty");
    }

    private static final int M = 6;
    private static final int C = 3;

    private static ConfiguredKind classifier(String scaling) {
        return TestConfigs.classifier(M, C).with("model.hidden", "").with("optimizer.learning.rate", 0.05)
                .with("features.scaling", scaling).toConfig().kind();
    }

    record Item(String series, Timestep timestep, long timestamp) implements BatchItem {
    }

    /** Records of two objects with pixel-like features 0..16, labelled by which of the first three is brightest. */
    private static List<Item> records(Random rnd, int n, long first, boolean labelled) {
        List<Item> out = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            List<Timestep.ObjectInput> objects = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                float[] x = new float[M];
                for (int j = 0; j < M; j++) {
                    x[j] = rnd.nextInt(17);
                }
                int label = x[0] >= x[1] && x[0] >= x[2] ? 0 : x[1] >= x[2] ? 1 : 2;
                objects.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), null, labelled ? label : null));
            }
            out.add(new Item("s", new Timestep("s", first + t, objects, null), t));
        }
        return out;
    }

    private static ModelCheckpoint checkpoint(OnlineModel model, ModelExtras extras) {
        ModelCheckpoint.Builder cp = ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("global")
                .setSpecFingerprint(model.spec().fingerprint()).setModelVersion(model.version())
                .setModelState(ByteBuffer.wrap(model.exportState())).setMetrics(Map.of())
                .setLastTimesteps(Map.of()).setRecords(1).setUpdatedAtMs(1);
        extras.save(cp);
        return cp.build();
    }

    /**
     * With features.scaling=standard the exported graph takes raw features: fed a record's raw
     * pixels, it gives the probabilities the service gave for that record (the checkpoint taken
     * after it, whose moments include it, as the service's prediction did).
     */
    @Test
    void aScaledModelsExportTakesRawFeaturesAndPredictsAsTheService(@TempDir Path dir) throws Exception {
        ConfiguredKind kind = classifier("standard");
        Random rnd = new Random(3);
        float[] expected;
        float[] raw = new float[2 * M];
        ModelCheckpoint cp;
        try (OnlineModel model = kind.create()) {
            ModelExtras extras = kind.newExtras();
            BatchLogic logic = kind.batchLogic(null);
            ObjectBatch batch = model.newBatch();
            List<Item> history = records(rnd, 200, 1, true);
            for (int from = 0; from < history.size(); from += 4) {
                batch.clear();
                logic.assemble(batch, history.subList(from, from + 4), extras);
                model.step(batch, true);
            }
            List<Item> probe = records(rnd, 1, 201, false);
            batch.clear();
            logic.assemble(batch, probe, extras);
            expected = model.step(batch, false).probabilities();
            for (int i = 0; i < 2; i++) {
                System.arraycopy(((FeatureVector.Dense) probe.get(0).timestep().objects().get(i).features()).values(), 0,
                        raw, i * M, M);
            }
            cp = checkpoint(model, extras);
        }
        InputScaling scaling = ExportCommand.inputScaling(kind, cp);
        assertThat(scaling).isNotNull();
        assertThat(scaling.mean()[0]).isBetween(7.0, 9.0);
        Path out = dir.resolve("saved");
        try (OnlineModel exported = kind.create()) {
            ByteBuffer state = cp.getModelState().duplicate();
            byte[] bytes = new byte[state.remaining()];
            state.get(bytes);
            exported.importState(bytes);
            exported.exportSavedModel(out, scaling);
        }
        float[] actual = new float[2 * C];
        try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve");
             TFloat32 x = TFloat32.tensorOf(Shape.of(2, M), DataBuffers.of(raw, true, false));
             Result r = bundle.function("serve").call(Map.<String, Tensor>of("features", x))) {
            ((TFloat32) r.get("probabilities").orElseThrow()).asRawTensor().data().asFloats().read(actual);
        }
        for (int k = 0; k < actual.length; k++) {
            assertThat((double) actual[k]).as("probability %d", k).isCloseTo(expected[k], within(1e-5));
        }
        // The classes are told apart: a uniform answer would pass the comparison trivially.
        assertThat(expected[0]).isNotCloseTo(expected[1], within(0.05f));
    }

    @Test
    void theExportsScalingMustAgreeWithHowTheModelWasTrained() throws Exception {
        ConfiguredKind scaled = classifier("standard");
        ConfiguredKind plain = classifier("none");
        ModelCheckpoint scaledCp;
        ModelCheckpoint plainCp;
        try (OnlineModel model = scaled.create()) {
            ModelExtras extras = scaled.newExtras();
            ObjectBatch batch = model.newBatch();
            scaled.batchLogic(null).assemble(batch, records(new Random(1), 3, 1, true), extras);
            scaledCp = checkpoint(model, extras);
            plainCp = checkpoint(model, ModelExtras.NONE);
        }
        assertThat(ExportCommand.inputScaling(plain, plainCp)).isNull();
        assertThatThrownBy(() -> ExportCommand.inputScaling(plain, scaledCp))
                .isInstanceOf(ExportCommand.ExportException.class).hasMessageContaining("trained on standardized features")
                .hasMessageContaining("features.scaling=none");
        assertThatThrownBy(() -> ExportCommand.inputScaling(scaled, plainCp))
                .isInstanceOf(ExportCommand.ExportException.class).hasMessageContaining("trained on raw features")
                .hasMessageContaining("features.scaling=standard");
    }
}
