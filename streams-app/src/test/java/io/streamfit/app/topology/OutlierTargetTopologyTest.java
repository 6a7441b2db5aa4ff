package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outlier.targets.*}: a poison target (1e9) is predicted and counted but not trained on, so
 * the model goes on as its twin that never saw it; the scale survives a restart.
 */
class OutlierTargetTopologyTest {

    private static final int M = 3;
    private static final int K = 3;
    private static final int RECORDS = 600;
    private static final int POISON_AT = 300;
    private static final double POISON = 1e9;

    @TempDir
    Path stateDir;

    private static Timestep record(Random rnd, long t, boolean poison, Double sum) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < K; i++) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            double y = poison && i == 1 ? POISON : x[0] - 2 * x[1] + 0.5 * x[2] + 0.05 * rnd.nextGaussian();
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), y, null));
        }
        return new Timestep("s", t, objs, sum == null ? null : new double[] {sum});
    }

    /** The outcome of one run: its predictions' squared error over the last 100 records, and its counters. */
    private record Run(double lateMse, double skippedOutliers, ObjectPrediction poisoned, List<ModelCheckpoint> cps) {
    }

    private Run run(String name, boolean poison, Map<String, String> extra) {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness h = TopologyHarness.start(TestConfigs.regressor(M).app(name)
                .stateDir(stateDir.resolve(name)).with("model.hidden", 8).with("optimizer.learning.rate", 0.01)
                .withAll(extra).toMap(), metrics)) {
            Random rnd = new Random(11);
            double sq = 0;
            int n = 0;
            ObjectPrediction poisoned = null;
            for (int t = 0; t < RECORDS; t++) {
                h.send(record(rnd, t, poison && t == POISON_AT, null));
                for (ObjectPrediction p : h.objects().readValuesToList()) {
                    if (p.getTarget() != null && p.getTarget() == POISON) {
                        poisoned = p;
                    } else if (t >= RECORDS - 100) {
                        double e = p.getPrediction() - p.getTarget();
                        sq += e * e;
                        n++;
                    }
                }
                h.sums().readValuesToList();
            }
            double skipped = metrics.registry().get("streamfit.skipped.updates").tag("reason",
                    StreamfitMetrics.SKIP_OUTLIER_TARGET).counter().count();
            return new Run(sq / n, skipped, poisoned, List.of(h.<ModelCheckpoint>storeValue(Names.MODEL_STORE, "s")));
        }
    }

    @Test
    void aPoisonTargetIsPredictedCountedAndNotTrainedOnSoTheModelStaysWithItsTwin() {
        Run twin = run("twin", false, Map.of());
        Run poisoned = run("poisoned", true, Map.of());
        // The control: the same record with the rule and the clip off wrecks the model, so the
        // comparison above can fail.
        Run unprotected = run("unprotected", true, Map.of("outlier.targets.threshold", "0",
                "optimizer.clip.norm", "0"));

        assertThat(poisoned.poisoned()).as("the poisoned object still gets its prediction").isNotNull();
        assertThat(Double.isFinite(poisoned.poisoned().getPrediction())).isTrue();
        assertThat(poisoned.skippedOutliers()).isEqualTo(1.0);
        assertThat(twin.skippedOutliers()).isZero();
        assertThat(poisoned.lateMse()).isLessThan(twin.lateMse() * 1.5 + 1e-3);
        assertThat(unprotected.lateMse()).isGreaterThan(poisoned.lateMse() * 10);
        assertThat(poisoned.cps().get(0).getLearning()).as("the scale is in the checkpoint").isNotNull();
        assertThat(poisoned.cps().get(0).getLearning().getObjectTargets().getValues()).doesNotContain(POISON);
    }

    /**
     * A task that restarts from its stores (as from the changelogs after a crash) predicts bit for
     * bit as one that never stopped: the restored scale rejects a poison target that an empty one,
     * still warming up, would have trained on.
     */
    @Test
    void theScaleSurvivesARestartBitForBit() {
        Map<String, String> props = TestConfigs.regressor(M).app("restart").with("model.hidden", 8)
                .with("optimizer.learning.rate", 0.01).toMap();
        List<Double> uninterrupted = new ArrayList<>();
        List<Double> restarted = new ArrayList<>();
        Map<String, String> one = new java.util.HashMap<>(props);
        one.put("state.dir", stateDir.resolve("one").toString());
        try (TopologyHarness h = TopologyHarness.start(one)) {
            Random rnd = new Random(21);
            for (int t = 0; t < 200; t++) {
                h.send(record(rnd, t, t == 110, null));
                h.objects().readValuesToList().forEach(p -> uninterrupted.add(p.getPrediction()));
            }
        }
        Map<String, String> two = new java.util.HashMap<>(props);
        two.put("state.dir", stateDir.resolve("two").toString());
        Random rnd = new Random(21);
        ModelCheckpoint saved;
        try (TopologyHarness h = TopologyHarness.start(two)) {
            for (int t = 0; t < 100; t++) {
                h.send(record(rnd, t, false, null));
                h.objects().readValuesToList().forEach(p -> restarted.add(p.getPrediction()));
            }
            saved = h.storeValue(Names.MODEL_STORE, "s");
        }
        two.put("state.dir", stateDir.resolve("three").toString());
        try (TopologyHarness h = TopologyHarness.start(two)) {
            h.<ModelCheckpoint>store(Names.MODEL_STORE).put("s", saved);
            for (int t = 100; t < 200; t++) {
                h.send(record(rnd, t, t == 110, null));
                h.objects().readValuesToList().forEach(p -> restarted.add(p.getPrediction()));
            }
        }
        assertThat(restarted).hasSize(200 * K).containsExactlyElementsOf(uninterrupted);
    }

    @Test
    void aPoisonSumTargetIsMaskedAndTheObjectsStillTrain() {
        StreamfitMetrics metrics = new StreamfitMetrics(new SimpleMeterRegistry());
        try (TopologyHarness h = TopologyHarness.start(TestConfigs.regressor(M).app("sum")
                .stateDir(stateDir.resolve("sum")).toMap(), metrics)) {
            Random rnd = new Random(5);
            for (int t = 0; t < 100; t++) {
                h.send(record(rnd, t, false, t == 60 ? -1e12 : 1.0 + 0.1 * rnd.nextGaussian()));
            }
            List<SumPrediction> sums = h.sums().readValuesToList();
            assertThat(sums).hasSize(100);
            assertThat(sums.get(60).getSumTarget()).isEqualTo(-1e12);
            assertThat(metrics.registry().get("streamfit.skipped.updates").tag("reason",
                    StreamfitMetrics.SKIP_OUTLIER_TARGET).counter().count()).isEqualTo(1.0);
        }
    }
}
