package io.streamfit.app.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.streamfit.app.names.Names;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code features.scaling=standard} through the stream processor: the feature moments are in
 * every checkpoint, and a task that restarts from its stores predicts bit for bit as one that
 * never stopped.
 */
class FeatureScalingTopologyTest {

    private static final int M = 3;
    private static final int K = 2;

    @TempDir
    Path stateDir;

    /** Features far from 0 on unequal scales (a level of 1000, a spread of 0.01), the last one constant. */
    private static Timestep record(Random rnd, long t) {
        List<Timestep.ObjectInput> objs = new ArrayList<>();
        for (int i = 0; i < K; i++) {
            double a = rnd.nextGaussian();
            double b = rnd.nextGaussian();
            float[] x = {(float) (1000 + 50 * a), (float) (0.01 * b), 4f};
            objs.add(new Timestep.ObjectInput("o" + i, new FeatureVector.Dense(x), a - 2 * b + 0.05 * rnd.nextGaussian(),
                    null));
        }
        return new Timestep("s", t, objs, null);
    }

    private Map<String, String> props(String dir) {
        Map<String, String> p = TestConfigs.regressor(M).app("scaling").with("model.hidden", 8)
                .with("optimizer.learning.rate", 0.01).with("features.scaling", "standard").toMap();
        p.put("state.dir", stateDir.resolve(dir).toString());
        return p;
    }

    @Test
    void theFeatureMomentsSurviveARestartBitForBit() {
        List<Double> uninterrupted = new ArrayList<>();
        ModelCheckpoint end;
        try (TopologyHarness h = TopologyHarness.start(props("one"))) {
            Random rnd = new Random(21);
            for (int t = 0; t < 200; t++) {
                h.send(record(rnd, t));
                h.objects().readValuesToList().forEach(p -> uninterrupted.add(p.getPrediction()));
            }
            end = h.storeValue(Names.MODEL_STORE, "s");
        }
        assertThat(end.getLearning().getFeatureMoments().getCount()).isEqualTo(200L * K);
        assertThat(end.getLearning().getFeatureMoments().getMean().get(0)).isBetween(990.0, 1010.0);

        Random rnd = new Random(21);
        List<Double> restarted = new ArrayList<>();
        ModelCheckpoint saved;
        try (TopologyHarness h = TopologyHarness.start(props("two"))) {
            for (int t = 0; t < 100; t++) {
                h.send(record(rnd, t));
                h.objects().readValuesToList().forEach(p -> restarted.add(p.getPrediction()));
            }
            saved = h.storeValue(Names.MODEL_STORE, "s");
        }
        List<Timestep> rest = new ArrayList<>();
        for (int t = 100; t < 200; t++) {
            rest.add(record(rnd, t));
        }
        restarted.addAll(continueFrom(saved, "three", rest));
        assertThat(restarted).hasSize(200 * K).containsExactlyElementsOf(uninterrupted);

        // The same checkpoint without its moments: the scaler starts again, and the predictions
        // part from the uninterrupted ones (so the comparison above can fail).
        saved.getLearning().setFeatureMoments(null);
        List<Double> withoutMoments = continueFrom(saved, "four", rest);
        assertThat(withoutMoments.get(0)).isNotEqualTo(uninterrupted.get(100 * K));
    }

    /** The predictions of {@code records} by a task whose model store starts with {@code checkpoint}. */
    private List<Double> continueFrom(ModelCheckpoint checkpoint, String dir, List<Timestep> records) {
        List<Double> out = new ArrayList<>();
        try (TopologyHarness h = TopologyHarness.start(new HashMap<>(props(dir)))) {
            h.<ModelCheckpoint>store(Names.MODEL_STORE).put("s", checkpoint);
            for (Timestep ts : records) {
                h.send(ts);
                h.objects().readValuesToList().forEach(p -> out.add(p.getPrediction()));
            }
        }
        return out;
    }
}
