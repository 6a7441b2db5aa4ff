package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Prometheus text exposition ({@code GET /metrics}) as samples, with the few sums and
 * histogram readings the benchmarks need. No escaping subtleties: label values of the meters read
 * here hold no quote or brace.
 *
 * @param samples every sample line, in order
 */
record PromText(List<Sample> samples) {

    /**
     * @param name   the sample's name, e.g. {@code jvm_memory_used_bytes}
     * @param labels the text between the braces, or ""
     * @param value  the value
     */
    record Sample(String name, String labels, double value) {
    }

    static PromText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            String name;
            String labels = "";
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                labels = line.substring(brace + 1, line.lastIndexOf('}'));
            } else {
                name = line.substring(0, line.indexOf(' '));
            }
            String raw = line.substring(space + 1).trim();
            double v;
            try {
                v = switch (raw) {
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> Double.parseDouble(raw);
                };
            } catch (NumberFormatException e) {
                continue;
            }
            out.add(new Sample(name, labels, v));
        }
        return new PromText(out);
    }

    /**
     * The sum of the samples named {@code name} whose labels contain every one of {@code labelParts}
     * (e.g. {@code area="heap"}); NaN when none.
     */
    double sum(String name, String... labelParts) {
        double total = 0;
        boolean any = false;
        for (Sample s : samples) {
            if (s.name.equals(name) && containsAll(s.labels, labelParts)) {
                total += s.value;
                any = true;
            }
        }
        return any ? total : Double.NaN;
    }

    /** {@link #sum}, or 0 when no such sample. */
    double sumOrZero(String name, String... labelParts) {
        double v = sum(name, labelParts);
        return Double.isNaN(v) ? 0 : v;
    }

    /**
     * An upper bound of quantile {@code q} of a timer with a published histogram ({@code <base>_bucket}
     * samples with {@code le}): the smallest bucket bound that holds at least {@code q} of the count.
     * Between two snapshots: pass the earlier one as {@code before} (or null for since the start).
     *
     * @return seconds, or NaN without samples
     */
    double histogramQuantile(String base, double q, PromText before) {
        List<double[]> buckets = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name.equals(base + "_bucket")) {
                continue;
            }
            String le = label(s.labels, "le");
            if (le == null) {
                continue;
            }
            double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
            double earlier = before == null ? 0 : before.sumOrZero(base + "_bucket", "le=\"" + le + "\"");
            buckets.add(new double[] {bound, s.value - earlier});
        }
        if (buckets.isEmpty()) {
            return Double.NaN;
        }
        buckets.sort((a, b) -> Double.compare(a[0], b[0]));
        double total = buckets.get(buckets.size() - 1)[1];
        if (total <= 0) {
            return Double.NaN;
        }
        for (double[] b : buckets) {
            if (b[1] >= q * total) {
                return b[0];
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** Mean seconds of a timer ({@code <base>_seconds_sum / _count}) since {@code before} (null: since the start). */
    double timerMeanSeconds(String base, PromText before) {
        double count = sumOrZero(base + "_count") - (before == null ? 0 : before.sumOrZero(base + "_count"));
        double sum = sumOrZero(base + "_sum") - (before == null ? 0 : before.sumOrZero(base + "_sum"));
        return count > 0 ? sum / count : Double.NaN;
    }

    private static boolean containsAll(String labels, String... parts) {
        for (String p : parts) {
            if (!labels.contains(p)) {
                return false;
            }
        }
        return true;
    }

    private static String label(String labels, String name) {
        String key = name + "=\"";
        int i = labels.indexOf(key);
        if (i < 0) {
            return null;
        }
        int from = i + key.length();
        return labels.substring(from, labels.indexOf('"', from));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "PromText{%d samples}", samples.size());
    }
}
