package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.LearningExtras;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outlier.targets.*} on {@code lstm-regressor}: a poison target (1e9) in an object's window
 * batch is predicted and counted but not trained on, so the model goes on as its twin that never
 * saw it; the scale is in the checkpoint and survives a restart.
 */
class LstmOutlierTargetTopologyTest {

    private static final int M = 2;
    private static final int W = 3;
    private static final List<String> IDS = List.of("a", "b");
    private static final int RECORDS = 300;
    private static final int POISON_AT = 150;
    /** The clean timesteps after the poison whose prequential error is compared. */
    private static final int SCORED = 100;
    private static final double POISON = 1e9;

    @TempDir
    Path stateDir;

    private static TestConfigs.Builder config(String app, Map<String, String> extra) {
        return TestConfigs.sequence("lstm-regressor", M, W).app(app).with("model.hidden", 8)
                .with("optimizer.learning.rate", 0.05).withAll(extra);
    }

    /** Timestep {@code t}: objects a and b, target x0 + 2 x1 + noise, b's target {@code POISON} when asked. */
    private static Timestep record(Random rnd, long t, boolean poison) {
        return record(rnd, t, poison, null);
    }

    private static Timestep record(Random rnd, long t, boolean poison, Double sumTarget) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (String id : IDS) {
            float[] x = {(float) rnd.nextGaussian(), (float) rnd.nextGaussian()};
            // The noise is drawn either way, so the twin streams differ in this one target only.
            double y = x[0] + 2 * x[1] + 0.05 * rnd.nextGaussian();
            if (poison && id.equals("b")) {
                y = POISON;
            }
            objs.add(new Timestep.ObjectInput(id, new FeatureVector.Dense(x), y, null));
        }
        return new Timestep("s", t, objs, sumTarget == null ? null : new double[] {sumTarget});
    }

    private static double skipped(StreamfitMetrics metrics) {
        return metrics.registry().get("streamfit.skipped.updates").tag("reason", StreamfitMetrics.SKIP_OUTLIER_TARGET)
                .counter().count();
    }

    /** One run: the prequential squared error over the last {@link #SCORED} timesteps, the counter, the checkpoint. */
    private record Run(double lateMse, double skippedOutliers, ObjectPrediction poisoned, ModelCheckpoint checkpoint) {
    }

    private Run run(String name, boolean poison, Map<String, String> extra) {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness h = TopologyHarness.start(config(name, extra).stateDir(stateDir.resolve(name)).toMap(),
                metrics)) {
            Random rnd = new Random(17);
            double sq = 0;
            int n = 0;
            ObjectPrediction poisoned = null;
            for (int t = 0; t < RECORDS; t++) {
                h.send(record(rnd, t, poison && t == POISON_AT));
                for (ObjectPrediction p : h.objects().readValuesToList()) {
                    if (p.getTarget() == POISON) {
                        poisoned = p;
                    } else if (t >= RECORDS - SCORED) {
                        double e = p.getPrediction() - p.getTarget();
                        sq += e * e;
                        n++;
                    }
                }
                h.sums().readValuesToList();
            }
            assertThat(n).isEqualTo(SCORED * IDS.size());
            return new Run(sq / n, skipped(metrics), poisoned, h.storeValue(Names.MODEL_STORE, "s"));
        }
    }

    @Test
    void aPoisonTargetIsPredictedCountedAndNotTrainedOnSoTheModelStaysWithItsTwin() {
        Run twin = run("twin", false, Map.of());
        Run poisoned = run("poisoned", true, Map.of());
        // The control: the same record with the rule and the clip off wrecks the model, so the
        // comparison with the twin can fail.
        Run unprotected = run("unprotected", true, Map.of("outlier.targets.threshold", "0",
                "optimizer.clip.norm", "0"));

        assertThat(poisoned.poisoned()).as("the poisoned object still gets its prediction").isNotNull();
        assertThat(Double.isFinite(poisoned.poisoned().getPrediction())).isTrue();
        assertThat(poisoned.skippedOutliers()).isEqualTo(1.0);
        assertThat(twin.skippedOutliers()).isZero();
        assertThat(unprotected.skippedOutliers()).isZero();
        assertThat(poisoned.lateMse()).isLessThan(twin.lateMse() * 1.5 + 1e-3);
        assertThat(unprotected.lateMse()).isGreaterThan(poisoned.lateMse() * 10);
        assertThat(poisoned.checkpoint().getLearning()).as("the scale is in the checkpoint").isNotNull();
        assertThat(poisoned.checkpoint().getLearning().getObjectTargets().getValues()).isNotEmpty()
                .doesNotContain(POISON);
        assertThat(unprotected.checkpoint().getLearning()).as("no scale with the rule off").isNull();
    }

    /**
     * The harness closed and reopened on the same state directory, as a restarted service. The
     * test driver wipes its state directory on close, so the new one is given what the changelogs
     * give a new owner of the task: the model store and the window store. The restored scale
     * refuses the next poison target, which a fresh one, still warming up, would have trained on.
     */
    @Test
    void theScaleSurvivesARestart() {
        Map<String, String> props = config("restart", Map.of()).stateDir(stateDir.resolve("restart")).toMap();
        Random rnd = new Random(23);
        int t = 0;
        Map<String, ModelCheckpoint> models = new HashMap<>();
        Map<String, byte[]> windows = new HashMap<>();
        try (TopologyHarness h = TopologyHarness.start(props)) {
            for (; t < 60; t++) {
                h.send(record(rnd, t, false));
            }
            h.<ModelCheckpoint>store(Names.MODEL_STORE).all().forEachRemaining(kv -> models.put(kv.key, kv.value));
            h.<byte[]>store(Names.WINDOW_STORE).all().forEachRemaining(kv -> windows.put(kv.key, kv.value));
        }
        ModelCheckpoint before = models.get("s");
        assertThat(before.getLearning()).as("the scale is in the checkpoint").isNotNull();
        int accepted = before.getLearning().getObjectTargets().getValues().size();
        // Every target of a full window so far (both objects from timestep W - 1 on): past the warm-up.
        assertThat(accepted).isEqualTo(IDS.size() * (60 - W + 1))
                .isGreaterThan(LearningExtras.OutlierRule.WARMUP_DEFAULT);

        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness h = TopologyHarness.start(props, metrics)) {
            models.forEach(h.<ModelCheckpoint>store(Names.MODEL_STORE)::put);
            windows.forEach(h.<byte[]>store(Names.WINDOW_STORE)::put);
            h.send(record(rnd, t++, true));
            h.send(record(rnd, t, false));
            assertThat(h.objects().readValuesToList()).as("both objects predicted at both timesteps").hasSize(4);
            assertThat(skipped(metrics)).as("the poison target is refused by the restored scale").isEqualTo(1.0);
            ModelCheckpoint after = h.storeValue(Names.MODEL_STORE, "s");
            assertThat(after.getLearning().getObjectTargets().getValues()).doesNotContain(POISON)
                    .hasSize(accepted + 3);
        }
    }

    @Test
    void aPoisonSumTargetIsMaskedAndTheObjectsStillTrain() {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        int records = 60;
        int poisonAt = 50;
        try (TopologyHarness h = TopologyHarness.start(config("sum", Map.of()).stateDir(stateDir.resolve("sum"))
                .toMap(), metrics)) {
            Random rnd = new Random(5);
            for (int t = 0; t < records; t++) {
                h.send(record(rnd, t, false, t == poisonAt ? -1e12 : 1.0 + 0.1 * rnd.nextGaussian()));
            }
            List<SumPrediction> sums = h.sums().readValuesToList();
            assertThat(sums).hasSize(records - W + 1);
            SumPrediction poisoned = sums.get(poisonAt - W + 1);
            assertThat(poisoned.getSumTarget()).as("shown as the record gave it").isEqualTo(-1e12);
            assertThat(sums.get(poisonAt - W + 2).getModelVersion()).as("its objects still trained")
                    .isEqualTo(poisoned.getModelVersion() + 1);
            assertThat(skipped(metrics)).isEqualTo(1.0);
            var scale = h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, "s").getLearning().getSumTargets();
            assertThat(scale.getValues()).hasSize(records - W + 1 - 1).doesNotContain(-1e12 / IDS.size());
        }
    }

    @Test
    void theOutlierKeysApplyToLstmRegressorAndStillToNoOtherSequenceKind() {
        StreamfitConfig lstm = config("keys", Map.of("outlier.targets.threshold", "5",
                "outlier.targets.window", "64", "outlier.targets.warmup", "16")).toConfig();
        assertThat(lstm.kind().newExtras()).isInstanceOf(LearningExtras.class);
        assertThatThrownBy(() -> config("keys", Map.of("outlier.targets.warmup", "100",
                "outlier.targets.window", "64")).toConfig())
                .isInstanceOf(ConfigException.class).hasMessageContaining("outlier.targets.warmup");
        assertThatThrownBy(() -> TestConfigs.sequence("seq-autoencoder", M, W).app("keys")
                .with("outlier.targets.threshold", "5").toConfig())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("only model.kind regressor or lstm-regressor takes outlier.targets.threshold");
    }
}
