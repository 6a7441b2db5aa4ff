package io.streamfit.app.topology;

import io.streamfit.app.names.Names;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.state.WriteAtCommitStore;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code batch.timesteps > 1}: batches by size and by wait, one update per batch, restart safety. */
class MicroBatchTopologyTest {

    private static final int M = 3;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    private void start(int batch, long waitMs) {
        start(batch, waitMs, true);
    }

    private void start(int batch, long waitMs, boolean flushWhenIdle) {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("micro-batch-test").stateDir(stateDir)
                .with("model.hidden", 5).with("model.activation", "tanh").with("optimizer.learning.rate", 0.01)
                .with("batch.timesteps", batch).with("batch.max.wait.ms", waitMs)
                .with("batch.flush.when.idle", flushWhenIdle).toMap());
    }

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    /** The model version of {@code model}'s checkpoint in the model store. */
    private long checkpointVersion(String model) {
        return topology.<ModelCheckpoint>storeValue(Names.MODEL_STORE, model).getModelVersion();
    }

    /** Timesteps buffered in the pending store (a partial batch survives a crash through it). */
    private long pendingEntries() {
        return topology.store(Names.PENDING_STORE).approximateNumEntries();
    }

    private static Timestep record(Random rnd, String series, long t, int k) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), (double) (x[0] - 2 * x[1]), null));
        }
        return new Timestep(series, t, objs, null);
    }

    private static ObjectBatch batchOf(List<Timestep> steps) {
        ObjectBatch b = new ObjectBatch(M);
        for (Timestep ts : steps) {
            b.beginTimestep();
            for (Timestep.ObjectInput o : ts.objects()) {
                b.addDense(((FeatureVector.Dense) o.features()).values(), 0, true, o.target().floatValue());
            }
            b.endTimestep();
        }
        return b;
    }

    @Test
    void aFullBatchIsPredictedInOneCallThenTrainedOnceAndEmittedInInputOrder() {
        start(4, 60_000);
        Random rnd = new Random(11);
        List<Timestep> steps = new ArrayList<>();
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            for (int round = 0; round < 3; round++) {
                steps.clear();
                for (int t = 0; t < 4; t++) {
                    Timestep ts = record(rnd, "s", round * 4L + t, 1 + (t % 3));
                    steps.add(ts);
                    topology.send(ts);
                    if (t < 3) {
                        assertThat(topology.objects().isEmpty()).as("batch of round %d still filling", round).isTrue();
                    }
                }
                StepResult expected = reference.step(batchOf(steps), true);
                List<TestRecord<String, ObjectPrediction>> out = topology.objects().readRecordsToList();
                List<TestRecord<String, SumPrediction>> sumOut = topology.sums().readRecordsToList();
                assertThat(out).hasSize(expected.objectPredictions().length);
                assertThat(sumOut).extracting(r -> r.value().getTimestep())
                        .containsExactly(round * 4L, round * 4L + 1, round * 4L + 2, round * 4L + 3);
                for (int i = 0; i < out.size(); i++) {
                    assertThat((float) out.get(i).value().getPrediction()).isEqualTo(expected.objectPredictions()[i]);
                    assertThat(out.get(i).value().getModelVersion()).isEqualTo(round);
                }
                for (int t = 0; t < 4; t++) {
                    assertThat((float) sumOut.get(t).value().getPrediction()).isEqualTo(expected.sumPredictions()[t]);
                }
            }
            KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
            assertThat(store.get("s").getModelVersion()).isEqualTo(3L).isEqualTo(reference.version());
            assertThat(store.get("s").getRecords()).isEqualTo(12L);
        }
    }

    @Test
    void aPartialBatchRunsWhenItsOldestTimestepHasWaitedLongEnough() {
        start(64, 50);
        Random rnd = new Random(12);
        topology.send(record(rnd, "a", 1, 2));
        topology.send(record(rnd, "a", 2, 2));
        topology.advanceWallClockTime(Duration.ofMillis(10));
        assertThat(topology.sums().isEmpty()).isTrue();
        // Wall-clock punctuation measures real time; wait it out, then let the driver punctuate.
        sleep(60);
        topology.advanceWallClockTime(Duration.ofMillis(100));
        assertThat(topology.sums().readRecordsToList()).extracting(r -> r.value().getTimestep())
                .containsExactly(1L, 2L);
        assertThat(topology.objects().readRecordsToList()).hasSize(4).extracting(r -> r.value().getModelVersion())
                .containsOnly(0L);
        assertThat(checkpointVersion("a")).isEqualTo(1L);
        assertThat(pendingEntries()).isZero();
    }

    @Test
    void aPartialBatchRunsAsOneUpdateOnceTheTaskHadNoInputForATick() {
        start(64, 60_000, true);
        Random rnd = new Random(15);
        List<Timestep> steps = List.of(record(rnd, "a", 1, 2), record(rnd, "a", 2, 3), record(rnd, "a", 3, 1));
        topology.send(steps.get(0));
        topology.send(steps.get(1));
        // Each advance is one punctuation tick (1 ms). Input since the last tick: the batch keeps filling.
        topology.advanceWallClockTime(Duration.ofMillis(1));
        assertThat(topology.sums().isEmpty()).as("input arrived during the tick").isTrue();
        topology.send(steps.get(2));
        topology.advanceWallClockTime(Duration.ofMillis(1));
        assertThat(topology.sums().isEmpty()).as("input arrived during the tick").isTrue();
        // A tick without input: the fetched input is drained, so the partial batch runs now, not after 60 s.
        topology.advanceWallClockTime(Duration.ofMillis(1));
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            StepResult expected = reference.step(batchOf(steps), true);
            List<TestRecord<String, ObjectPrediction>> out = topology.objects().readRecordsToList();
            assertThat(out).hasSize(6).extracting(r -> r.value().getModelVersion()).containsOnly(0L);
            for (int i = 0; i < out.size(); i++) {
                assertThat((float) out.get(i).value().getPrediction()).isEqualTo(expected.objectPredictions()[i]);
            }
        }
        assertThat(topology.sums().readRecordsToList()).extracting(r -> r.value().getTimestep())
                .containsExactly(1L, 2L, 3L);
        assertThat(checkpointVersion("a")).as("one update for the three timesteps").isEqualTo(1L);
        assertThat(pendingEntries()).isZero();
    }

    @Test
    void withoutFlushWhenIdleAPartialBatchWaitsForItsSizeOrItsWait() {
        start(3, 60_000, false);
        Random rnd = new Random(16);
        topology.send(record(rnd, "a", 1, 2));
        topology.send(record(rnd, "a", 2, 2));
        for (int tick = 0; tick < 5; tick++) {
            topology.advanceWallClockTime(Duration.ofMillis(20));
        }
        assertThat(topology.sums().isEmpty()).as("idle ticks do not close the batch").isTrue();
        topology.send(record(rnd, "a", 3, 2));
        assertThat(topology.sums().readRecordsToList()).extracting(r -> r.value().getTimestep())
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void pendingTimestepsSurviveARestartOfTheTaskAndAreNotAcceptedTwice() {
        start(4, 60_000);
        Random rnd = new Random(13);
        List<Timestep> steps = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            steps.add(record(rnd, "s", t, 2));
            topology.send(steps.get(t));
        }
        assertThat(topology.objects().isEmpty()).isTrue();
        KeyValueStore<String, byte[]> pending = topology.store(Names.PENDING_STORE);
        assertThat(pending.approximateNumEntries()).isEqualTo(3);
        // Written by the commits after each record, through the hook Kafka Streams calls before a
        // commit: had a commit come without it, the store would have stopped deferring.
        assertThat(WriteAtCommitStore.find(pending).orElseThrow().defers()).as("pre-commit hook called").isTrue();

        // A new task whose store was restored with those entries (as from the changelog after a
        // crash) finds the three timesteps and completes their batch.
        Map<String, byte[]> restored = new HashMap<>();
        pending.all().forEachRemaining(kv -> restored.put(kv.key, kv.value));
        topology.close();
        start(4, 60_000);
        KeyValueStore<String, byte[]> fresh = topology.store(Names.PENDING_STORE);
        restored.forEach(fresh::put);
        topology.send(steps.get(2)); // a duplicate of a pending timestep: not after the last one accepted
        assertThat(topology.deadLetters().readRecord().headers().lastHeader("error.reason").value())
                .asString(StandardCharsets.UTF_8).isEqualTo("timestep-not-increasing");
        steps.add(record(rnd, "s", 3, 2));
        topology.send(steps.get(3));
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            StepResult expected = reference.step(batchOf(steps), true);
            List<TestRecord<String, ObjectPrediction>> out = topology.objects().readRecordsToList();
            assertThat(out).hasSize(8);
            for (int i = 0; i < out.size(); i++) {
                assertThat((float) out.get(i).value().getPrediction()).isEqualTo(expected.objectPredictions()[i]);
            }
        }
        assertThat(topology.sums().readRecordsToList()).extracting(r -> r.value().getTimestep())
                .containsExactly(0L, 1L, 2L, 3L);
        assertThat(pendingEntries()).isZero();
    }

    @Test
    void eachSeriesBatchesForItsOwnModel() {
        start(2, 60_000);
        Random rnd = new Random(14);
        topology.send(record(rnd, "a", 1, 1));
        topology.send(record(rnd, "b", 1, 1));
        assertThat(topology.sums().isEmpty()).isTrue();
        topology.send(record(rnd, "b", 2, 1));
        assertThat(topology.sums().readRecordsToList())
                .extracting(r -> r.value().getSeries() + "@" + r.value().getTimestep())
                .containsExactly("b@1", "b@2");
        topology.send(record(rnd, "a", 2, 1));
        assertThat(topology.sums().readRecordsToList())
                .extracting(r -> r.value().getSeries() + "@" + r.value().getTimestep())
                .containsExactly("a@1", "a@2");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
