package io.streamfit.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is what {@link ConfigDocs} renders from the key definitions. */
class ConfigurationDocsTest {

    @Test
    void docsFileIsTheRenderingOfTheDefinitions() throws Exception {
        Path file = ConfigDocs.defaultFile();
        assertThat(file).as("%s is missing; generate it from the repository root with: %s", ConfigDocs.FILE,
                ConfigDocs.REGENERATE).exists();
        assertThat(Files.readString(file, StandardCharsets.UTF_8))
                .as("%s is out of date with StreamfitConfig's key definitions; regenerate it from the repository "
                        + "root with: %s", ConfigDocs.FILE, ConfigDocs.REGENERATE)
                .isEqualTo(ConfigDocs.render());
    }

    @Test
    void everyKeyHasExactlyOneRowWithItsDefault() {
        String md = ConfigDocs.render();
        for (ConfigDef.ConfigKey key : StreamfitConfig.configDef().configKeys().values()) {
            assertThat(Pattern.compile("^\\| `" + Pattern.quote(key.name) + "` \\|", Pattern.MULTILINE)
                    .matcher(md).results().count()).as(key.name).isEqualTo(1);
        }
        assertThat(md).contains("| `optimizer.beta2` | double | `0.999` |")
                .contains("| `model.features` | int | (required) |")
                .contains("| `optimizer.epsilon` | double | (none) |")
                .contains("Default: 1e-8 for adam, 1e-10 for rmsprop.")
                .contains("\n## Optimizer\n").contains("\n## Topics\n");
    }
}
