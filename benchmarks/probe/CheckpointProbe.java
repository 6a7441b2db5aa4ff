import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * What a training step and the checkpoint export after it cost, as the stream processor does
 * them after every micro-batch: {@code step(batch, true)} then {@code exportState()}. Regressor,
 * Adam, relu, one hidden layer, single-threaded TensorFlow, the same seeded data every step.
 *
 * <p>Run: {@code benchmarks/probe/checkpoint.sh [KxMxHxT ...] [--steps N]} (defaults: the shapes
 * 32x16x64x1 32x16x64x64 1024x64x256x1, 2000 measured steps after as many warm-up steps).
 * Prints per shape the median and 90th percentile wall time of the step and of the export, and the
 * checkpoint size.
 */
public class CheckpointProbe {

    public static void main(String[] args) {
        int steps = 2000;
        java.util.List<String> shapes = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
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
            run(shape, steps);
        }
    }

    static void run(String shape, int steps) {
        int[] s = Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).toArray();
        int k = s[0], m = s[1], hidden = s[2], timesteps = s[3];
        ModelSpec spec = ModelSpec.regressor(m, new int[] {hidden}, "relu", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.001), 42).withInput(ModelSpec.INPUT_DENSE);
        Random r = new Random(7);
        try (OnlineModel model = Models.create(spec)) {
            ObjectBatch batch = model.newBatch();
            float[] x = new float[m];
            for (int t = 0; t < timesteps; t++) {
                batch.beginTimestep();
                for (int o = 0; o < k; o++) {
                    for (int j = 0; j < m; j++) {
                        x[j] = 2f * r.nextFloat() - 1f;
                    }
                    batch.addDense(x, 0, true, 2f * r.nextFloat() - 1f);
                }
                batch.endTimestep();
            }
            long[] step = new long[steps];
            long[] export = new long[steps];
            int size = 0;
            for (int i = -steps; i < steps; i++) {
                long t0 = System.nanoTime();
                model.step(batch, true);
                long t1 = System.nanoTime();
                size = model.exportState().length;
                long t2 = System.nanoTime();
                if (i >= 0) {
                    step[i] = t1 - t0;
                    export[i] = t2 - t1;
                }
            }
            System.out.printf(Locale.ROOT, "%-14s step median %7.1f us p90 %7.1f us | export median %6.1f us p90 %6.1f us"
                    + " | checkpoint %d bytes%n", shape, pct(step, 50), pct(step, 90), pct(export, 50), pct(export, 90),
                    size);
        }
    }

    static double pct(long[] ns, int p) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e3;
    }
}
