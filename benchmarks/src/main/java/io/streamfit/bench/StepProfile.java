package io.streamfit.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import io.streamfit.model.ModelSpec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.SharedWeightRegressor;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Where one update step of the shared-weight regressor spends its time, per shape
 * ({@code benchmarks/run.sh profile [SHAPE ...] [--steps N] [--threads N]}).
 *
 * <p>Prints, for each shape: the median wall time of {@code step(batch, true)} (predict + update)
 * and of {@code step(batch, false)} (predict only) through the model's public API, and the CPU
 * time of a training step (of the calling thread, which runs the ops with 1 inter-op thread, and
 * of the whole process), which other processes on shared cores disturb far less; then one
 * traced session run per step over N steps (TensorFlow's own {@code RunMetadata} step statistics,
 * {@code FULL_TRACE}) summed by op type and by part of the graph: forward pass and loss, backward
 * pass (gradients), optimizer rule, divergence guard (the finiteness probe, the selects and the
 * assigns). The traced op times add the tracer's own cost, so read them as shares, and compare
 * their sum with the untraced wall time to see the session's fixed cost (executor, feeds,
 * fetches).
 *
 * <p>The traced runs use the model's own session, read by reflection: this is a diagnostic that
 * must see the model's graph exactly as it runs, not a copy of it.
 */
public final class StepProfile {

    private StepProfile() {
    }

    public static void main(String[] args) throws Exception {
        List<String> shapes = new ArrayList<>();
        int steps = 300;
        int threads = 1;
        String engine = StepEngine.TENSORFLOW;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--engine" -> engine = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) {
            shapes = List.of("32x16x64x1", "32x16x64x64", "1024x64x256x1");
        }
        for (String s : shapes) {
            if (engine.equals(StepEngine.TENSORFLOW)) {
                profile(StepShape.parse(s), steps, threads);
            } else {
                timeEngine(engine, StepShape.parse(s), steps, threads);
            }
        }
    }

    /** Wall and CPU time per step of any {@link StepEngine} (the peer has no op-level trace here). */
    static void timeEngine(String engine, StepShape shape, int steps, int threads) {
        try (StepEngine step = StepEngine.create(engine, StepData.random(shape, StepBenchmark.SEED), threads,
                StepBenchmark.SEED)) {
            for (int i = 0; i < steps; i++) {
                step.step();
            }
            long[] wall = new long[steps];
            Cpu cpu = new Cpu();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                step.step();
                wall[i] = System.nanoTime() - t0;
            }
            System.out.printf(Locale.ROOT, "%n== %s %s (N=%d rows), %d threads: step median %.1f us%n", engine, shape,
                    shape.rows(), threads, median(wall) / 1e3);
            cpu.print(steps);
        }
    }

    /** CPU time since construction: of the calling thread, of the process, and of every thread. */
    private static final class Cpu {
        // CPU time, unlike wall time, hardly moves when other processes share the cores.
        private final ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final Map<String, Long> tasks0 = taskTicks();
        private final long thread0 = threadBean.getCurrentThreadCpuTime();
        private final long process0 = os.getProcessCpuTime();

        void print(int steps) {
            double threadCpu = (threadBean.getCurrentThreadCpuTime() - thread0) / 1e3 / steps;
            double processCpu = (os.getProcessCpuTime() - process0) / 1e3 / steps;
            Map<String, Long> tasks1 = taskTicks();
            System.out.printf(Locale.ROOT, "   CPU time per step: calling thread %.1f us, whole process %.1f us%n",
                    threadCpu, processCpu);
            Map<String, Long> busy = new TreeMap<>();
            tasks1.forEach((k, v) -> busy.merge(k, v - tasks0.getOrDefault(k, 0L), Long::sum));
            StringBuilder line = new StringBuilder("   busiest threads, \"tid name=us/step\":");
            busy.entrySet().stream().filter(e -> e.getValue() > 0)
                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(5)
                    .forEach(e -> line.append(String.format(Locale.ROOT, " %s=%.0f", e.getKey(),
                            e.getValue() * 1e4 / steps)));
            System.out.println(line);
        }
    }

    static void profile(StepShape shape, int steps, int threads) throws ReflectiveOperationException {
        StepData data = StepData.random(shape, StepBenchmark.SEED);
        ModelSpec spec = new ModelSpec(ModelSpec.KIND_REGRESSOR, shape.features(), new int[] {shape.hidden()}, "relu",
                StepEngine.LOSS_WEIGHT, ModelSpec.OptimizerSpec.of("adam", StepEngine.LEARNING_RATE),
                StepBenchmark.SEED, threads, 1);
        ObjectBatch batch = data.toObjectBatch();
        try (SharedWeightRegressor model = new SharedWeightRegressor(spec)) {
            long[] train = new long[steps];
            long[] predict = new long[steps];
            for (int i = 0; i < steps; i++) {
                model.step(batch, true);
            }
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                model.step(batch, true);
                train[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                model.step(batch, false);
                predict[i] = System.nanoTime() - t0;
            }
            System.out.printf(Locale.ROOT, "%n== tensorflow %s (N=%d rows), %d threads: step median %.1f us, "
                    + "predict-only step median %.1f us%n", shape, shape.rows(), threads, median(train) / 1e3,
                    median(predict) / 1e3);
            Cpu cpu = new Cpu();
            for (int i = 0; i < steps; i++) {
                model.step(batch, true);
            }
            cpu.print(steps);

            // The session is private to the model (its base class holds it); a profiler may look behind it.
            Class<?> holder = model.getClass();
            while (java.util.Arrays.stream(holder.getDeclaredFields()).noneMatch(d -> d.getName().equals("session"))) {
                holder = holder.getSuperclass();
            }
            Field f = holder.getDeclaredField("session");
            f.setAccessible(true);
            Session session = (Session) f.get(model);
            Map<String, double[]> byType = new TreeMap<>();
            Map<String, double[]> byPart = new LinkedHashMap<>();
            for (String part : List.of("forward+loss", "backward", "optimizer", "guard", "other")) {
                byPart.put(part, new double[2]);
            }
            int traced = Math.max(20, steps / 5);
            double traceWall = 0;
            List<Tensor> feeds = feeds(batch, model.version());
            try {
                RunOptions options = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
                for (int i = 0; i < traced; i++) {
                    Session.Runner runner = session.runner();
                    String[] names = {"x", "segment", "timesteps", "object_target", "object_mask", "sum_target",
                            "sum_mask", "update_count"};
                    for (int j = 0; j < names.length; j++) {
                        runner.feed(names[j], feeds.get(j));
                    }
                    runner.fetch("prediction").fetch("sum_prediction").addTarget("train").setOptions(options);
                    long t0 = System.nanoTime();
                    try (Result r = runner.runAndFetchMetadata()) {
                        traceWall += (System.nanoTime() - t0) / 1e3;
                        RunMetadata meta = r.getMetadata().orElseThrow();
                        for (DeviceStepStats dev : meta.getStepStats().getDevStatsList()) {
                            for (NodeExecStats node : dev.getNodeStatsList()) {
                                double us = node.getOpEndRelMicros() - node.getOpStartRelMicros();
                                String type = opType(node);
                                add(byType, type, us);
                                add(byPart, part(node.getNodeName(), type), us);
                            }
                        }
                    }
                }
            } finally {
                feeds.forEach(Tensor::close);
            }
            double total = byPart.values().stream().mapToDouble(v -> v[0]).sum();
            System.out.printf(Locale.ROOT, "traced runs: %d, wall %.1f us/run, sum of op times %.1f us/run%n",
                    traced, traceWall / traced, total / traced);
            System.out.println("by part of the graph (us/run, share of op time, ops/run):");
            final int n = traced;
            byPart.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-14s %9.1f %6.1f%% %6.0f%n", k, v[0] / n,
                    100 * v[0] / total, v[1] / n));
            System.out.println("by op type, top 15 (us/run, share, ops/run):");
            byType.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(15)
                    .forEach(e -> System.out.printf(Locale.ROOT, "  %-24s %9.1f %6.1f%% %6.0f%n", e.getKey(),
                            e.getValue()[0] / n, 100 * e.getValue()[0] / total, e.getValue()[1] / n));
        }
    }

    private static List<Tensor> feeds(ObjectBatch b, long version) {
        int n = b.objects();
        int t = b.timesteps();
        List<Tensor> feeds = new ArrayList<>();
        feeds.add(TFloat32.tensorOf(Shape.of(n, b.features()),
                DataBuffers.of(Arrays.copyOf(b.x(), n * b.features()), true, false)));
        feeds.add(TInt32.tensorOf(Shape.of(n), DataBuffers.of(Arrays.copyOf(b.segment(), n), true, false)));
        feeds.add(TInt32.scalarOf(t));
        feeds.add(TFloat32.tensorOf(Shape.of(n), DataBuffers.of(Arrays.copyOf(b.objectTarget(), n), true, false)));
        feeds.add(TFloat32.tensorOf(Shape.of(n), DataBuffers.of(Arrays.copyOf(b.objectMask(), n), true, false)));
        feeds.add(TFloat32.tensorOf(Shape.of(t), DataBuffers.of(Arrays.copyOf(b.sumTarget(), t), true, false)));
        feeds.add(TFloat32.tensorOf(Shape.of(t), DataBuffers.of(Arrays.copyOf(b.sumMask(), t), true, false)));
        feeds.add(TInt64.scalarOf(version));
        return feeds;
    }

    /** The op type, from the timeline label "name = Type(inputs)". */
    private static String opType(NodeExecStats node) {
        String label = node.getTimelineLabel();
        int eq = label.indexOf(" = ");
        int paren = label.indexOf('(', Math.max(eq, 0));
        if (eq >= 0 && paren > eq) {
            return label.substring(eq + 3, paren);
        }
        return node.getNodeName().replaceAll(".*/", "");
    }

    private static String part(String name, String type) {
        if (name.startsWith("update/Gradients")) {
            return "backward";
        }
        if (name.contains("finite") || name.startsWith("update/guard") || type.equals("Select")
                || type.equals("SelectV2") || type.startsWith("Assign")
                || name.equals("train") || name.contains("IsFinite") || name.contains("LogicalAnd")) {
            return "guard";
        }
        if (name.startsWith("update") || name.startsWith("schedule")) {
            return "optimizer";
        }
        if (name.equals("_SOURCE") || name.startsWith("_")) {
            return "other";
        }
        return "forward+loss";
    }

    private static void add(Map<String, double[]> m, String key, double us) {
        double[] v = m.computeIfAbsent(key, k -> new double[2]);
        v[0] += us;
        v[1] += 1;
    }

    /** utime + stime in clock ticks (10 ms) of every thread of this process, by "tid name". */
    private static Map<String, Long> taskTicks() {
        Map<String, Long> out = new TreeMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return out;
        }
        for (java.io.File t : tasks) {
            try {
                String stat = java.nio.file.Files.readString(t.toPath().resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                out.put(t.getName() + " " + name, Long.parseLong(f[11]) + Long.parseLong(f[12]));
            } catch (java.io.IOException | RuntimeException e) {
                // a thread that ended between the listing and the read
            }
        }
        return out;
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
