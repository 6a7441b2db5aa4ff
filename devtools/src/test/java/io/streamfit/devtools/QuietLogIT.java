package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.streamfit.app.testing.Slow;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A healthy demo, run as a user runs it ({@code ./streamfit demo}, the launcher script, so that the
 * JVM's and TensorFlow's native output both count), prints no ERROR, no WARN, no stack trace and no
 * TensorFlow INFO line, from start to stop, on a new data directory and again on a restart on the
 * same one; the progress line that ends it is printed once.
 *
 * <p>It runs the jar and the class path that the package phase left in {@code target/}; it is
 * skipped, saying so, where they are missing (a run of the ITs without {@code package}).
 */
@Slow
class QuietLogIT {

    /**
     * What a quiet log holds none of: log levels, stack frames, exceptions, absl's lines and banner,
     * TensorFlow's own native lines ({@code 2026-01-01 10:00:00.123456: I tensorflow/...}).
     */
    private static final Pattern NOISE = Pattern.compile(
            " (ERROR|WARN) |^\\s+at |Exception|^Caused by|^WARNING|^[IWEF]\\d{4} \\d\\d:\\d\\d:\\d+\\.\\d{6} |"
                    + "^\\d{4}-\\d\\d-\\d\\dT.* (main )?ERROR |^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+: [IWEF] ");

    @Test
    void aDemoFromStartToStopPrintsNoErrorWarningOrStackTraceOnANewDataDirAndOnARestart() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target", "streamfit-devtools.jar"))
                && Files.isDirectory(Path.of("target", "lib")),
                "QuietLogIT runs ./streamfit on target/streamfit-devtools.jar and target/lib: run it after package");
        // Not under /tmp where that is possible: Kafka Streams warns about a state dir in the OS's
        // temp directory (see demo() for a checkout that is there anyway).
        Path data = Path.of("target", "quiet-log-it").toAbsolutePath();
        deleteTree(data);
        List<String> first = demo(data, "first");
        assertThat(first).anyMatch(l -> l.contains("INFO") && l.contains("Created topics [features,"));
        // The same data dir: the broker reopens its log, the app restores its model.
        List<String> restart = demo(data, "restart");
        assertThat(restart).noneMatch(l -> l.contains("Created topics"));
        deleteTree(data);
    }

    /** Runs {@code ./streamfit demo} on {@code data} for a few seconds; its output, checked. */
    private static List<String> demo(Path data, String name) throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path log = Path.of("target", "quiet-log-it-" + name + ".log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(root.resolve("streamfit").toString(), "demo", "--duration", "12s",
                "--port", "0", "--http-port", "0", "--data-dir", data.toString(), "--progress-interval", "4s")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("STREAMFIT_SKIP_BUILD", "1");
        // Kafka Streams warns about a state dir under java.io.tmpdir; a checkout under /tmp (a CI
        // clone, say) would put the demo's there. Where the checkout lives is not the demo's noise.
        Path tmp = Files.createDirectories(data.resolveSibling("quiet-log-it-tmp"));
        env.put("STREAMFIT_JAVA_OPTS", "-Xmx2g -Djava.io.tmpdir=" + tmp);
        // What a user's shell would not set: the launcher chooses TensorFlow's level itself.
        env.remove("TF_CPP_MIN_LOG_LEVEL");
        env.remove("STREAMFIT_ROOT_LOG_LEVEL");
        env.remove("STREAMFIT_KAFKA_LOG_LEVEL");
        Process p = pb.start();
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).as("the demo stops by itself").isTrue();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        lines.forEach(System.out::println);
        assertThat(p.exitValue()).as(name).isZero();
        assertThat(lines).as(name).filteredOn(l -> NOISE.matcher(l).find()).isEmpty();
        assertThat(lines).anyMatch(l -> l.contains("INFO") && l.contains("Starting streamfit: model=regressor m=8"));
        assertThat(lines).anyMatch(l -> l.startsWith("Stopped cleanly."));
        List<String> progress = lines.stream().filter(l -> l.contains(" records/s | ")).toList();
        assertThat(progress).as(name).hasSizeGreaterThanOrEqualTo(2);
        // The last line comes once: no repeats of it while the deadline nears.
        String last = progress.get(progress.size() - 1);
        assertThat(progress.subList(0, progress.size() - 1)).as(name).doesNotContain(last);
        return lines;
    }

    private static void deleteTree(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }
}
