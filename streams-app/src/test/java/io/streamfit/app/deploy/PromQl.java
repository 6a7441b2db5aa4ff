package io.streamfit.app.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects. Not a full parser: it drops strings, label
 * matchers, ranges, grouping clauses and durations, then keeps the identifiers that are not
 * functions, aggregations or keywords, which is all the deploy files use. PrometheusIT checks
 * the same expressions with a real Prometheus.
 */
final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "inf", "nan", "atan2",
            "sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
            "group", "limitk", "limit_ratio");
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+-?[0-9a-z]+");
    private static final Pattern TOKEN = Pattern.compile(
            "(?<num>\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?[a-zA-Z]*)|(?<id>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\\s*\\()?");

    private PromQl() {
    }

    /** Metric names in {@code expr} (Grafana variables such as {@code $instance} may be left in). */
    static Set<String> metricNames(String expr) {
        String s = STRINGS.matcher(expr).replaceAll("\"\"");
        s = MATCHERS.matcher(s).replaceAll(" ");
        s = RANGES.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        s = OFFSET.matcher(s).replaceAll(" ");
        s = s.replaceAll("\\$\\w+", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = TOKEN.matcher(s);
        while (m.find()) {
            String id = m.group("id");
            if (id != null && m.group("call") == null && !KEYWORDS.contains(id)) {
                names.add(id);
            }
        }
        return names;
    }
}
