package io.streamfit.app.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The samples of a Prometheus text exposition ({@code GET /metrics}), for reading a few of them. */
final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One sample: its name, labels and value. */
    record Sample(String name, Map<String, String> labels, double value) {

        String label(String name) {
            return labels.getOrDefault(name, "");
        }
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    static PrometheusText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2).replaceAll("\\\\(.)", "$1"));
                }
            }
            double value;
            try {
                value = Double.parseDouble(m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
            } catch (NumberFormatException e) {
                continue;
            }
            out.add(new Sample(m.group(1), Collections.unmodifiableMap(labels), value));
        }
        return new PrometheusText(List.copyOf(out));
    }

    /** The samples named {@code name}. */
    List<Sample> all(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The samples named {@code name} that {@code which} accepts. */
    List<Sample> all(String name, Predicate<Sample> which) {
        return all(name).stream().filter(which).toList();
    }

    /** The sum of the samples named {@code name}; NaN when there is none. */
    double sum(String name) {
        List<Sample> s = all(name);
        return s.isEmpty() ? Double.NaN : s.stream().mapToDouble(Sample::value).sum();
    }

    /** The value of the first sample named {@code name} with label {@code label=value}; NaN when none. */
    double value(String name, String label, String value) {
        return all(name).stream().filter(s -> value.equals(s.label(label))).mapToDouble(Sample::value).findFirst()
                .orElse(Double.NaN);
    }
}
