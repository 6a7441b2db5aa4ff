package io.streamfit.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.streamfit.app.testing.Slow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streamfit demo} as a user runs it (on free ports here): it starts, learns, prints progress
 * lines with the errors next to their noise floors, stops cleanly after --duration, and a second
 * run on the same data directory continues the model.
 */
@Slow
class DemoCommandIT {

    private static final Pattern PROGRESS = Pattern.compile(
            "records/s \\|\\s+([\\d,]+) processed.*up to v([\\d,]+) \\| object RMSE ([\\d.]+) \\(noise floor 0\\.200\\) "
                    + "\\| sum RMSE ([\\d.]+) \\(noise floor");

    @TempDir
    Path dir;

    private record Run(int code, List<String> lines) {
    }

    private Run demo(String duration) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            code = DevCli.commandLine().execute("demo", "--duration", duration, "--port", "0",
                    "--http-port", "0", "--data-dir", dir.toString(), "--rate", "300", "--progress-interval", "3s");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return new Run(code, out.lines().toList());
    }

    private static long lastVersion(List<String> lines) {
        long v = -1;
        for (String l : lines) {
            Matcher m = PROGRESS.matcher(l);
            if (m.find()) {
                v = Long.parseLong(m.group(2).replace(",", ""));
            }
        }
        return v;
    }

    @Test
    void demoLearnsAndARestartContinues() {
        Run first = demo("40s");
        assertThat(first.code()).isZero();
        assertThat(first.lines().get(0)).contains("streamfit demo: Kafka at localhost:", "noise sigma=0.200");
        assertThat(first.lines()).anyMatch(l -> l.startsWith("Stopped cleanly"));
        List<Matcher> progress = first.lines().stream().map(PROGRESS::matcher).filter(Matcher::find).toList();
        assertThat(progress).isNotEmpty();
        Matcher last = progress.get(progress.size() - 1);
        assertThat(Long.parseLong(last.group(1).replace(",", ""))).isGreaterThan(1000);
        double rmse = Double.parseDouble(last.group(3));
        // Learning is under way: well below the ~1.0 RMSE of an untrained model.
        assertThat(rmse).isLessThan(0.6);
        long v1 = lastVersion(first.lines());

        Run second = demo("20s");
        assertThat(second.code()).isZero();
        List<Matcher> more = second.lines().stream().map(PROGRESS::matcher).filter(Matcher::find)
                .filter(m -> Long.parseLong(m.group(2).replace(",", "")) > 0).toList();
        assertThat(more).isNotEmpty();
        assertThat(Long.parseLong(more.get(0).group(2).replace(",", ""))).isGreaterThanOrEqualTo(v1);
        assertThat(lastVersion(second.lines())).isGreaterThan(v1);
    }
}
