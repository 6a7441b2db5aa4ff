package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.avro.GoodState;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash equivalence through rollbacks: a diverging stream run uninterrupted, and again with the
 * task "crashed" at several points (the driver closed, a new one started on another state
 * directory with its stores restored from what the first had committed: everything only in memory
 * is gone), gives the same outputs bit for bit, the same model versions and the same rollbacks,
 * and ends with the same checkpoint. It needs the divergence recovery's state (the loss window,
 * the best windowed loss, the good state) to commit with the model.
 */
class RollbackCrashEquivalenceTopologyTest {

    private static final int M = 8;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;
    private int starts;

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    /** The finding: neuron-mean-momentum, lr 0.01, 32 hidden, m = 8, the default recovery. */
    @Test
    void theReportedNeuronMeanMomentumModelRestartedAtAnyPointRollsBackAsIfUninterrupted() {
        check(unguarded().with("model.hidden", 32).with("optimizer", "neuron-mean-momentum")
                .with("optimizer.learning.rate", 0.01), 400, everyNthUpTo(9, 120, Set.of(150, 200, 260, 330)));
    }

    /** SGD far above its stable step, a short loss window and one global model (the route topic). */
    @Test
    void aGlobalSgdModelRestartedAtAnyPointRollsBackAsIfUninterrupted() {
        check(unguarded().with("model.scope", "global").with("model.hidden", 32).with("optimizer", "sgd")
                .with("optimizer.learning.rate", 0.2).with("divergence.lr.factor", 0.5)
                .with("divergence.lr.min.scale", 1e-3).with("divergence.loss.window", 5),
                250, Set.of(12, 20, 33, 47, 61, 90, 131, 170, 211));
    }

    /**
     * A checkpoint without the recovery state (written before it was kept, or by backfill) loads as
     * before: an empty loss window, and the checkpoint itself as the good state, which the next
     * checkpoint then keeps in the good store.
     */
    @Test
    void aCheckpointWithoutTheRecoveryStateStartsAnEmptyWindowWithItselfAsTheGoodState() {
        TestConfigs.Builder config = unguarded().with("model.hidden", 8).with("optimizer", "sgd")
                .with("optimizer.learning.rate", 0.001);
        Random rnd = new Random(3);
        start(config, null);
        for (int t = 1; t <= 30; t++) {
            topology.send(DivergenceRecoveryTopologyTest.record(rnd, t));
        }
        Map<String, Map<String, Object>> committed = topology.storeContents();
        ModelCheckpoint saved = (ModelCheckpoint) committed.get(Names.MODEL_STORE).get("s");
        assertThat(saved.getRecovery().getLosses()).hasSize(30);
        // No window was full yet: the good state is still the first checkpoint's, kept by the second.
        assertThat(((GoodState) committed.get(Names.GOOD_STORE).get("s")).getModelVersion()).isEqualTo(1);
        saved.setRecovery(null);
        committed.remove(Names.GOOD_STORE);
        topology.close();

        start(config, committed);
        for (int t = 31; t <= 35; t++) {
            topology.send(DivergenceRecoveryTopologyTest.record(rnd, t));
        }
        ModelCheckpoint next = topology.storeValue(Names.MODEL_STORE, "s");
        assertThat(next.getRecovery().getLosses()).as("the window started empty").hasSize(5);
        assertThat(next.getRecovery().getBestLoss()).isInfinite();
        assertThat(next.getRecovery().getGoodInGoodStore()).isTrue();
        GoodState good = topology.storeValue(Names.GOOD_STORE, "s");
        assertThat(good.getModelState()).isEqualTo(saved.getModelState());
        assertThat(good.getModelVersion()).isEqualTo(saved.getModelVersion());
        assertThat(topology.metrics().goodStateWrites()).isEqualTo(1);
    }

    /** Every n-th timestep up to {@code until}, and {@code more}. */
    private static Set<Integer> everyNthUpTo(int n, int until, Set<Integer> more) {
        Set<Integer> out = new java.util.TreeSet<>(more);
        for (int t = n; t <= until; t += n) {
            out.add(t);
        }
        return out;
    }

    private static TestConfigs.Builder unguarded() {
        return TestConfigs.regressor(M).with("optimizer.clip.norm", 0).with("loss.sum.normalization", "none");
    }

    private record Run(List<String> objects, List<String> sums, long rollbacks, ModelCheckpoint last) {
    }

    private void check(TestConfigs.Builder config, int n, Set<Integer> crashes) {
        Run uninterrupted = run(config, n, Set.of());
        assertThat(uninterrupted.rollbacks()).as("the stream diverges").isGreaterThanOrEqualTo(2);
        Run crashed = run(config, n, crashes);

        assertThat(crashed.objects()).hasSameSizeAs(uninterrupted.objects());
        for (int i = 0; i < uninterrupted.objects().size(); i++) {
            assertThat(crashed.objects().get(i)).as("object prediction %d", i).isEqualTo(uninterrupted.objects().get(i));
        }
        assertThat(crashed.sums()).containsExactlyElementsOf(uninterrupted.sums());
        assertThat(crashed.rollbacks()).as("rollbacks").isEqualTo(uninterrupted.rollbacks());
        assertThat(crashed.last().getModelVersion()).isEqualTo(uninterrupted.last().getModelVersion());
        assertThat(crashed.last().getMetrics()).isEqualTo(uninterrupted.last().getMetrics());
        assertThat(crashed.last().getModelState()).as("weights, optimizer slots and learning-rate scale")
                .isEqualTo(uninterrupted.last().getModelState());
    }

    /** Sends timesteps 1..n, "crashing" after each timestep in {@code crashes}. */
    private Run run(TestConfigs.Builder config, int n, Set<Integer> crashes) {
        Random rnd = new Random(3);
        List<String> objects = new ArrayList<>();
        List<String> sums = new ArrayList<>();
        long rollbacks = 0;
        start(config, null);
        for (int t = 1; t <= n; t++) {
            topology.send(DivergenceRecoveryTopologyTest.record(rnd, t));
            if (crashes.contains(t)) {
                Map<String, Map<String, Object>> committed = topology.storeContents();
                objects.addAll(objects());
                sums.addAll(sums());
                rollbacks += topology.metrics().rollbacksTotal();
                topology.close();
                start(config, committed);
            }
        }
        objects.addAll(objects());
        sums.addAll(sums());
        rollbacks += topology.metrics().rollbacksTotal();
        String key = topology.config().globalScope() ? Names.GLOBAL_KEY : "s";
        ModelCheckpoint last = topology.storeValue(Names.MODEL_STORE, key);
        assertThat(last.getMetrics().get(Checkpointer.ROLLBACKS)).as("the checkpoint's count")
                .isEqualTo((double) rollbacks);
        topology.close();
        topology = null;
        return new Run(objects, sums, rollbacks, last);
    }

    private void start(TestConfigs.Builder config, Map<String, Map<String, Object>> committed) {
        topology = TopologyHarness.start(config.app("rollback-crash-test").stateDir(stateDir.resolve("run-" + starts++))
                .toMap());
        if (committed != null) {
            topology.restoreStores(committed);
        }
    }

    private List<String> objects() {
        return topology.objects().readValuesToList().stream().map(Object::toString).toList();
    }

    private List<String> sums() {
        return topology.sums().readValuesToList().stream().map(Object::toString).toList();
    }
}
