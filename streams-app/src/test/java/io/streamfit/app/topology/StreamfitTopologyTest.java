package io.streamfit.app.topology;

import io.streamfit.app.names.Names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamfitTopologyTest {

    private static final int M = 3;

    @TempDir
    Path stateDir;

    private TopologyHarness topology;

    private void start(Map<String, String> extra) {
        topology = TopologyHarness.start(TestConfigs.regressor(M).app("topology-test").stateDir(stateDir)
                .with("model.hidden", 5).with("model.activation", "tanh").with("optimizer.learning.rate", 0.01)
                .withAll(extra).toMap());
    }

    @AfterEach
    void close() {
        if (topology != null) {
            topology.close();
        }
    }

    private static Timestep record(Random rnd, long t, int k, boolean targets, Double sumTarget) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            float[] x = new float[M];
            for (int j = 0; j < M; j++) {
                x[j] = (float) rnd.nextGaussian();
            }
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x),
                    targets ? (double) (x[0] - 2 * x[1] + 0.5f) : null, null));
        }
        return new Timestep("s", t, objs, sumTarget == null ? null : new double[] {sumTarget});
    }

    private static ObjectBatch batchOf(Timestep ts) {
        ObjectBatch b = new ObjectBatch(M);
        b.beginTimestep();
        for (Timestep.ObjectInput o : ts.objects()) {
            float[] x = ((FeatureVector.Dense) o.features()).values();
            b.addDense(x, 0, o.target() != null, o.target() == null ? 0f : o.target().floatValue());
        }
        if (ts.sumTarget() != null) {
            b.setSumTarget((float) ts.sumTarget()[0]);
        }
        b.endTimestep();
        return b;
    }

    @Test
    void emitsOnePredictionPerObjectAndOneSumPerRecordAsInTheContract() {
        start(Map.of());
        Random rnd = new Random(1);
        topology.send("plant-7", record(rnd, 1042, 3, true, 25.1));
        List<TestRecord<String, ObjectPrediction>> out = topology.objects().readRecordsToList();
        assertThat(out).hasSize(3);
        assertThat(out).extracting(TestRecord::key).containsOnly("plant-7");
        assertThat(out).extracting(r -> r.value().getObject()).containsExactly("o0", "o1", "o2");
        ObjectPrediction first = out.get(0).value();
        assertThat(first.getSeries()).isEqualTo("plant-7");
        assertThat(first.getTimestep()).isEqualTo(1042L);
        assertThat(first.getTarget()).isNotNull();
        assertThat(first.getModelVersion()).isZero();
        TestRecord<String, SumPrediction> sum = topology.sums().readRecord();
        assertThat(sum.key()).isEqualTo("plant-7");
        assertThat(sum.value().getObjects()).isEqualTo(3);
        assertThat(sum.value().getSumTarget()).isEqualTo(25.1);
        assertThat(sum.value().getModelVersion()).isZero();
        double total = out.stream().mapToDouble(r -> r.value().getPrediction()).sum();
        assertThat(sum.value().getPrediction()).isCloseTo(total, within(1e-5));
        assertThat(topology.sums().isEmpty()).isTrue();
        assertThat(topology.deadLetters().isEmpty()).isTrue();

        // The model learned from the record: the next record's predictions carry version 1.
        topology.send("plant-7", record(rnd, 1043, 2, false, null));
        assertThat(topology.objects().readRecordsToList()).extracting(r -> r.value().getModelVersion())
                .containsOnly(1L);
        TestRecord<String, SumPrediction> unsupervised = topology.sums().readRecord();
        assertThat(unsupervised.value().getSumTarget()).isNull();
        assertThat(unsupervised.value().getModelVersion()).isEqualTo(1L);
        // No targets: predicted only, no update.
        topology.send("plant-7", record(rnd, 1044, 2, false, null));
        assertThat(topology.sums().readRecord().value().getModelVersion()).isEqualTo(1L);
        topology.objects().readRecordsToList();
    }

    @Test
    void predictionsComeFromTheModelBeforeItLearnedTheRecord() {
        start(Map.of());
        Random rnd = new Random(2);
        try (OnlineModel reference = Models.create(topology.config().modelSpec())) {
            for (int t = 0; t < 30; t++) {
                Timestep ts = record(rnd, t, 1 + t % 4, t % 5 != 4, t % 3 == 0 ? 1.5 : null);
                topology.send("s", ts);
                StepResult expected = reference.step(batchOf(ts), true);
                List<TestRecord<String, ObjectPrediction>> out = topology.objects().readRecordsToList();
                assertThat(out).hasSize(ts.objects().size());
                for (int i = 0; i < out.size(); i++) {
                    // The JSON carries the float32 prediction exactly (shortest float decimal).
                    assertThat((float) out.get(i).value().getPrediction())
                            .as("record %d object %d", t, i)
                            .isEqualTo(expected.objectPredictions()[i]);
                }
                assertThat((float) topology.sums().readRecord().value().getPrediction())
                        .isEqualTo(expected.sumPredictions()[0]);
            }
            KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
            assertThat(store.get("s").getModelVersion()).isEqualTo(reference.version());
        }
    }

    @Test
    void aRestoredStoreContinuesTheModelVersion() {
        start(Map.of());
        Random rnd = new Random(3);
        byte[] state;
        try (OnlineModel trained = Models.create(topology.config().modelSpec())) {
            for (int t = 0; t < 7; t++) {
                trained.step(batchOf(record(rnd, t, 2, true, null)), true);
            }
            state = trained.exportState();
            assertThat(trained.version()).isEqualTo(7);
        }
        KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
        store.put("s", ModelCheckpoint.newBuilder().setFormatVersion(1).setModelKey("s")
                .setSpecFingerprint(topology.config().modelSpec().fingerprint()).setModelVersion(7)
                .setModelState(ByteBuffer.wrap(state)).setMetrics(Map.of()).setLastTimesteps(Map.of("s", 6L))
                .setRecords(7).setUpdatedAtMs(0).build());
        topology.send("s", record(rnd, 6, 2, true, null));
        assertThat(topology.deadLetters().readRecord().headers().lastHeader("error.reason").value())
                .asString(StandardCharsets.UTF_8).isEqualTo("timestep-not-increasing");
        topology.send("s", record(rnd, 7, 2, true, null));
        assertThat(topology.sums().readRecord().value().getModelVersion()).isEqualTo(7L);
        topology.send("s", record(rnd, 8, 2, true, null));
        assertThat(topology.sums().readRecord().value().getModelVersion()).isEqualTo(8L);
        assertThat(store.get("s").getModelVersion()).isEqualTo(9L);
        assertThat(store.get("s").getRecords()).isEqualTo(9L);
    }

    @Test
    void badRecordsGoToDeadLettersAndTouchNothing() {
        start(Map.of());
        Random rnd = new Random(4);
        topology.send("s", record(rnd, 1, 2, true, null));
        topology.objects().readRecordsToList();
        topology.sums().readRecordsToList();
        KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
        ModelCheckpoint before = store.get("s");

        Map<String, byte[]> bad = new java.util.LinkedHashMap<>();
        bad.put("unparsable", "{not json".getBytes(StandardCharsets.UTF_8));
        bad.put("wrong-feature-count", "{\"timestep\":5,\"objects\":[{\"id\":\"a\",\"features\":[1,2],\"target\":1}]}"
                .getBytes(StandardCharsets.UTF_8));
        bad.put("index-out-of-range", ("{\"timestep\":5,\"objects\":[{\"id\":\"a\",\"features\":"
                + "{\"indices\":[7],\"values\":[1]},\"target\":1}]}").getBytes(StandardCharsets.UTF_8));
        bad.put("no-objects", "{\"timestep\":5,\"objects\":[]}".getBytes(StandardCharsets.UTF_8));
        bad.put("timestep-not-increasing", "{\"timestep\":1,\"objects\":[{\"id\":\"a\",\"features\":[1,2,3],\"target\":1}]}"
                .getBytes(StandardCharsets.UTF_8));
        Headers original = new RecordHeaders().add("trace", "t-1".getBytes(StandardCharsets.UTF_8));
        for (byte[] value : bad.values()) {
            topology.input().pipeInput(new TestRecord<>("s".getBytes(StandardCharsets.UTF_8), value, original));
        }
        List<TestRecord<byte[], byte[]>> letters = topology.deadLetters().readRecordsToList();
        assertThat(letters).hasSize(bad.size());
        List<String> reasons = new ArrayList<>();
        for (int i = 0; i < letters.size(); i++) {
            TestRecord<byte[], byte[]> letter = letters.get(i);
            reasons.add(header(letter, "error.reason"));
            assertThat(letter.value()).isEqualTo(new ArrayList<>(bad.values()).get(i));
            assertThat(letter.key()).isEqualTo("s".getBytes(StandardCharsets.UTF_8));
            assertThat(header(letter, "error.topic")).isEqualTo("features");
            assertThat(header(letter, "error.partition")).isEqualTo("0");
            assertThat(header(letter, "error.offset")).isEqualTo(String.valueOf(i + 1));
            assertThat(header(letter, "trace")).isEqualTo("t-1");
            assertThat(header(letter, "error.message")).isNotBlank();
        }
        assertThat(reasons).containsExactlyElementsOf(bad.keySet());
        assertThat(topology.objects().isEmpty()).isTrue();
        assertThat(topology.sums().isEmpty()).isTrue();
        ModelCheckpoint after = store.get("s");
        assertThat(after.getModelVersion()).isEqualTo(before.getModelVersion());
        assertThat(after.getModelState()).isEqualTo(before.getModelState());
        assertThat(after.getRecords()).isEqualTo(before.getRecords());
        assertThat(topology.metrics().deadLetters()).isEqualTo(bad.size());
    }

    @Test
    void globalScopeTrainsOneModelForAllSeries() {
        start(Map.of("model.scope", "global"));
        Random rnd = new Random(5);
        // The route topic has one partition; the test driver pipes it through in-process.
        topology.send("a", record(rnd, 1, 2, true, null));
        topology.send("b", record(rnd, 1, 2, true, null));
        topology.send("a", record(rnd, 2, 2, true, null));
        List<TestRecord<String, SumPrediction>> out = topology.sums().readRecordsToList();
        assertThat(out).extracting(TestRecord::key).containsExactly("a", "b", "a");
        assertThat(out).extracting(r -> r.value().getModelVersion()).containsExactly(0L, 1L, 2L);
        KeyValueStore<String, ModelCheckpoint> store = topology.store(Names.MODEL_STORE);
        // The series' last timesteps are in the series store, not in the one model's checkpoint.
        KeyValueStore<String, Long> series = topology.store(Names.SERIES_STORE);
        assertThat(series.get("a")).isEqualTo(2L);
        assertThat(series.get("b")).isEqualTo(1L);
        assertThat(store.get("global").getLastTimesteps()).isEmpty();
        assertThat(store.get("a")).isNull();
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
