package io.streamfit.app.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.cli.ConfigReader;
import io.streamfit.app.config.ConfigLoader;
import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.testing.TopologyHarness;
import io.streamfit.schemas.avro.ObjectPrediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first real use, {@code examples/first-model}: its configuration is valid as
 * {@code streamfit run} reads it (no unknown key, every value in range), the records its
 * {@code readings.sh} writes are accepted whole, and the model learns them: the error of the
 * last hours is well below that of the first.
 */
class FirstModelExampleTest {

    private static final Path EXAMPLE = Path.of("..", "examples", "first-model");

    @TempDir
    Path stateDir;

    @Test
    void theExampleConfigIsReadAsRunReadsIt() {
        StreamfitConfig cfg = exampleConfig();
        assertThat(cfg.features()).isEqualTo(4);
        assertThat(cfg.topics().features().name()).isEqualTo("meter-readings");
        assertThat(cfg.topics().labels()).as("targets come with the features").isEmpty();
    }

    @Test
    void theReadingsAreAcceptedAndTheModelLearnsThem() throws Exception {
        List<String> lines = readings(800);
        assertThat(lines).hasSize(1600);
        Map<String, String> props = new HashMap<>(loaded().values());
        props.put("state.dir", stateDir.toString());
        try (TopologyHarness h = TopologyHarness.start(props)) {
            for (String line : lines) {
                int bar = line.indexOf('|');
                h.send(line.substring(0, bar), line.substring(bar + 1).getBytes(StandardCharsets.UTF_8));
            }
            assertThat(h.deadLetters().readRecordsToList()).as("dead letters").isEmpty();
            List<ObjectPrediction> out = h.objects().readValuesToList();
            assertThat(out).as("5 flats of building-a and 3 of building-b, every hour").hasSize(800 * 8);
            double first = rmse(out, 1, 100);
            double last = rmse(out, 701, 800);
            assertThat(last).as("RMSE of hours 701-800 against hours 1-100 (%s)", first).isLessThan(first / 4);
        }
    }

    private static ConfigLoader.Loaded loaded() {
        return ConfigReader.read(EXAMPLE.resolve("app.properties"), "--config", Map.of(), Map.of());
    }

    private static StreamfitConfig exampleConfig() {
        return ConfigReader.config(loaded());
    }

    private static List<String> readings(int hours) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", EXAMPLE.resolve("readings.sh").toString(), String.valueOf(hours))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return new ArrayList<>(out.lines().toList());
    }

    private static double rmse(List<ObjectPrediction> out, long fromHour, long toHour) {
        double sum = 0;
        int n = 0;
        for (ObjectPrediction p : out) {
            if (p.getTimestep() >= fromHour && p.getTimestep() <= toHour) {
                double e = p.getPrediction() - p.getTarget();
                sum += e * e;
                n++;
            }
        }
        assertThat(n).isPositive();
        return Math.sqrt(sum / n);
    }
}
