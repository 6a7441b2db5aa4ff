package io.streamfit.bench;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link StepBenchmark} through JMH (any JMH command-line option passes through, e.g.
 * {@code -p shape=32x16x64x1 -wi 1 -i 3}) and then prints, per shape and thread count, the mean
 * step time of each engine and the speed-up of streamfit over DJL/PyTorch (PyTorch time divided
 * by TensorFlow time; above 1 means streamfit is faster).
 */
public final class StepBench {

    private StepBench() {
    }

    public static void main(String[] args) throws Exception {
        Options options = new OptionsBuilder()
                .parent(new CommandLineOptions(args))
                .include(StepBenchmark.class.getName() + ".step")
                .build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.print(table(results));
    }

    /** The comparison table of a finished run. */
    static String table(Collection<RunResult> results) {
        Map<String, Map<String, Double>> byCase = new TreeMap<>();
        String unit = "us/op";
        for (RunResult r : results) {
            var params = r.getParams();
            String key = params.getParam("shape") + " threads=" + params.getParam("threads");
            byCase.computeIfAbsent(key, k -> new TreeMap<>())
                    .put(params.getParam("engine"), r.getPrimaryResult().getScore());
            unit = r.getPrimaryResult().getScoreUnit();
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-28s %16s %16s %10s%n", "shape KxMxHxT", "tensorflow " + unit,
                "pytorch " + unit, "speed-up"));
        byCase.forEach((key, scores) -> {
            Double tf = scores.get(StepEngine.TENSORFLOW);
            Double pt = scores.get(StepEngine.PYTORCH);
            out.append(String.format(Locale.ROOT, "%-28s %16s %16s %10s%n", key, format(tf), format(pt),
                    tf != null && pt != null ? String.format(Locale.ROOT, "%.2fx", pt / tf) : "-"));
        });
        return out.toString();
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }
}
