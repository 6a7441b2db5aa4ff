package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;
import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model that diverges (plain SGD at a learning rate far too high) rolls back, lowers its
 * learning rate and goes on learning; no output ever holds a non-finite number.
 */
class DivergenceRecoveryTopologyTest {

    private static final int M = 8;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    /** Four objects of m = 8 with a linear target and large features: a stream that makes a fast optimizer diverge. */
    static Timestep record(Random rnd, long t) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) (3 * rnd.nextGaussian());
            }
            double y = x[0] - 2 * x[1] + 0.5 * x[2] + 1;
            sum += y;
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), y, null));
        }
        return new Timestep("s", t, objs, new double[] {sum});
    }

    private static int formatVersion(ModelCheckpoint cp) {
        return cp.getModelState().duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    /**
     * SGD far above its stable step size, with a steep lowering so that the test stays short. The
     * default clip and the normalised sum term keep the model from diverging at all; without them
     * it does, which is what recovery is for.
     */
    @Test
    void aDivergingModelRollsBackLowersItsLearningRateAndKeepsEveryOutputFinite() {
        check(unguarded().with("model.hidden", 32).with("optimizer", "sgd")
                .with("optimizer.learning.rate", 0.2).with("divergence.lr.factor", 0.5)
                .with("divergence.lr.min.scale", 1e-3).with("divergence.loss.window", 5), 1e-3, false);
    }

    /**
     * The finding (neuron-mean-momentum, lr 0.01, 32 hidden, m = 8) as it was reported, without
     * the clip and the normalised sum term that now prevent it, and with the default recovery.
     */
    @Test
    void theReportedNeuronMeanMomentumModelRecoversWithTheDefaultRecovery() {
        check(unguarded().with("model.hidden", 32).with("optimizer", "neuron-mean-momentum")
                .with("optimizer.learning.rate", 0.01), 0.01, true);
    }

    /** The training of versions before the default clip and the normalised sum term. */
    private static TestConfigs.Builder unguarded() {
        return TestConfigs.regressor(M).with("optimizer.clip.norm", 0).with("loss.sum.normalization", "none");
    }

    private void check(TestConfigs.Builder config, double minScale, boolean converges) {
        topology = TopologyHarness.start(config.app("divergence-test").stateDir(stateDir).toMap());
        Random rnd = new Random(3);
        int n = 400;
        for (int t = 1; t <= n; t++) {
            topology.send(record(rnd, t));
        }

        // Read as written, so that a JSON "Infinity" or "NaN" would be seen as such.
        List<String> rawObjects = topology.output(topology.config().topics().objectPredictions().name(),
                new StringDeserializer(), new StringDeserializer()).readValuesToList();
        assertThat(rawObjects).hasSize(4 * n).noneMatch(v -> v.contains("Infinity") || v.contains("NaN"));
        List<String> rawSums = topology.output(topology.config().topics().sumPredictions().name(),
                new StringDeserializer(), new StringDeserializer()).readValuesToList();
        assertThat(rawSums).hasSize(n).noneMatch(v -> v.contains("Infinity") || v.contains("NaN"));

        var objectTopic = topology.config().topics().objectPredictions();
        List<ObjectPrediction> objects = rawObjects.stream().map(v -> objectTopic.valueSerde().deserializer()
                .deserialize(objectTopic.name(), v.getBytes(java.nio.charset.StandardCharsets.UTF_8))).toList();
        assertThat(objects).allSatisfy(p -> assertThat(p.getPrediction()).isFinite());
        assertThat(topology.deadLetters().readRecordsToList()).isEmpty();
        List<Long> versions = objects.stream().map(ObjectPrediction::getModelVersion).toList();
        assertThat(versions).isSorted();

        StreamfitMetrics metrics = topology.metrics();
        assertThat(metrics.rollbacksTotal()).isPositive();
        ModelInfo info = metrics.model("s");
        assertThat(info.rollbacks()).isEqualTo(metrics.rollbacksTotal());
        assertThat(info.learningRateScale()).isLessThan(1.0).isGreaterThanOrEqualTo(minScale);

        // Every rollback is a diverged event on model-events (design.md, Model lifecycle).
        List<io.streamfit.schemas.avro.ModelEvent> events = topology.events().readValuesToList();
        assertThat(events).hasSize((int) metrics.rollbacksTotal()).allSatisfy(e -> {
            assertThat(e.getEvent()).isEqualTo("diverged");
            assertThat(e.getReason()).isEqualTo("divergence");
            assertThat(e.getModel()).isEqualTo("s");
            assertThat(e.getFromVersion()).isNotNull();
            assertThat(e.getToVersion()).isNotNull();
        });
        assertThat(metrics.modelEventsTotal("diverged")).isEqualTo(metrics.rollbacksTotal());

        ModelCheckpoint cp = topology.storeValue(Names.MODEL_STORE, "s");
        assertThat(formatVersion(cp)).as("a scaled model's checkpoint format").isEqualTo(2);
        assertThat(cp.getMetrics()).containsEntry(Checkpointer.ROLLBACKS, (double) info.rollbacks());

        // It learns again: the error of the last stretch is finite and below that of the stretch
        // around the blow-up; where it converges, well below that of predicting the targets' mean.
        double early = mse(objects, 4 * 10, 4 * 60);
        double late = mse(objects, 4 * (n - 50), 4 * n);
        assertThat(late).isFinite().isLessThan(early);
        if (converges) {
            assertThat(late).isLessThan(0.25 * variance(objects, 4 * (n - 50), 4 * n));
        }
    }

    @Test
    void aModelThatNeverDivergesKeepsTheVersionOneCheckpoint() {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("divergence-test").stateDir(stateDir)
                .with("model.hidden", 16).with("optimizer", "sgd").with("optimizer.learning.rate", 0.001).toMap());
        Random rnd = new Random(4);
        for (int t = 1; t <= 50; t++) {
            topology.send(record(rnd, t));
        }
        assertThat(topology.metrics().rollbacksTotal()).isZero();
        assertThat(topology.events().readRecordsToList()).as("no diverged event").isEmpty();

        ModelCheckpoint cp = topology.storeValue(Names.MODEL_STORE, "s");
        assertThat(formatVersion(cp)).isEqualTo(1);
        assertThat(cp.getMetrics()).doesNotContainKey(Checkpointer.ROLLBACKS);
        assertThat(topology.metrics().model("s").learningRateScale()).isEqualTo(1.0);
    }

    private static double variance(List<ObjectPrediction> ps, int from, int to) {
        double mean = ps.subList(from, to).stream().mapToDouble(ObjectPrediction::getTarget).average().orElseThrow();
        return ps.subList(from, to).stream().mapToDouble(p -> (p.getTarget() - mean) * (p.getTarget() - mean))
                .average().orElseThrow();
    }

    private static double mse(List<ObjectPrediction> ps, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            double e = ps.get(i).getPrediction() - ps.get(i).getTarget();
            s += e * e;
        }
        return s / (to - from);
    }
}
