package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code output.objects} (design.md, "Output layout"): the same stream run twice, once per layout,
 * gives the same predictions object for object; per timestep they come as one record per input
 * timestep, in the input's object order, and the sums are the same records in both layouts. Each
 * kind that writes object predictions, micro-batches of several series, delayed labels (predicted
 * at feature time, never again) and a challenger that takes over the outputs.
 */
class ObjectLayoutTopologyTest {

    private static final int M = 3;
    private static final long T0 = 1_000_000;

    @TempDir
    Path dir;

    /** What both layouts emitted, object by object and sum by sum, and the per-timestep records. */
    record Run(List<String> objects, List<String> sums, List<TimestepPredictions> timesteps, int records) {
    }

    private Run run(String name, TestConfigs.Builder config, String layout, Consumer<TopologyHarness> input) {
        Map<String, String> props = config.app("layout-" + name).stateDir(dir.resolve(name + "-" + layout))
                .with("output.objects", layout).toMap();
        try (TopologyHarness h = TopologyHarness.start(props)) {
            input.accept(h);
            List<String> sums = h.sums().readValuesToList().stream().map(ObjectLayoutTopologyTest::line).toList();
            String topic = h.config().getString(StreamfitConfig.TOPIC_OBJECT_PREDICTIONS);
            if (layout.equals("per-object")) {
                List<ObjectPrediction> objects = h.objects().readValuesToList();
                return new Run(objects.stream().map(ObjectLayoutTopologyTest::line).toList(), sums, List.of(),
                        objects.size());
            }
            List<TimestepPredictions> records = h.output(topic, new StringDeserializer(),
                    StreamfitSerdes.timestepPredictions()).readValuesToList();
            List<String> objects = new ArrayList<>();
            for (TimestepPredictions r : records) {
                for (PredictedObject o : r.getObjects()) {
                    objects.add(line(r, o));
                }
            }
            return new Run(objects, sums, records, records.size());
        }
    }

    /** Runs both layouts and checks they agree; returns the per-timestep run. */
    private Run bothLayoutsAgree(String name, TestConfigs.Builder config, Consumer<TopologyHarness> input) {
        Run perObject = run(name, config, "per-object", input);
        Run perTimestep = run(name, config, "per-timestep", input);
        assertThat(perObject.objects()).isNotEmpty();
        assertThat(perTimestep.objects()).containsExactlyElementsOf(perObject.objects());
        assertThat(perTimestep.sums()).containsExactlyElementsOf(perObject.sums());
        // One record per (series, timestep): never a timestep split over two records.
        assertThat(perTimestep.timesteps().stream().map(r -> r.getSeries() + "@" + r.getTimestep()).distinct())
                .hasSize(perTimestep.timesteps().size());
        assertThat(perTimestep.records()).isLessThan(perObject.records());
        return perTimestep;
    }

    private static String line(ObjectPrediction p) {
        return p.getSeries() + "@" + p.getTimestep() + "/" + p.getObject() + " " + p.getPrediction() + " "
                + p.getTarget() + " v" + p.getModelVersion() + " " + p.getVariant() + " g" + p.getGeneration() + " "
                + p.getProbabilities() + " " + p.getPredictedClass();
    }

    private static String line(TimestepPredictions r, PredictedObject o) {
        return r.getSeries() + "@" + r.getTimestep() + "/" + o.getId() + " " + o.getPrediction() + " "
                + o.getTarget() + " v" + r.getModelVersion() + " " + r.getVariant() + " g" + r.getGeneration() + " "
                + o.getProbabilities() + " " + o.getPredictedClass();
    }

    private static String line(SumPrediction s) {
        return s.toString();
    }

    /** {@code k} objects (1 to 4), some without a target, of timestep {@code t} of {@code series}. */
    private static Timestep timestep(String series, long t, boolean targets) {
        Random rnd = new Random(series.hashCode() * 31L + t);
        int k = 1 + (int) (t % 4);
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            float[] x = {(float) rnd.nextGaussian(), (float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
            Double target = targets && (t + i) % 5 != 0 ? (double) (x[0] - 2 * x[1] + 0.5f * x[2]) : null;
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), target, null));
        }
        return new Timestep(series, t, objs, null);
    }

    private static Timestep labelled(String series, long t) {
        Random rnd = new Random(series.hashCode() * 17L + t);
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            float[] x = {(float) rnd.nextGaussian(), (float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), null, x[0] > x[1] ? 1 : 0));
        }
        return new Timestep(series, t, objs, null);
    }

    @Test
    void regressorMicroBatchesOfSeveralSeriesGiveTheSamePredictionsInOneRecordPerTimestep() {
        TestConfigs.Builder config = TestConfigs.regressor(M).with("model.hidden", 4).with("batch.timesteps", 4)
                .with("batch.max.wait.ms", 60_000);
        Run run = bothLayoutsAgree("regressor", config, h -> {
            for (long t = 0; t < 24; t++) {
                for (String s : List.of("a", "b")) {
                    h.send(s, timestep(s, t, true), T0 + t);
                }
            }
        });
        assertThat(run.timesteps()).hasSize(48);
        TimestepPredictions r = run.timesteps().stream()
                .filter(p -> p.getSeries().equals("b") && p.getTimestep() == 7).findFirst().orElseThrow();
        assertThat(r.getObjects()).extracting(PredictedObject::getId).containsExactly("o0", "o1", "o2", "o3");
        assertThat(r.getModelVersion()).isEqualTo(1);
        // Timestep 7 of b: object 3 has no target ((7 + 3) % 5 == 0), the others do.
        assertThat(r.getObjects()).extracting(PredictedObject::getTarget).containsNull().hasSize(4);
        assertThat(r.getObjects().get(0).getTarget()).isNotNull();
    }

    @Test
    void classifierObjectsCarryTheirProbabilitiesAndPredictedClassPerTimestep() {
        TestConfigs.Builder config = TestConfigs.classifier(M, 2).with("model.hidden", 4).with("batch.timesteps", 2)
                .with("batch.max.wait.ms", 60_000);
        Run run = bothLayoutsAgree("classifier", config, h -> {
            for (long t = 0; t < 10; t++) {
                h.send("s", labelled("s", t), T0 + t);
            }
        });
        assertThat(run.timesteps()).hasSize(10).allSatisfy(r -> assertThat(r.getObjects()).hasSize(3)
                .allSatisfy(o -> {
                    assertThat(o.getProbabilities()).hasSize(2);
                    assertThat(o.getPredictedClass()).isIn(0, 1);
                }));
    }

    @Test
    void lstmRegressorWindowsGiveTheSamePredictionsPerTimestep() {
        TestConfigs.Builder config = TestConfigs.sequence("lstm-regressor", M, 3).with("model.hidden", 4);
        Run run = bothLayoutsAgree("lstm", config, h -> {
            for (long t = 0; t < 12; t++) {
                h.send("s", timestep("s", t, true), T0 + t);
            }
        });
        assertThat(run.timesteps()).isNotEmpty();
    }

    @Test
    void delayedLabelsArePredictedOnceAtFeatureTimeInBothLayouts() {
        TestConfigs.Builder config = TestConfigs.regressor(M).with("model.hidden", 4).with("batch.timesteps", 1);
        Run run = bothLayoutsAgree("labels", config, h -> {
            for (long t = 0; t < 6; t++) {
                h.send("s", timestep("s", t, false), T0 + t);
            }
            for (long t = 0; t < 6; t++) {
                Timestep ts = timestep("s", t, true);
                List<Labels.ObjectLabel> labels = new ArrayList<>();
                ts.objects().stream().filter(o -> o.target() != null)
                        .forEach(o -> labels.add(new Labels.ObjectLabel(o.id(), o.target(), null)));
                h.sendLabels("s", new Labels("s", t, labels, null), T0 + 100 + t);
            }
            // Features after the labels trained the model: predicted by a later version.
            h.send("s", timestep("s", 6, false), T0 + 200);
        });
        assertThat(run.timesteps()).extracting(TimestepPredictions::getTimestep)
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(run.timesteps().get(6).getModelVersion()).isPositive();
    }

    @Test
    void aPromotedChallengersPredictionsLeaveUnderItsNameInBothLayouts() {
        TestConfigs.Builder config = TestConfigs.regressor(M).with("model.hidden", 4).with("batch.timesteps", 1)
                .with("optimizer.learning.rate", 1e-5).with("challengers", "fast")
                .with("challenger.fast.optimizer.learning.rate", 0.03).with("challenger.promote.after", 60)
                .with("metrics.window", 30);
        Run run = bothLayoutsAgree("race", config, h -> {
            for (long t = 0; t < 300; t++) {
                h.send("s", timestep("s", t, true), T0 + t);
            }
        });
        assertThat(run.timesteps()).hasSize(300);
        assertThat(run.timesteps()).anyMatch(r -> r.getVariant().equals("fast") && r.getGeneration() > 0);
        assertThat(run.timesteps().get(0).getVariant()).isEqualTo("champion");
    }

    @Test
    void theSequenceAutoencoderRefusesPerTimestepAtStartWithOneLine() {
        Map<String, String> props = TestConfigs.sequence("seq-autoencoder", M, 3).with("output.objects", "per-timestep")
                .toMap();
        assertThatThrownBy(() -> new StreamfitConfig(props)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("output.objects").hasMessageContaining("seq-autoencoder")
                .hasMessageContaining("per-object").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> new StreamfitConfig(TestConfigs.regressor(M).with("output.objects", "per-record")
                .toMap())).isInstanceOf(ConfigException.class).hasMessageContaining("per-timestep");
    }
}
