package io.streamfit.app.topology;

import io.streamfit.app.names.Names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.kind.BatchAssembler;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.kind=classifier} through the topology: class probabilities, predicted class and
 * expected counts on the outputs, exactly as the model computes them before it trains; labels
 * and count targets validated into the dead letters; prequential accuracy and log-loss.
 */
class ClassifierTopologyTest {

    private static final int M = 6;
    private static final int C = 3;
    private static final int BATCH = 4;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    private void start(String input) {
        start(input, M);
    }

    private void start(String input, int features) {
        topology = TopologyHarness.start(TestConfigs.classifier(features, C).app("classifier-test")
                .stateDir(stateDir.resolve(input)).with("model.input", input).with("loss.weight", 0.8)
                .with("optimizer.learning.rate", 0.05).with("batch.timesteps", BATCH).with("batch.max.wait.ms", 60_000)
                .toMap());
    }

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
            topology = null;
        }
    }

    /** The class is the index of the largest of the first C features: separable by a linear model. */
    private static int classOf(float[] x) {
        int best = 0;
        for (int c = 1; c < C; c++) {
            if (x[c] > x[best]) {
                best = c;
            }
        }
        return best;
    }

    /** k objects, dense and sparse alternating, labelled; every third record also has class counts. */
    private static Timestep record(Random rnd, long t, int k) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        double[] counts = new double[C];
        for (int i = 0; i < k; i++) {
            float[] x = new float[M];
            for (int j = 0; j < C; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            int label = classOf(x);
            counts[label]++;
            FeatureVector f = i % 2 == 0 ? new FeatureVector.Dense(x)
                    : new FeatureVector.Sparse(new int[] {0, 1, 2}, new float[] {x[0], x[1], x[2]});
            objs.add(new Timestep.ObjectInput("o" + i, f, null, label));
        }
        return new Timestep("s", t, objs, t % 3 == 0 ? counts : null);
    }

    private void sendJson(long t, String objectsJson, String extra) {
        topology.send("s", ("{\"timestep\":" + t + ",\"objects\":[" + objectsJson
                + "]" + extra + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void outputsCarryTheModelsProbabilitiesAndExpectedCountsBeforeItTrains() {
        for (String layout : List.of("dense", "sparse")) {
            start(layout);
            Random rnd = new Random(5);
            try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
                for (int round = 0; round < 3; round++) {
                    List<Timestep> steps = new ArrayList<>();
                    for (int i = 0; i < BATCH; i++) {
                        Timestep ts = record(rnd, round * BATCH + i + 1L, 3);
                        steps.add(ts);
                        topology.send(ts);
                    }
                    ObjectBatch batch = reference.newBatch();
                    steps.forEach(ts -> BatchAssembler.append(batch, ts));
                    StepResult expected = reference.step(batch, true);
                    assertThat(expected.updated()).isTrue();

                    List<ObjectPrediction> outObjects = topology.objects().readValuesToList();
                    List<SumPrediction> outSums = topology.sums().readValuesToList();
                    assertThat(outObjects).hasSize(BATCH * 3);
                    assertThat(outSums).hasSize(BATCH);
                    for (int n = 0; n < outObjects.size(); n++) {
                        ObjectPrediction p = outObjects.get(n);
                        assertThat(p.getModelVersion()).isEqualTo(round);
                        assertThat(p.getProbabilities()).hasSize(C);
                        double total = 0;
                        for (int c = 0; c < C; c++) {
                            assertThat(p.getProbabilities().get(c))
                                    .isCloseTo(expected.probabilities()[n * C + c], within(1e-6));
                            total += p.getProbabilities().get(c);
                        }
                        assertThat(total).isCloseTo(1.0, within(1e-5));
                        assertThat(p.getPredictedClass()).isEqualTo(expected.predictedClass(n));
                        assertThat(p.getPrediction())
                                .isCloseTo(p.getProbabilities().get(p.getPredictedClass()), within(1e-6));
                        Timestep ts = steps.get(n / 3);
                        assertThat(p.getTarget()).isEqualTo((double) ts.objects().get(n % 3).label());
                    }
                    for (int t = 0; t < BATCH; t++) {
                        SumPrediction s = outSums.get(t);
                        assertThat(s.getObjects()).isEqualTo(3);
                        for (int c = 0; c < C; c++) {
                            double fromObjects = 0;
                            for (int i = 0; i < 3; i++) {
                                fromObjects += outObjects.get(t * 3 + i).getProbabilities().get(c);
                            }
                            assertThat(s.getExpectedCounts().get(c)).isCloseTo(fromObjects, within(1e-5));
                        }
                    }
                }
            }
            assertThat(topology.deadLetters().isEmpty()).isTrue();
            close();
        }
    }

    @Test
    void badLabelsAndCountsGoToTheDeadLettersWithTheirReason() {
        start("auto");
        String ok = "{\"id\":\"a\",\"features\":[1,0,0,0,0,0],\"label\":0}";
        sendJson(1, "{\"id\":\"a\",\"features\":[1,0,0,0,0,0],\"label\":3}", "");
        sendJson(2, "{\"id\":\"a\",\"features\":[1,0,0,0,0,0],\"label\":-1}", "");
        sendJson(3, "{\"id\":\"a\",\"features\":[1,0,0,0,0,0],\"target\":2.5}", "");
        sendJson(4, ok, ",\"sumTarget\":[1,0]");
        sendJson(5, ok, ",\"sumTarget\":[1,-1,0]");
        sendJson(6, ok, ",\"sumTarget\":1");
        List<TestRecord<byte[], byte[]>> letters = topology.deadLetters().readRecordsToList();
        assertThat(letters).extracting(r -> new String(r.headers().lastHeader("error.reason").value(),
                StandardCharsets.UTF_8)).containsExactly("label-out-of-range", "label-out-of-range", "unexpected-target",
                "wrong-feature-count", "non-finite", "wrong-feature-count");
        assertThat(new String(letters.get(0).headers().lastHeader("error.message").value(), StandardCharsets.UTF_8))
                .contains("label = 3", "[0, 3)");
        assertThat(topology.objects().isEmpty()).isTrue();
    }

    @Test
    void prequentialAccuracyRisesAsTheClassifierLearnsAndIsPublished() {
        start("auto");
        Random rnd = new Random(9);
        for (int t = 1; t <= 1500; t++) {
            topology.send(record(rnd, t, 4));
        }
        List<ObjectPrediction> out = topology.objects().readValuesToList();
        int lateRight = 0;
        int late = 0;
        for (int i = out.size() - 400; i < out.size(); i++) {
            late++;
            lateRight += out.get(i).getPredictedClass().equals(out.get(i).getTarget().intValue()) ? 1 : 0;
        }
        double lateAccuracy = (double) lateRight / late;
        assertThat(lateAccuracy).isGreaterThan(0.9);

        // model.scope=series (the default): the model is the series' own.
        ModelInfo info = topology.metrics().model("s");
        assertThat(info).isNotNull();
        assertThat(info.runningAccuracy()).isBetween(0.5, lateAccuracy);
        assertThat(info.accuracy()).isGreaterThan(0.85);
        assertThat(info.logLoss()).isLessThan(info.runningLogLoss()).isPositive();
        assertThat(topology.metrics().registry().get("streamfit.prequential.accuracy").gauge().value())
                .isCloseTo(info.accuracy(), within(1e-12));
        assertThat(topology.metrics().registry().get("streamfit.prequential.log.loss").gauge().value())
                .isCloseTo(info.logLoss(), within(1e-12));
    }

    @Test
    void aHundredThousandSparseFeaturesMixWithDenseRecordsOfTheSameValues() {
        int m = 100_000;
        start("auto", m);
        assertThat(topology.config().modelSpec().sparseInput()).as("auto is sparse above m = 1024").isTrue();
        // Unlabelled, so the model does not change between the records: equal values, equal predictions.
        String sparse = "{\"id\":\"s\",\"features\":{\"indices\":[7,99999,31337],\"values\":[1,0.5,-2]}}";
        StringBuilder dense = new StringBuilder("{\"id\":\"d\",\"features\":[");
        for (int j = 0; j < m; j++) {
            float v = j == 7 ? 1f : j == 99_999 ? 0.5f : j == 31_337 ? -2f : 0f;
            dense.append(j == 0 ? "" : ",").append(v == 0f ? "0" : Float.toString(v));
        }
        dense.append("]}");
        sendJson(1, sparse + "," + dense, "");
        sendJson(2, sparse, "");
        for (int t = 3; t < 3 + BATCH - 2; t++) {
            sendJson(t, "{\"id\":\"x\",\"features\":{\"indices\":[" + t + "],\"values\":[1]}}", "");
        }
        List<ObjectPrediction> out = topology.objects().readValuesToList();
        assertThat(topology.deadLetters().isEmpty()).isTrue();
        assertThat(out).hasSize(BATCH + 1);
        assertThat(out.get(1).getProbabilities()).isEqualTo(out.get(0).getProbabilities());
        assertThat(out.get(2).getProbabilities()).isEqualTo(out.get(0).getProbabilities());
        assertThat(out.get(3).getProbabilities()).isNotEqualTo(out.get(0).getProbabilities());
    }
}
