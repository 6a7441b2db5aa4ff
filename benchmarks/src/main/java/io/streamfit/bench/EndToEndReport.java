package io.streamfit.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
        System.out.println(format(r, 0));
        return r;
    }

    /** The final table without objects/s. */
    static String table(List<Row> rows) {
        return table(rows, 0);
    }

    /**
     * The final table, with c/a and c/b of each streamfit drain against the baselines of its
     * guarantee in the same round (and c/f, f/a where the output floor of its configuration ran), and
     * with more than one round the median of each ratio and rate over the rounds.
     *
     * @param objects k, objects per record, for objects/s; 0 leaves them out
     */
    static String table(List<Row> rows, int objects) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-22s %-16s %-6s %-12s %5s %8s %10s %11s  %s%n", "topology", "guarantee",
                "batch", "output", "round", "records", "records/s", "objects/s", "latency / note"));
        for (Row r : rows) {
            out.append(format(r, objects)).append('\n');
        }
        Map<String, Double> baseline = new HashMap<>();
        for (Row r : rows) {
            if (r.topology().startsWith("a ") || r.topology().startsWith("b ")) {
                baseline.put(r.topology().charAt(0) + "|" + r.guarantee() + "|" + r.round(), r.recordsPerSecond());
            }
        }
        // The output floor (f) of each configuration and round, where it ran.
        Map<String, Double> floor = new HashMap<>();
        for (Row r : rows) {
            if (r.topology().equals(OutputFloor.NAME)) {
                floor.put(r.guarantee() + "|" + r.batch() + "|" + r.layout() + "|" + r.round(), r.recordsPerSecond());
            }
        }
        // Per configuration (guarantee, batch, layout), in first-run order: c/a, c/b, a, b, c, c/f, f/a, f
        // of each round.
        Map<String, List<double[]>> byConfig = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.topology().equals("c streamfit") && r.note().isEmpty()) {
                double a = orNaN(baseline.get("a|" + r.guarantee() + "|" + r.round()));
                double b = orNaN(baseline.get("b|" + r.guarantee() + "|" + r.round()));
                Double fRate = floor.get(r.guarantee() + "|" + r.batch() + "|" + r.layout() + "|" + r.round());
                double f = orNaN(fRate);
                double c = r.recordsPerSecond();
                String config = r.guarantee() + " batch.timesteps=" + r.batch() + " output.objects=" + r.layout();
                out.append(String.format(Locale.ROOT, "ratio %s round %d: c/a = %s, c/b = %s%s%n", config, r.round(),
                        number(c / a, "%.2f"), number(c / b, "%.2f"), fRate == null ? ""
                                : ", c/f = " + number(c / f, "%.2f") + ", f/a = " + number(f / a, "%.2f")));
                byConfig.computeIfAbsent(config, k -> new ArrayList<>())
                        .add(new double[] {c / a, c / b, a, b, c, fRate == null ? Double.NaN : c / f,
                            fRate == null ? Double.NaN : f / a, fRate == null ? Double.NaN : f});
            }
        }
        for (Map.Entry<String, List<double[]>> e : byConfig.entrySet()) {
            List<double[]> rounds = e.getValue();
            if (rounds.size() < 2) {
                continue;
            }
            double c = median(rounds, 4);
            boolean floors = rounds.stream().anyMatch(r -> !Double.isNaN(r[7]));
            out.append(String.format(Locale.ROOT, "median of %d rounds %s: c/a = %s, c/b = %s; records/s a %s, b %s, "
                            + "c %s%s%s%n", rounds.size(), e.getKey(), number(median(rounds, 0), "%.2f"),
                    number(median(rounds, 1), "%.2f"), number(median(rounds, 2), "%.0f"),
                    number(median(rounds, 3), "%.0f"), number(c, "%.0f"),
                    objects > 0 ? " (c objects/s " + number(c * objects, "%.0f") + ")" : "",
                    floors ? "; output floor f " + number(median(rounds, 7), "%.0f") + " records/s, c/f = "
                            + number(median(rounds, 5), "%.2f") + ", f/a = " + number(median(rounds, 6), "%.2f") : ""));
            out.append(String.format(Locale.ROOT, "spread of %d rounds %s: slowest to fastest round a %s, b %s, c %s%s%n",
                    rounds.size(), e.getKey(), spread(rounds, 2), spread(rounds, 3), spread(rounds, 4),
                    floors ? ", f " + spread(rounds, 7) : ""));
        }
        return out.toString();
    }

    /**
     * Column {@code col}'s slowest and fastest round and their ratio ("2000-4400 (2.20x)", records/s):
     * a topology whose rate moves more than the others between rounds decides the ratios against it.
     */
    static String spread(List<double[]> rounds, int col) {
        double[] v = rounds.stream().mapToDouble(r -> r[col]).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return "-";
        }
        double min = v[0];
        double max = v[v.length - 1];
        return String.format(Locale.ROOT, "%.0f-%.0f (%s)", min, max, number(max / min, "%.2fx"));
    }

    /** The median of column {@code col} over the rounds; NaN when a round has none (a failed baseline). */
    static double median(List<double[]> rounds, int col) {
        double[] v = rounds.stream().mapToDouble(r -> r[col]).sorted().toArray();
        if (v.length == 0 || Arrays.stream(v).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double orNaN(Double v) {
        return v == null ? Double.NaN : v;
    }

    /** "-" where there is no number: a ratio against a failed or skipped run means nothing. */
    private static String number(double v, String format) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, format, v);
    }

    private static String format(Row r, int objects) {
        boolean drain = r.p50Ms() < 0;
        String perObject = objects > 0 && drain ? number(r.recordsPerSecond() * objects, "%.0f") : "-";
        String latency = drain ? "" : String.format(Locale.ROOT, "p50 %d ms  p99 %d ms", r.p50Ms(), r.p99Ms());
        if (!Double.isNaN(r.timestepsPerUpdate())) {
            latency += String.format(Locale.ROOT, "  %.1f timesteps/update", r.timestepsPerUpdate());
        }
        if (r.timing() != null) {
            latency += String.format(Locale.ROOT, "  (timed after %.0f s warm-up; JIT %.0f%% of a core)",
                    r.timing().warmUpSeconds(), r.timing().jitPercent());
        }
        return String.format(Locale.ROOT, "%-22s %-16s %-6s %-12s %5d %8d %10s %11s  %s%s", r.topology(),
                r.guarantee(), r.batch(), r.layout(), r.round(), r.records(), number(r.recordsPerSecond(), "%.0f"),
                perObject, latency, r.note());
    }
}
