package io.streamfit.app.cli;

import java.time.Duration;

/** Durations as people write them ({@code 12s}, {@code 1m30s}, {@code 250ms}), not ISO-8601's {@code PT12S}. */
public final class Durations {

    private Durations() {
    }

    /**
     * {@code d} in hours, minutes, seconds and milliseconds, largest unit first, zero parts left
     * out: {@code 1h5m}, {@code 1m30s}, {@code 1.5s}, {@code 250ms}, {@code 0s}. Read back by
     * {@link DurationConverter} where there is one unit.
     */
    public static String human(Duration d) {
        if (d.isNegative()) {
            return "-" + human(d.negated());
        }
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        long h = ms / 3_600_000;
        long m = ms / 60_000 % 60;
        long s = ms / 1000 % 60;
        long rest = ms % 1000;
        StringBuilder out = new StringBuilder();
        if (h > 0) {
            out.append(h).append('h');
        }
        if (m > 0) {
            out.append(m).append('m');
        }
        if (s > 0 || rest > 0) {
            out.append(s);
            if (rest > 0) {
                out.append('.').append(String.format("%03d", rest).replaceAll("0+$", ""));
            }
            out.append('s');
        }
        return out.toString();
    }
}
