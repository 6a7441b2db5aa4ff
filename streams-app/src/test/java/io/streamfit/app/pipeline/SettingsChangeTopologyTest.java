package io.streamfit.app.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.streamfit.app.errors.ModelMismatchException;
import io.streamfit.app.names.Names;
import io.streamfit.app.runtime.StreamfitApp;
import io.streamfit.app.state.SettingsChangeLog;
import io.streamfit.app.testing.TestConfigs;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.ModelCheckpoint;
import io.streamfit.schemas.avro.ObjectPrediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A restart under changed settings, from the stores as the changelogs hold them: a changed
 * learning rate or optimizer applies to the saved models (same weights, same version, one log
 * line however many models load), a changed hidden size stops with the one line that names the
 * setting and the ways out; for a challenger the same, under its {@code challenger.NAME.*} keys.
 */
class SettingsChangeTopologyTest {

    private static final String[] SERIES = {"a", "b", "c"};

    @TempDir
    Path dir;

    private int runs;

    private static Timestep record(String series, long t, boolean target) {
        return new Timestep(series, t, List.of(new Timestep.ObjectInput("o", new FeatureVector.Dense(
                new float[] {t % 3, 1, 2 - t % 2}), target ? 0.5 * (t % 3) : null, null)), null);
    }

    private Map<String, String> config(Object... overrides) {
        TestConfigs.Builder b = TestConfigs.regressor(3).app("settings").stateDir(dir.resolve("run-" + runs++))
                .with("batch.timesteps", 1).with("model.hidden", 4).with("optimizer.learning.rate", 0.01);
        for (int i = 0; i < overrides.length; i += 2) {
            b.with((String) overrides[i], overrides[i + 1]);
        }
        return b.toMap();
    }

    /** The stores after every series learned timesteps 1 to 5 under {@code config}. */
    private static Map<String, Map<String, Object>> trained(Map<String, String> config) {
        try (TopologyHarness h = TopologyHarness.start(config)) {
            for (long t = 1; t <= 5; t++) {
                for (String s : SERIES) {
                    h.send(record(s, t, true));
                }
            }
            return h.storeContents();
        }
    }

    /** Predictions of every series' timestep {@code t} without a target (nothing learns). */
    private static List<ObjectPrediction> probe(TopologyHarness h, long t) {
        for (String s : SERIES) {
            h.send(record(s, t, false));
        }
        return h.objects().readValuesToList();
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(SettingsChangeLog.class)).addAppender(logs);
        return logs;
    }

    private static void release(ListAppender<ILoggingEvent> logs) {
        ((Logger) LoggerFactory.getLogger(SettingsChangeLog.class)).detachAppender(logs);
    }

    @Test
    void aNewLearningRateAppliesToTheSavedModelsWhichKeepTheirWeightsAndSayItOnce() {
        Map<String, Map<String, Object>> saved = trained(config());
        List<ObjectPrediction> before;
        List<ObjectPrediction> afterTrainingBefore;
        try (TopologyHarness same = TopologyHarness.start(config())) {
            same.restoreStores(saved);
            before = probe(same, 6);
            same.send(record("a", 7, true));
            same.objects().readValuesToList();
            afterTrainingBefore = probe(same, 8);
        }
        ListAppender<ILoggingEvent> logs = capture();
        try (TopologyHarness changed = TopologyHarness.start(config("optimizer.learning.rate", 0.05,
                "loss.weight", 0.8))) {
            changed.restoreStores(saved);
            List<ObjectPrediction> after = probe(changed, 6);
            assertThat(after).extracting(ObjectPrediction::getPrediction)
                    .containsExactlyElementsOf(before.stream().map(ObjectPrediction::getPrediction).toList());
            assertThat(after).extracting(ObjectPrediction::getModelVersion).containsOnly(5L);

            changed.send(record("a", 7, true));
            changed.objects().readValuesToList();
            List<ObjectPrediction> learned = probe(changed, 8);
            assertThat(learned.get(0).getModelVersion()).isEqualTo(6);
            assertThat(learned.get(0).getPrediction()).as("the new rate moved the weights otherwise")
                    .isNotEqualTo(afterTrainingBefore.get(0).getPrediction());
            ModelCheckpoint a = changed.storeValue(Names.MODEL_STORE, "a");
            assertThat(a.getSpecFingerprint()).isEqualTo(changed.config().modelSpec().fingerprint());
        } finally {
            release(logs);
        }
        assertThat(logs.list).as("three models loaded, one line").singleElement().satisfies(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.INFO);
            assertThat(e.getFormattedMessage()).isEqualTo("Settings changed since the saved models of application.id "
                    + "'settings' were trained: loss.weight 0.5 -> 0.8, optimizer.learning.rate 0.01 -> 0.05; they "
                    + "keep their weights and optimizer state and learn with the new settings from their next update "
                    + "(first: model 'a')");
        });
    }

    @Test
    void anotherOptimizerKeepsTheWeightsAndSaysItsStateStartsOver() {
        Map<String, Map<String, Object>> saved = trained(config());
        List<ObjectPrediction> before;
        try (TopologyHarness same = TopologyHarness.start(config())) {
            same.restoreStores(saved);
            before = probe(same, 6);
        }
        ListAppender<ILoggingEvent> logs = capture();
        try (TopologyHarness changed = TopologyHarness.start(config("optimizer", "momentum", "model.seed", 7))) {
            changed.restoreStores(saved);
            assertThat(probe(changed, 6)).extracting(ObjectPrediction::getPrediction)
                    .containsExactlyElementsOf(before.stream().map(ObjectPrediction::getPrediction).toList());
            changed.send(record("b", 7, true));
            changed.objects().readValuesToList();
            assertThat(probe(changed, 8).get(1).getModelVersion()).isEqualTo(6);
        } finally {
            release(logs);
        }
        assertThat(logs.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).isEqualTo(
                "Settings changed since the saved models of application.id 'settings' were trained: optimizer adam -> "
                        + "momentum, model.seed 42 -> 7; they keep their weights and start the optimizer's state over "
                        + "(adam's does not fit momentum) and learn with the new settings from their next update "
                        + "(first: model 'a')");
    }

    @Test
    void anotherHiddenSizeStopsWithOneLineThatNamesTheSettingAndTheWaysOut() {
        Map<String, Map<String, Object>> saved = trained(config());
        try (TopologyHarness changed = TopologyHarness.start(config("model.hidden", "8,2"))) {
            changed.restoreStores(saved);
            assertThatThrownBy(() -> changed.send(record("a", 6, true))).satisfies(e -> {
                ModelMismatchException m = StreamfitApp.modelMismatch(e);
                assertThat(m).isNotNull();
                assertThat(m.getMessage()).isEqualTo("model.hidden=8,2 does not fit the saved models of "
                        + "application.id 'settings', trained with model.hidden=4 (a setting that shapes the weights); "
                        + "set it back, use a new application.id, or delete the saved models with 'streamfit reset'");
            });
        }
    }

    @Test
    void aSequenceModelsWindowShapesItsStateAndItsLearningRateDoesNot() {
        Map<String, String> four = TestConfigs.sequence("lstm-regressor", 3, 4).app("settings")
                .stateDir(dir.resolve("run-" + runs++)).with("model.hidden", 4).toMap();
        Map<String, Map<String, Object>> saved;
        try (TopologyHarness h = TopologyHarness.start(four)) {
            for (long t = 1; t <= 6; t++) {
                h.send(record("a", t, true));
            }
            saved = h.storeContents();
        }
        Map<String, String> faster = new java.util.HashMap<>(four);
        faster.put("optimizer.learning.rate", "0.05");
        faster.put("state.dir", dir.resolve("run-" + runs++).toString());
        try (TopologyHarness h = TopologyHarness.start(faster)) {
            h.restoreStores(saved);
            h.send(record("a", 7, true));
            ModelCheckpoint a = h.storeValue(Names.MODEL_STORE, "a");
            assertThat(a.getModelVersion()).as("it goes on from its saved version").isGreaterThan(1);
        }
        Map<String, String> six = new java.util.HashMap<>(four);
        six.put("model.window", "6");
        six.put("state.dir", dir.resolve("run-" + runs++).toString());
        try (TopologyHarness h = TopologyHarness.start(six)) {
            h.restoreStores(saved);
            assertThatThrownBy(() -> h.send(record("a", 7, true))).satisfies(e ->
                    assertThat(StreamfitApp.modelMismatch(e).getMessage()).isEqualTo("model.window=6 does not fit "
                            + "the saved models of application.id 'settings', trained with model.window=4 (a setting "
                            + "that shapes the weights); set it back, use a new application.id, or delete the saved "
                            + "models with 'streamfit reset'"));
        }
    }

    @Test
    void aChallengerFollowsTheSameRulesUnderItsOwnKeys() {
        Map<String, Map<String, Object>> saved = trained(config("challengers", "b", "challenger.b.model.hidden", 6,
                "challenger.b.optimizer.learning.rate", 0.02));
        assertThat(saved.get(Names.MODEL_STORE)).containsKey(Names.challengerKey("a", "b"));

        ListAppender<ILoggingEvent> logs = capture();
        try (TopologyHarness faster = TopologyHarness.start(config("challengers", "b", "challenger.b.model.hidden", 6,
                "challenger.b.optimizer.learning.rate", 0.04))) {
            faster.restoreStores(saved);
            faster.send(record("a", 6, true));
            ModelCheckpoint challenger = faster.storeValue(Names.MODEL_STORE, Names.challengerKey("a", "b"));
            assertThat(challenger.getModelVersion()).isEqualTo(6);
        } finally {
            release(logs);
        }
        assertThat(logs.list).singleElement().extracting(ILoggingEvent::getFormattedMessage).isEqualTo(
                "Settings changed since the saved models of challenger 'b' of application.id 'settings' were trained: "
                        + "challenger.b.optimizer.learning.rate 0.02 -> 0.04; they keep their weights and optimizer "
                        + "state and learn with the new settings from their next update (first: model 'a')");

        try (TopologyHarness reshaped = TopologyHarness.start(config("challengers", "b", "challenger.b.model.hidden", 3,
                "challenger.b.optimizer.learning.rate", 0.02))) {
            reshaped.restoreStores(saved);
            assertThatThrownBy(() -> reshaped.send(record("a", 6, true))).satisfies(e ->
                    assertThat(StreamfitApp.modelMismatch(e).getMessage()).isEqualTo("challenger.b.model.hidden=3 "
                            + "does not fit the saved models of challenger 'b' of application.id 'settings', trained "
                            + "with challenger.b.model.hidden=6 (a setting that shapes the weights); set it back, "
                            + "rename the challenger, use a new application.id, or delete the saved models with "
                            + "'streamfit reset'"));
        }
    }
}
