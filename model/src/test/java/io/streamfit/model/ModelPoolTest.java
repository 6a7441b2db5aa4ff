package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many models on one graph ({@link ModelPool}): each behaves bit for bit like a model with a graph
 * of its own, whatever order they run in, and a new one costs no graph.
 */
class ModelPoolTest {

    private static final int M = 3;

    private static ModelSpec regressor() {
        return ModelSpec.regressor(M, new int[] {6}, "tanh", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.02), 7);
    }

    private static ModelSpec lstm() {
        return ModelSpec.lstmRegressor(M, new int[] {3}, SequenceOptions.DEFAULT.withWindow(2), 0.5,
                ModelSpec.OptimizerSpec.of("rmsprop", 0.01), 7);
    }

    @Test
    void interleavedPooledModelsTrainExactlyLikeModelsOfTheirOwn() {
        assertInterleavedEqualsOwn(regressor(), M);
    }

    @Test
    void interleavedSequenceModelsTrainExactlyLikeModelsOfTheirOwn() {
        assertInterleavedEqualsOwn(lstm(), 2 * M);
    }

    private static void assertInterleavedEqualsOwn(ModelSpec spec, int features) {
        int n = 4;
        List<OnlineModel> own = new ArrayList<>();
        try (ModelPool pool = new ModelPool(spec)) {
            List<OnlineModel> pooled = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                own.add(Models.create(spec));
                pooled.add(pool.newModel());
            }
            // An order that revisits models, runs one twice in a row and leaves one idle for long.
            int[] order = {0, 1, 0, 0, 2, 1, 3, 2, 0, 1, 1, 3, 0, 2};
            for (int s = 0; s < order.length; s++) {
                int i = order[s];
                ObjectBatch batch = s % 4 == 3 ? Batches.mixed(features, s) : Batches.random(features, s, 2, 3);
                boolean train = s % 5 != 4;
                StepResult expected = own.get(i).step(batch, train);
                StepResult actual = pooled.get(i).step(batch, train);
                assertThat(actual.objectPredictions()).as("step %d, model %d", s, i)
                        .containsExactly(expected.objectPredictions());
                assertThat(actual.sumPredictions()).containsExactly(expected.sumPredictions());
                assertThat(actual.updated()).isEqualTo(expected.updated());
                assertThat(pooled.get(i).version()).isEqualTo(own.get(i).version());
                if (s % 3 == 0) {
                    // Exporting in between (the processor checkpoints every batch) changes nothing.
                    assertThat(pooled.get(i).exportState()).containsExactly(own.get(i).exportState());
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(pooled.get(i).exportState()).as("model %d", i).containsExactly(own.get(i).exportState());
            }
            assertThat(pool.loads()).as("a model is loaded only when another one ran in between")
                    .isLessThan(order.length);
        } finally {
            own.forEach(OnlineModel::close);
        }
    }

    @Test
    void anEngineThatIsNoGraphModelLoadsImportsAtOnceAndStillKeepsEveryModelApart() {
        ModelSpec spec = regressor();
        try (ModelPool pool = new ModelPool(spec, () -> delegating(Models.create(spec)));
             OnlineModel ownA = Models.create(spec); OnlineModel ownB = Models.create(spec)) {
            OnlineModel a = pool.newModel();
            OnlineModel b = pool.newModel();
            for (int s = 0; s < 6; s++) {
                OnlineModel pooled = s % 2 == 0 ? a : b;
                OnlineModel own = s % 2 == 0 ? ownA : ownB;
                ObjectBatch batch = Batches.random(M, s, 3);
                assertThat(pooled.step(batch, true).objectPredictions())
                        .containsExactly(own.step(batch, true).objectPredictions());
            }
            byte[] stateA = a.exportState();
            long loads = pool.loads();
            b.importState(stateA);
            assertThat(pool.loads()).as("a non-graph engine loads an import at once").isEqualTo(loads + 1);
            assertThat(a.exportState()).containsExactly(ownA.exportState());
            assertThat(b.exportState()).containsExactly(stateA);
            assertThatThrownBy(() -> b.importState(new byte[] {1, 2, 3})).isInstanceOf(IllegalArgumentException.class);
            assertThat(b.exportState()).containsExactly(stateA);
        }
    }

    /** {@code model} behind a plain proxy of {@link OnlineModel}: what tests that wrap a kind's models hand a pool. */
    private static OnlineModel delegating(OnlineModel model) {
        return (OnlineModel) java.lang.reflect.Proxy.newProxyInstance(OnlineModel.class.getClassLoader(),
                new Class<?>[] {OnlineModel.class}, (proxy, method, args) -> {
                    try {
                        return method.invoke(model, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aNewModelBuildsNoGraphAndStartsFromTheSpecsInitialState() {
        AtomicInteger built = new AtomicInteger();
        ModelSpec spec = regressor();
        try (ModelPool pool = new ModelPool(spec, () -> {
            built.incrementAndGet();
            return Models.create(spec);
        }); OnlineModel fresh = Models.create(spec)) {
            List<OnlineModel> models = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                models.add(pool.newModel());
            }
            assertThat(built).hasValue(0);
            assertThat(pool.engineBuilt()).isFalse();
            assertThat(models.get(999).exportState()).containsExactly(fresh.exportState());
            assertThat(built).hasValue(1);
            models.get(5).step(Batches.random(M, 1, 4), true);
            models.get(6).step(Batches.random(M, 1, 4), true);
            assertThat(built).hasValue(1);
            assertThat(models.get(5).exportState()).containsExactly(models.get(6).exportState());
            assertThat(models.get(7).exportState()).containsExactly(fresh.exportState());
        }
    }

    @Test
    void importingChecksTheStateWithoutLoadingItAndARejectedStateChangesNothing() {
        try (ModelPool pool = new ModelPool(regressor()); ModelPool other = new ModelPool(lstm())) {
            OnlineModel a = pool.newModel();
            OnlineModel b = pool.newModel();
            a.step(Batches.random(M, 1, 3), true);
            byte[] trained = a.exportState();
            long loads = pool.loads();
            b.importState(trained);
            assertThat(pool.loads()).isEqualTo(loads);
            assertThat(b.version()).isEqualTo(a.version());

            byte[] foreign = other.newModel().exportState();
            assertThatThrownBy(() -> b.importState(foreign)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fingerprint");
            byte[] corrupt = trained.clone();
            corrupt[corrupt.length / 2] ^= 1;
            assertThatThrownBy(() -> b.importState(corrupt)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("CRC");
            assertThat(b.exportState()).containsExactly(trained);
            ObjectBatch probe = Batches.random(M, 9, 2);
            assertThat(b.step(probe, false).objectPredictions()).containsExactly(a.step(probe, false).objectPredictions());
        }
    }

    @Test
    void rollBackKeepsTheVersionAndTheScaleTravelsWithTheState() {
        try (ModelPool pool = new ModelPool(regressor()); OnlineModel own = Models.create(regressor())) {
            OnlineModel a = pool.newModel();
            OnlineModel b = pool.newModel();
            byte[] start = a.exportState();
            for (int i = 0; i < 3; i++) {
                a.step(Batches.random(M, i, 3), true);
                own.step(Batches.random(M, i, 3), true);
            }
            a.rollBackTo(start, a.version());
            own.rollBackTo(start, own.version());
            a.setLearningRateScale(0.5);
            own.setLearningRateScale(0.5);
            b.step(Batches.random(M, 11, 3), true); // takes the engine from a
            assertThat(a.version()).isEqualTo(3);
            assertThat(a.learningRateScale()).isEqualTo(0.5);
            assertThat(a.exportState()).containsExactly(own.exportState());
            a.step(Batches.random(M, 12, 3), true);
            own.step(Batches.random(M, 12, 3), true);
            assertThat(a.exportState()).containsExactly(own.exportState());
            assertThat(a.stateFinite()).isTrue();
        }
    }

    @Test
    void closingAModelOrThePoolEndsTheirUse() {
        OnlineModel kept;
        try (ModelPool pool = new ModelPool(regressor())) {
            OnlineModel a = pool.newModel();
            a.step(Batches.random(M, 1, 3), true);
            a.close();
            assertThatThrownBy(() -> a.step(Batches.random(M, 1, 3), true)).isInstanceOf(IllegalStateException.class);
            kept = pool.newModel();
            assertThat(kept.version()).isZero();
            assertThat(pool.toString()).contains("loads=");
        }
        assertThatThrownBy(() -> kept.step(Batches.random(M, 1, 3), true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
