package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.streamfit.app.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's commands load their configuration before anything decodes Avro, so the Avro limits
 * derived from it are in force. Avro reads its limits once per JVM: each case runs in a JVM of its own.
 */
class ServiceConfigOptionTest {

    @TempDir
    Path dir;

    private Map<String, String> probe(String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), AvroLimitsAtStartProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("STREAMFIT_"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> values = new HashMap<>();
        out.lines().filter(l -> l.matches("[a-zA-Z]+=.*")).forEach(l -> values.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return values;
    }

    @Test
    void loadingTheConfigurationPutsAvrosLimitsInForce() throws Exception {
        Path file = TestConfigs.regressor(3).with("max.record.bytes", 12345).writeTo(dir.resolve("streamfit.properties"));

        Map<String, String> fresh = probe(file.toString());
        Map<String, String> late = probe(file.toString(), "avro-first");

        assertThat(fresh).containsEntry("inForce", "true").containsEntry("string", "12345");
        // The control: had Avro been used before, its limits would stay what they were.
        assertThat(late).containsEntry("inForce", "false");
    }
}
