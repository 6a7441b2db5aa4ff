package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.streamfit.app.kind.SpecKinds;
import io.streamfit.devkit.demo.SyntheticStream;
import io.streamfit.app.kind.BatchAssembler;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.SequenceOptions;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.Test;

/** The trainer with real TensorFlow models, against models trained by hand on the same batches. */
class BackfillTrainerTest {

    private static final int M = 8;
    private static final ModelSpec SPEC = ModelSpec.regressor(M, new int[] {8}, "relu", 0.5,
            ModelSpec.OptimizerSpec.of("adam", 0.01), 3);

    private static List<Sample> globalSamples(int n, long seed) {
        SyntheticStream stream = new SyntheticStream(3, M, 0.1, seed, 1);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Timestep ts = stream.next();
            out.add(new Sample("global", ts.series(), 0, ts));
        }
        return out;
    }

    private static byte[] state(ModelCheckpoint cp) {
        ByteBuffer b = cp.getModelState().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void trainsMicroBatchesEveryPassAndScoresTheFirstPassBeforeEachUpdate() {
        List<Sample> samples = globalSamples(25, 7);
        int batch = 4;
        int passes = 3;
        ModelCheckpoint cp;
        BackfillTrainer trainer = new BackfillTrainer(SpecKinds.of(SPEC), batch, 1_000, Map.of());
        try (trainer) {
            for (int pass = 1; pass <= passes; pass++) {
                trainer.beginPass(pass);
                samples.forEach(trainer::train);
                trainer.endPass();
                assertThat(trainer.passLoss()).as("pass %d loss", pass).isFinite().isPositive();
            }
            cp = trainer.checkpoints(123L).get("global").checkpoint();
            assertThat(trainer.steps()).isEqualTo(passes * 7L); // ceil(25 / 4) per pass
            TrainedModel m = trainer.summaries().get(0);
            assertThat(m.version()).isEqualTo(passes * 7L);
            assertThat(m.startVersion()).isZero();
            assertThat(m.records()).isEqualTo(25);

            // The same batches by hand: 6 full ones and a partial one of 1 per pass.
            double sq = 0;
            long scored = 0;
            try (OnlineModel ref = Models.create(SPEC)) {
                ObjectBatch b = new ObjectBatch(M);
                for (int pass = 1; pass <= passes; pass++) {
                    for (int from = 0; from < samples.size(); from += batch) {
                        b.clear();
                        List<Sample> chunk = samples.subList(from, Math.min(from + batch, samples.size()));
                        chunk.forEach(s -> BatchAssembler.append(b, s.timestep()));
                        StepResult r = ref.step(b, true);
                        if (pass == 1) {
                            int o = 0;
                            for (Sample s : chunk) {
                                for (Timestep.ObjectInput obj : s.timestep().objects()) {
                                    double e = r.objectPredictions()[o++] - obj.target();
                                    sq += e * e;
                                    scored++;
                                }
                            }
                        }
                    }
                }
                assertThat(state(cp)).as("model state").isEqualTo(ref.exportState());
            }
            assertThat(m.objectMse()).isCloseTo(sq / scored, within(1e-12));
            // The synthetic records have no sum target, but every object has one: the sum is scored too.
            assertThat(m.sumMse()).isFinite();
        }
        assertThat(cp.getModelVersion()).isEqualTo(passes * 7L);
        assertThat(cp.getRecords()).isEqualTo(25);
        assertThat(cp.getUpdatedAtMs()).isEqualTo(123L);
        // 25 records round-robin over 3 series from timestep 1: series-0 has 9, the others 8.
        assertThat(cp.getLastTimesteps()).containsExactlyInAnyOrderEntriesOf(
                Map.of("series-0", 9L, "series-1", 8L, "series-2", 8L));
        assertThat(cp.getMetrics().get("prequential.total.sums")).isEqualTo(25.0);
        assertThat(cp.getSpecFingerprint()).isEqualTo(SPEC.fingerprint());
    }

    @Test
    void continuesFromTheExistingCheckpoint() {
        ModelCheckpoint before;
        try (BackfillTrainer first = new BackfillTrainer(SpecKinds.of(SPEC), 1, 1_000, Map.of())) {
            first.beginPass(1);
            globalSamples(10, 1).forEach(first::train);
            first.endPass();
            before = first.checkpoints(1L).get("global").checkpoint();
        }
        try (BackfillTrainer second = new BackfillTrainer(SpecKinds.of(SPEC), 1, 1_000, Map.of("global", before))) {
            second.beginPass(1);
            globalSamples(5, 2).forEach(second::train);
            second.endPass();
            TrainedModel m = second.summaries().get(0);
            assertThat(m.startVersion()).isEqualTo(10);
            assertThat(m.version()).isEqualTo(15);
            ModelCheckpoint after = second.checkpoints(2L).get("global").checkpoint();
            assertThat(after.getRecords()).isEqualTo(15);
            // The new history reaches timestep 2 per series; the checkpoint's 4 and 3 stay.
            assertThat(after.getLastTimesteps()).containsEntry("series-0", 4L).containsEntry("series-2", 3L);
        }
    }

    @Test
    void oneModelPerSeriesKeyWithItsTaskPartition() {
        SyntheticStream stream = new SyntheticStream(2, M, 0.1, 4, 1);
        try (BackfillTrainer trainer = new BackfillTrainer(SpecKinds.of(SPEC), 2, 1_000, Map.of())) {
            trainer.beginPass(1);
            for (int i = 0; i < 7; i++) {
                Timestep ts = stream.next();
                trainer.train(new Sample(ts.series(), ts.series(), ts.series().equals("series-0") ? 5 : 2, ts));
            }
            trainer.endPass();
            Map<String, BackfillTrainer.PartitionedCheckpoint> cps = trainer.checkpoints(0);
            assertThat(cps).containsOnlyKeys("series-0", "series-1");
            assertThat(cps.get("series-0").partition()).isEqualTo(5);
            assertThat(cps.get("series-1").partition()).isEqualTo(2);
            // 4 records in batches of 2, and 3 records: 2 + a partial 1.
            assertThat(cps.get("series-0").checkpoint().getModelVersion()).isEqualTo(2);
            assertThat(cps.get("series-1").checkpoint().getModelVersion()).isEqualTo(2);
            assertThat(cps.get("series-1").checkpoint().getRecords()).isEqualTo(3);
            assertThat(cps.get("series-1").checkpoint().getLastTimesteps()).containsOnlyKeys("series-1");
        }
    }

    @Test
    void refusesACheckpointOfAnotherSpecAndSequenceModels() {
        ModelCheckpoint cp;
        try (BackfillTrainer t = new BackfillTrainer(SpecKinds.of(SPEC), 1, 1_000, Map.of())) {
            t.beginPass(1);
            globalSamples(1, 1).forEach(t::train);
            cp = t.checkpoints(0).get("global").checkpoint();
        }
        ModelSpec other = ModelSpec.regressor(M, new int[] {16}, "relu", 0.5, ModelSpec.OptimizerSpec.of("adam", 0.01), 3);
        try (BackfillTrainer t = new BackfillTrainer(SpecKinds.of(other), 1, 1_000, Map.of("global", cp))) {
            t.beginPass(1);
            assertThatThrownBy(() -> t.train(globalSamples(1, 1).get(0))).isInstanceOf(ModelMismatchException.class)
                    .hasMessageContaining("model.hidden=16 does not fit the saved models of this application.id, trained "
                            + "with model.hidden=8");
        }
        ModelSpec seq = ModelSpec.seqAutoencoder(M, new int[] {4}, SequenceOptions.DEFAULT,
                ModelSpec.OptimizerSpec.of("adam", 0.01), 1);
        assertThatThrownBy(() -> new BackfillTrainer(SpecKinds.of(seq), 1, 1_000, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seq-autoencoder");
    }
    @Test
    void classifiersAreScoredByAccuracyAndLogLossOfTheirLabels() {
        // Sparse one-hot inputs (m = 500, sparse input layer) with a label each, as in the issue.
        ModelSpec spec = ModelSpec.classifier(500, 3, new int[0], "relu", 1.0,
                ModelSpec.OptimizerSpec.of("sgd", 0.5), 1).withInput(ModelSpec.INPUT_SPARSE);
        java.util.Random random = new java.util.Random(9);
        List<Sample> samples = new ArrayList<>();
        for (int t = 1; t <= 40; t++) {
            List<Timestep.ObjectInput> objects = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int label = random.nextInt(3);
                // The label is readable from the active index: index mod 3.
                int index = 3 * random.nextInt(100) + label;
                objects.add(new Timestep.ObjectInput("o" + i, new io.streamfit.schemas.FeatureVector.Sparse(
                        new int[] {index}, new float[] {1f}), null, label));
            }
            samples.add(new Sample("global", "s", 0, new Timestep("s", t, objects, null)));
        }
        int batch = 5;
        try (BackfillTrainer trainer = new BackfillTrainer(SpecKinds.of(spec), batch, 1_000, Map.of())) {
            trainer.beginPass(1);
            samples.forEach(trainer::train);
            trainer.endPass();
            TrainedModel m = trainer.summaries().get(0);
            ModelCheckpoint cp = trainer.checkpoints(0).get("global").checkpoint();

            long correct = 0;
            double logLoss = 0;
            try (OnlineModel ref = Models.create(spec)) {
                ObjectBatch b = ref.newBatch();
                assertThat(b.isSparse()).isTrue();
                for (int from = 0; from < samples.size(); from += batch) {
                    b.clear();
                    List<Sample> chunk = samples.subList(from, from + batch);
                    chunk.forEach(s -> BatchAssembler.append(b, s.timestep()));
                    StepResult r = ref.step(b, true);
                    int o = 0;
                    for (Sample s : chunk) {
                        for (Timestep.ObjectInput obj : s.timestep().objects()) {
                            correct += r.predictedClass(o) == obj.label() ? 1 : 0;
                            logLoss -= Math.log(r.probabilities()[o * 3 + obj.label()]);
                            o++;
                        }
                    }
                }
                assertThat(state(cp)).isEqualTo(ref.exportState());
            }
            assertThat(cp.getMetrics()).containsEntry("prequential.total.labelled", 120.0)
                    .containsEntry("prequential.total.correct", (double) correct);
            assertThat(m.accuracy()).isCloseTo(correct / 120.0, within(1e-12));
            assertThat(m.logLoss()).isCloseTo(logLoss / 120, within(1e-9));
            // Learned something: chance is 1/3 and ln 3 = 1.0986.
            assertThat(m.logLoss()).isLessThan(Math.log(3));
            assertThat(m.objectMse()).isNaN();
        }
    }

    /**
     * With features.scaling=standard backfill trains on the features standardized as the stream
     * processor would (the kind's batch logic, run by the trainer), and its checkpoint carries the
     * moments of every pass's objects.
     */
    @Test
    void standardizesTheFeaturesAndCheckpointsTheirMoments() {
        List<Sample> samples = globalSamples(25, 8);
        int batch = 4;
        int passes = 2;
        io.streamfit.app.kind.ConfiguredKind kind = io.streamfit.app.testing.TestConfigs.regressor(M)
                .with("model.hidden", 8).with("optimizer.learning.rate", 0.01).with("outlier.targets.threshold", 0)
                .with("features.scaling", "standard").toConfig().kind();
        ModelCheckpoint cp;
        try (BackfillTrainer trainer = new BackfillTrainer(kind, batch, 1_000, Map.of())) {
            for (int pass = 1; pass <= passes; pass++) {
                trainer.beginPass(pass);
                samples.forEach(trainer::train);
                trainer.endPass();
            }
            cp = trainer.checkpoints(0).get("global").checkpoint();
        }
        int objects = samples.stream().mapToInt(s -> s.timestep().objects().size()).sum();
        assertThat(cp.getLearning().getFeatureMoments().getCount()).isEqualTo((long) passes * objects);

        // By hand: each timestep's objects into the moments, then standardized into the batch.
        io.streamfit.model.stats.StandardScaler scaler = new io.streamfit.model.stats.StandardScaler(M);
        float[] z = new float[M];
        try (OnlineModel ref = kind.create(); OnlineModel raw = kind.create()) {
            ObjectBatch b = new ObjectBatch(M);
            ObjectBatch plain = new ObjectBatch(M);
            for (int pass = 1; pass <= passes; pass++) {
                for (int from = 0; from < samples.size(); from += batch) {
                    b.clear();
                    plain.clear();
                    for (Sample s : samples.subList(from, Math.min(from + batch, samples.size()))) {
                        for (Timestep.ObjectInput o : s.timestep().objects()) {
                            scaler.learn(((io.streamfit.schemas.FeatureVector.Dense) o.features()).values(), 0);
                        }
                        b.beginTimestep();
                        for (Timestep.ObjectInput o : s.timestep().objects()) {
                            scaler.transform(((io.streamfit.schemas.FeatureVector.Dense) o.features()).values(), 0, z, 0);
                            b.addDense(z, 0, true, o.target().floatValue());
                        }
                        b.endTimestep();
                        BatchAssembler.append(plain, s.timestep());
                    }
                    ref.step(b, true);
                    raw.step(plain, true);
                }
            }
            assertThat(state(cp)).as("model state").isEqualTo(ref.exportState());
            // Trained on the raw features the state differs: the comparison above can fail.
            assertThat(raw.exportState()).isNotEqualTo(ref.exportState());
        }
        assertThat(cp.getLearning().getFeatureMoments().getMean()).containsExactly(
                java.util.Arrays.stream(scaler.means()).boxed().toArray(Double[]::new));
    }
}
