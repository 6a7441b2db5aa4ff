package io.streamfit.app.backfill;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The backfill's progress on stderr: on a terminal one line rewritten in place ({@code \r}) at
 * most every {@value #TERMINAL_INTERVAL_MS} ms, else (a log file, CI) a new line every
 * {@code interval} from the first progress on; and a final line at the end of every pass. A line reads
 *
 * <pre>epoch 2/3 [#########-----------] 1,234/2,000  1,850 rec/s  ETA 0:42  loss 0.0412  skipped 3</pre>
 *
 * <p>The rate is over all passes so far (records by input offset per second of wall time), the
 * ETA that of the whole run at that rate, the loss the mean update loss of the current pass.
 */
public final class ProgressBar implements Backfill.Listener {

    static final long TERMINAL_INTERVAL_MS = 200;
    private static final int BAR_WIDTH = 20;

    private final PrintWriter out;
    private final boolean terminal;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long lastPrint = Long.MIN_VALUE;
    private int lastLength;

    /**
     * @param out        where lines go (stderr)
     * @param terminal   whether {@code out} is a terminal: then one line is rewritten in place
     * @param intervalMs least time between two lines when not a terminal, milliseconds (>= 0)
     * @param clock      nanosecond clock ({@link System#nanoTime} outside tests)
     */
    public ProgressBar(PrintWriter out, boolean terminal, long intervalMs, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos = (terminal ? TERMINAL_INTERVAL_MS : intervalMs) * 1_000_000L;
        this.clock = clock;
    }

    @Override
    public void progress(Progress p) {
        long now = clock.getAsLong();
        if (lastPrint == Long.MIN_VALUE && !terminal) {
            // The first second's rate is mostly start-up (the first fetch, building the graph): a log
            // gets its first line once there is a rate worth reading.
            lastPrint = now;
            return;
        }
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < intervalNanos) {
            return;
        }
        lastPrint = now;
        print(format(p), false);
    }

    @Override
    public void passFinished(Progress p) {
        lastPrint = clock.getAsLong();
        print(format(p), true);
    }

    private void print(String line, boolean last) {
        if (terminal) {
            // Pad over the rest of a longer previous line.
            int pad = Math.max(0, lastLength - line.length());
            out.print("\r" + line + " ".repeat(pad) + (last ? System.lineSeparator() : ""));
            lastLength = last ? 0 : line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** One progress line (without line end). */
    public static String format(Progress p) {
        double seconds = p.elapsedNanos() / 1e9;
        double rate = seconds > 0 ? p.overallDone() / seconds : Double.NaN;
        long remaining = p.overallTotal() - p.overallDone();
        String eta;
        if (remaining == 0) {
            eta = duration(0);
        } else if (!(rate > 0)) {
            eta = "?";
        } else {
            eta = duration(Math.round(remaining / rate));
        }
        return String.format(Locale.ROOT, "epoch %d/%d %s %,d/%,d  %s rec/s  ETA %s  loss %s  skipped %,d",
                p.pass(), p.passes(), bar(p.passDone(), p.passTotal()), p.passDone(), p.passTotal(),
                Double.isNaN(rate) ? "?" : String.format(Locale.ROOT, "%,.0f", rate), eta, loss(p.passLoss()),
                p.passSkipped());
    }

    /** {@code [####----]}: the share of the pass done, in {@value #BAR_WIDTH} cells (full when empty). */
    static String bar(long done, long total) {
        int filled = total <= 0 ? BAR_WIDTH : (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
        return "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "]";
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }

    private static String loss(double loss) {
        if (Double.isNaN(loss)) {
            return "-";
        }
        return String.format(Locale.ROOT, Math.abs(loss) >= 1e-3 && Math.abs(loss) < 1e4 ? "%.4f" : "%.3e", loss);
    }
}
