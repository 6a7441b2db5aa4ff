import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Step and export cost of two builds of the model module in ONE JVM, steps interleaved (A, B, A,
 * B, ...), so that load from other processes on a shared machine hits both alike. Each build gets
 * its own class loader with {@code CheckpointABRunner}; TensorFlow's classes and native library are
 * shared.
 *
 * <p>Run through {@code benchmarks/probe/checkpoint-ab.sh CLASSES_A CLASSES_B [KxMxHxT ...] [--steps N]}.
 */
public class CheckpointAB {

    public static void main(String[] args) throws Exception {
        File runnerDir = new File(System.getProperty("probe.runner.dir"));
        String[] builds = {args[0], args[1]};
        int steps = 2000;
        java.util.List<String> shapes = new java.util.ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--steps")) {
                steps = Integer.parseInt(args[++i]);
            } else {
                shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) {
            shapes = java.util.List.of("32x16x64x1", "32x16x64x64", "1024x64x256x1");
        }
        for (String shape : shapes) {
            @SuppressWarnings("unchecked")
            IntFunction<long[]>[] runners = new IntFunction[2];
            for (int b = 0; b < 2; b++) {
                URLClassLoader loader = new URLClassLoader(new URL[] {new File(builds[b]).toURI().toURL(),
                        runnerDir.toURI().toURL()}, CheckpointAB.class.getClassLoader());
                @SuppressWarnings("unchecked")
                IntFunction<long[]> r = (IntFunction<long[]>) loader.loadClass("CheckpointABRunner")
                        .getConstructor(String.class).newInstance(shape);
                runners[b] = r;
            }
            long[][] step = new long[2][steps];
            long[][] export = new long[2][steps];
            long[] size = new long[2];
            for (int i = -steps; i < steps; i++) {
                for (int b = 0; b < 2; b++) {
                    long[] t = runners[b].apply(0);
                    if (i >= 0) {
                        step[b][i] = t[0];
                        export[b][i] = t[1];
                    }
                    size[b] = t[2];
                }
            }
            for (int b = 0; b < 2; b++) {
                System.out.printf(Locale.ROOT, "%-14s %s  step median %7.1f us p90 %7.1f us | export median %6.1f us"
                        + " p90 %6.1f us | checkpoint %d bytes%n", shape, b == 0 ? "A" : "B", pct(step[b], 50),
                        pct(step[b], 90), pct(export[b], 50), pct(export[b], 90), size[b]);
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
