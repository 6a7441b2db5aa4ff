import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * What a training step and the checkpoint export after it cost, for one or more builds of the
 * model module in ONE JVM. With several builds the steps interleave (A, B, A, B, ...), so that load
 * from other processes on a shared machine hits every build alike. Each build gets its own class
 * loader with {@code CheckpointRunner}; TensorFlow's classes and native library are shared.
 *
 * <p>Run through {@code benchmarks/probe/checkpoint.sh [CLASSES ...] [KxMxHxT ...] [--steps N]}
 * (defaults: this tree's model classes; the shapes 32x16x64x1 32x16x64x64 1024x64x256x1; 2000
 * measured steps after as many warm-up steps). Prints per shape and build the median and 90th
 * percentile wall time of the step and of the export, and the checkpoint size.
 */
public class CheckpointProbe {

    public static void main(String[] args) throws Exception {
        File runnerDir = new File(System.getProperty("probe.runner.dir"));
        List<String> builds = new ArrayList<>();
        List<String> shapes = new ArrayList<>();
        int steps = 2000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--steps")) {
                steps = Integer.parseInt(args[++i]);
            } else if (new File(args[i]).isDirectory()) {
                builds.add(args[i]);
            } else {
                shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) {
            shapes = List.of("32x16x64x1", "32x16x64x64", "1024x64x256x1");
        }
        int n = builds.size();
        for (String shape : shapes) {
            @SuppressWarnings("unchecked")
            IntFunction<long[]>[] runners = new IntFunction[n];
            for (int b = 0; b < n; b++) {
                URLClassLoader loader = new URLClassLoader(new URL[] {new File(builds.get(b)).toURI().toURL(),
                        runnerDir.toURI().toURL()}, CheckpointProbe.class.getClassLoader());
                @SuppressWarnings("unchecked")
                IntFunction<long[]> r = (IntFunction<long[]>) loader.loadClass("CheckpointRunner")
                        .getConstructor(String.class).newInstance(shape);
                runners[b] = r;
            }
            long[][] step = new long[n][steps];
            long[][] export = new long[n][steps];
            long[] size = new long[n];
            for (int i = -steps; i < steps; i++) {
                for (int b = 0; b < n; b++) {
                    long[] t = runners[b].apply(0);
                    if (i >= 0) {
                        step[b][i] = t[0];
                        export[b][i] = t[1];
                    }
                    size[b] = t[2];
                }
            }
            for (int b = 0; b < n; b++) {
                System.out.printf(Locale.ROOT, "%-14s %s  step median %7.1f us p90 %7.1f us | export median %6.1f us"
                        + " p90 %6.1f us | checkpoint %d bytes%n", shape, n == 1 ? "" : String.valueOf((char) ('A' + b)),
                        pct(step[b], 50), pct(step[b], 90), pct(export[b], 50), pct(export[b], 90), size[b]);
                ((AutoCloseable) runners[b]).close();
            }
        }
    }

    static double pct(long[] ns, int p) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e3;
    }
}
