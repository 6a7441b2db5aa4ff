package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ChallengersConfigTest {

    private static StreamfitConfig config(String... kv) {
        Map<String, String> p = new HashMap<>(Map.of("model.features", "4"));
        for (int i = 0; i < kv.length; i += 2) {
            p.put(kv[i], kv[i + 1]);
        }
        return new StreamfitConfig(p);
    }

    @Test
    void eachChallengerIsTheChampionsConfigurationWithItsOverrides() {
        StreamfitConfig c = config("optimizer.learning.rate", "0.001", "challengers", "a,b",
                "challenger.a.optimizer.learning.rate", "0.01", "challenger.b.model.hidden", "128,64",
                "challenger.promote.after", "500");
        assertThat(c.challengers()).extracting(Challengers.Challenger::name).containsExactly("a", "b");
        assertThat(c.challengers().get(0).overrides()).containsExactly(Map.entry("optimizer.learning.rate", "0.01"));
        assertThat(c.challengers().get(0).kind().spec().fingerprint()).isNotEqualTo(c.kind().spec().fingerprint());
        assertThat(c.challengers().get(1).kind().spec().hidden()).containsExactly(128, 64);
        assertThat(c.challengers().get(1).kind().spec().features()).isEqualTo(4);
        assertThat(c.getLong(StreamfitConfig.CHALLENGER_PROMOTE_AFTER)).isEqualTo(500);
        // The overrides are streamfit's, not the Kafka clients'.
        assertThat(c.streamsProperties()).doesNotContainKey("challenger.a.optimizer.learning.rate");
        assertThat(config().challengers()).isEmpty();
    }

    @Test
    void whatAChallengerCannotBeIsRefusedWithTheKey() {
        assertThatThrownBy(() -> config("challengers", "a", "challenger.c.optimizer.learning.rate", "0.1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("challenger.c.optimizer.learning.rate")
                .hasMessageContaining("does not list");
        assertThatThrownBy(() -> config("challengers", "a", "challenger.a.model.features", "8"))
                .hasMessageContaining("challenger.a.model.features").hasMessageContaining("inputs and outputs");
        assertThatThrownBy(() -> config("challengers", "a", "challenger.a.topic.features", "x"))
                .hasMessageContaining("model.*, loss.* and optimizer.*");
        assertThatThrownBy(() -> config("challengers", "a", "challenger.a.optimiser", "sgd"))
                .hasMessageContaining("'optimiser' is not a streamfit key");
        assertThatThrownBy(() -> config("challengers", "a", "challenger.a.optimizer.learning.rate", "-1"))
                .hasMessageContaining("challenger.a").hasMessageContaining("optimizer.learning.rate");
        assertThatThrownBy(() -> config("challengers", "champion")).hasMessageContaining("not 'champion'");
        assertThatThrownBy(() -> config("challengers", "a,a")).hasMessageContaining("named twice");
        assertThatThrownBy(() -> config("challengers", "A b")).hasMessageContaining("[a-z0-9_-]");
        assertThatThrownBy(() -> config("model.kind", "lstm-regressor", "challengers", "a"))
                .hasMessageContaining("stores of its own");
    }

    @Test
    void settingsGivenAsObjectsByCodeWork() {
        Map<String, Object> p = new HashMap<>(Map.of("model.features", 4, "consumer.session.timeout.ms", 10_000,
                "challengers", "a", "challenger.a.optimizer.learning.rate", 0.01));
        StreamfitConfig c = new StreamfitConfig(p);
        assertThat(c.challengers()).singleElement()
                .satisfies(ch -> assertThat(ch.overrides()).containsEntry("optimizer.learning.rate", "0.01"));
    }
}
