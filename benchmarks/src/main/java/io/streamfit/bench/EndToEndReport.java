package io.streamfit.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.streamfit.bench.EndToEnd.Row;

/**
 * The end-to-end benchmark's rows as text. Each row is printed as soon as its run ends, so that a
 * long benchmark shows its numbers as it goes and a crash loses none, and again in the final table
 * with the ratios, in one format so that the two read alike.
 */
final class EndToEndReport {

    private EndToEndReport() {
    }

    /** Prints the row at once; returns it, so that a run can end with {@code return print(row)}. */
    static Row print(Row r) {
        System.out.println(format(r));
        return r;
    }

    /** The final table, with c/a and c/b of each streamfit drain against the baselines of its guarantee. */
    static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-22s %-16s %-6s %8s %10s  %s%n", "topology", "guarantee", "batch",
                "records", "records/s", "latency / note"));
        for (Row r : rows) {
            out.append(format(r)).append('\n');
        }
        Map<String, Double> baseline = new HashMap<>();
        for (Row r : rows) {
            if (r.topology().startsWith("a ") || r.topology().startsWith("b ")) {
                baseline.put(r.topology().charAt(0) + "|" + r.guarantee(), r.recordsPerSecond());
            }
        }
        for (Row r : rows) {
            if (r.topology().equals("c streamfit") && r.note().isEmpty()) {
                Double a = baseline.get("a|" + r.guarantee());
                Double b = baseline.get("b|" + r.guarantee());
                out.append(String.format(Locale.ROOT, "ratio %s batch.timesteps=%s: c/a = %s, c/b = %s%n",
                        r.guarantee(), r.batch(), ratio(r.recordsPerSecond(), a), ratio(r.recordsPerSecond(), b)));
            }
        }
        return out.toString();
    }

    private static String format(Row r) {
        String value = Double.isNaN(r.recordsPerSecond()) ? "-" : String.format(Locale.ROOT, "%.0f", r.recordsPerSecond());
        String latency = r.p50Ms() < 0 ? "" : String.format(Locale.ROOT, "p50 %d ms  p99 %d ms", r.p50Ms(), r.p99Ms());
        if (!Double.isNaN(r.timestepsPerUpdate())) {
            latency += String.format(Locale.ROOT, "  %.1f timesteps/update", r.timestepsPerUpdate());
        }
        if (r.timing() != null) {
            latency += String.format(Locale.ROOT, "  (timed after %.0f s warm-up; JIT %.0f%% of a core)",
                    r.timing().warmUpSeconds(), r.timing().jitPercent());
        }
        return String.format(Locale.ROOT, "%-22s %-16s %-6s %8d %10s  %s%s", r.topology(), r.guarantee(), r.batch(),
                r.records(), value, latency, r.note());
    }

    /** "-" where either side has no number: a ratio against a failed or skipped run means nothing. */
    private static String ratio(double c, Double base) {
        return base == null || Double.isNaN(base) || Double.isNaN(c) ? "-" : String.format(Locale.ROOT, "%.2f", c / base);
    }
}
