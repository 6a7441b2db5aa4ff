package io.streamfit.app.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void lineShowsEpochRecordsRateEtaLossAndSkipped() {
        // 1,500 of 3,000 offsets in 10 s: 150 rec/s, 1,500 left: 10 s.
        Progress p = new Progress(2, 3, 500, 1_000, 10 * SECOND, 0.0412, 3);
        assertThat(ProgressBar.format(p))
                .isEqualTo("epoch 2/3 [##########----------] 500/1,000  150 rec/s  ETA 0:10  loss 0.0412  skipped 3");
    }

    @Test
    void etaIsThatOfTheWholeRun() {
        // Pass 1 of 4, 250 of 10,000 in 5 s: 50 rec/s; 39,750 left: 795 s = 13:15.
        Progress p = new Progress(1, 4, 250, 10_000, 5 * SECOND, Double.NaN, 0);
        assertThat(ProgressBar.format(p)).contains("[--------------------]", "250/10,000", "50 rec/s", "ETA 13:15",
                "loss -");
        // Hours: 1 rec/s with 3,725 left.
        Progress slow = new Progress(1, 1, 10, 3_735, 10 * SECOND, 1.5e-5, 0);
        assertThat(ProgressBar.format(slow)).contains("1 rec/s", "ETA 1:02:05", "loss 1.500e-05");
    }

    @Test
    void unknownRateAndFinishedRun() {
        assertThat(ProgressBar.format(new Progress(1, 2, 0, 100, 0, Double.NaN, 0))).contains("? rec/s", "ETA ?");
        assertThat(ProgressBar.format(new Progress(2, 2, 100, 100, 4 * SECOND, 0.5, 0)))
                .contains("[####################]", "50 rec/s", "ETA 0:00", "loss 0.5000");
        // An empty history is done at once.
        assertThat(ProgressBar.bar(0, 0)).isEqualTo("[####################]");
    }

    @Test
    void terminalRewritesOneLineAtMostEveryInterval() {
        StringWriter out = new StringWriter();
        AtomicLong clock = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintWriter(out), true, 5_000, clock::get);
        bar.progress(new Progress(1, 1, 10, 100, SECOND, 0.5, 0));
        clock.addAndGet(100_000_000L); // 100 ms: too soon
        bar.progress(new Progress(1, 1, 20, 100, SECOND, 0.5, 0));
        clock.addAndGet(150_000_000L);
        bar.progress(new Progress(1, 1, 30, 100, SECOND, 0.5, 0));
        bar.passFinished(new Progress(1, 1, 100, 100, 2 * SECOND, 0.25, 0));
        String s = out.toString();
        assertThat(s).startsWith("\repoch 1/1").doesNotContain(" 20/100").contains(" 30/100")
                .endsWith(System.lineSeparator());
        assertThat(s.split("\r", -1)).hasSize(4); // three prints, each starting with \r
        assertThat(s.split(System.lineSeparator(), -1)).hasSize(2); // one line end: the pass's
    }

    @Test
    void notATerminalPrintsALineEveryInterval() {
        StringWriter out = new StringWriter();
        AtomicLong clock = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintWriter(out), false, 5_000, clock::get);
        for (int i = 1; i <= 100; i++) {
            clock.addAndGet(200_000_000L); // 20 s in all
            bar.progress(new Progress(1, 1, i, 100, clock.get(), 0.5, 0));
        }
        bar.passFinished(new Progress(1, 1, 100, 100, clock.get(), 0.5, 0));
        String s = out.toString();
        assertThat(s).doesNotContain("\r");
        // Every 5 s from the first progress at 0.2 s (5.2, 10.2, 15.2), and the pass's end.
        assertThat(s.lines().toList()).hasSize(4);
        assertThat(s.lines().toList().get(0)).contains(" 26/100");
    }
}
