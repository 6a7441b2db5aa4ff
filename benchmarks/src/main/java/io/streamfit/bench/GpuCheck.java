package io.streamfit.bench;

import java.util.Map;
import java.util.TreeMap;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * Where TensorFlow runs the regressor's ops. Builds the forward pass of the shared-weight network
 * (MatMul, BiasAdd-style Add, Relu, MatMul, segment-free Sum) with default placement, exactly as
 * the model does (it names no device), runs it once with a full trace, and prints the device that
 * executed each node, read from the run's step statistics (not from a log).
 *
 * <p>Exit status: 0 when the MatMuls ran where expected ({@code --expect gpu}: on a GPU;
 * {@code --expect cpu}: on the CPU), 2 otherwise. {@code benchmarks/gpu.sh} calls it with
 * {@code gpu}; {@code --cpu-only} dry runs call it with {@code cpu}.
 */
public final class GpuCheck {

    private GpuCheck() {
    }

    public static void main(String[] args) {
        String expect = args.length >= 2 && args[0].equals("--expect") ? args[1] : "gpu";
        Map<String, String> placement = placement();
        placement.forEach((node, device) -> System.out.println("placed " + node + " on " + device));
        boolean ok = matMulsOn(placement, expect);
        System.out.println(ok ? "OK: MatMul ran on " + expect.toUpperCase() : "FAIL: MatMul did not run on "
                + expect.toUpperCase() + " (see the placement above)");
        System.exit(ok ? 0 : 2);
    }

    /** Whether every MatMul node ran on a device of {@code expect} ("gpu" or "cpu"). */
    static boolean matMulsOn(Map<String, String> placement, String expect) {
        String want = "device:" + expect.toUpperCase() + ":";
        long matMuls = placement.keySet().stream().filter(n -> n.contains("MatMul")).count();
        return matMuls > 0 && placement.entrySet().stream().filter(e -> e.getKey().contains("MatMul"))
                .allMatch(e -> e.getValue().toUpperCase().contains(want.toUpperCase()));
    }

    /** Node name to the device that ran it, for one traced run of the forward pass. */
    static Map<String, String> placement() {
        Map<String, String> placed = new TreeMap<>();
        try (Graph g = new Graph()) {
            Ops tf = Ops.create(g);
            Operand<TFloat32> x = tf.random.randomUniform(tf.constant(new long[] {256, 64}), TFloat32.class);
            Operand<TFloat32> w1 = tf.random.randomUniform(tf.constant(new long[] {64, 128}), TFloat32.class);
            Operand<TFloat32> b1 = tf.zeros(tf.constant(Shape.of(128)), TFloat32.class);
            Operand<TFloat32> w2 = tf.random.randomUniform(tf.constant(new long[] {128, 1}), TFloat32.class);
            Operand<TFloat32> h = tf.nn.relu(tf.math.add(tf.linalg.matMul(x, w1), b1));
            Operand<TFloat32> p = tf.linalg.matMul(h, w2);
            Operand<TFloat32> sum = tf.reduceSum(p, tf.constant(new int[] {0, 1}));
            // The model's own session names no device and keeps the default placement; so does this one.
            ConfigProto config = ConfigProto.newBuilder().build();
            try (Session s = new Session(g, config)) {
                RunOptions options = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
                try (Result r = s.runner().fetch(sum).setOptions(options).runAndFetchMetadata()) {
                    RunMetadata meta = r.getMetadata().orElseThrow(
                            () -> new IllegalStateException("TensorFlow returned no run metadata"));
                    for (DeviceStepStats dev : meta.getStepStats().getDevStatsList()) {
                        for (NodeExecStats node : dev.getNodeStatsList()) {
                            // GPU runs also list stream pseudo-devices; the first (real) device wins.
                            placed.putIfAbsent(node.getNodeName(), dev.getDevice());
                        }
                    }
                }
            }
        }
        return placed;
    }
}
