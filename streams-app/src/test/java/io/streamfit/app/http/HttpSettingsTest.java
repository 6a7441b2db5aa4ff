package io.streamfit.app.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The http.* keys reach the server's settings, and nonsense is refused when the configuration loads. */
class HttpSettingsTest {

    @Test
    void theDefaultsAreTheKeysDefaults() {
        assertThat(HttpSettings.from(new StreamfitConfig(Map.of("model.features", "2"))))
                .isEqualTo(HttpSettings.DEFAULTS);
    }

    @Test
    void everyKeyIsRead() {
        StreamfitConfig cfg = new StreamfitConfig(Map.of("model.features", "2", "http.threads", "3",
                "http.queue.size", "0", "http.read.timeout.ms", "700", "http.idle.timeout.ms", "900",
                "http.models.limit.default", "20", "http.models.limit.max", "50"));
        assertThat(HttpSettings.from(cfg)).isEqualTo(new HttpSettings(3, 0, 700, 900, 20, 50));
    }

    @Test
    void aDefaultPageAboveTheMaximumIsTheMaximum() {
        assertThat(new HttpSettings(1, 1, 1000, 1000, 500, 200).defaultLimit()).isEqualTo(200);
    }

    @Test
    void outOfRangeValuesAreRefused() {
        for (Map.Entry<String, String> bad : Map.of("http.threads", "0", "http.queue.size", "-1",
                "http.read.timeout.ms", "0", "http.models.limit.max", "0").entrySet()) {
            assertThatThrownBy(() -> new StreamfitConfig(Map.of("model.features", "2", bad.getKey(), bad.getValue())))
                    .as(bad.getKey()).isInstanceOf(ConfigException.class).hasMessageContaining(bad.getKey());
        }
    }
}
