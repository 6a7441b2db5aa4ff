package io.streamfit.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One update step (predict + loss + gradients + apply) of the shared-weight regressor, streamfit
 * (TensorFlow Java) against DJL/PyTorch, same network, loss, optimizer and data. JMH forks a JVM
 * per parameter combination, so the two engines' native libraries never share a process.
 *
 * <p>Shapes are {@code KxMxHxT}: k objects per timestep, m features, hidden units, timesteps per
 * step. Score: microseconds per step (lower is better). Run it with {@code benchmarks/run.sh step}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StepBenchmark {

    /** Data and weight seed, the same for both engines. */
    static final long SEED = 42;

    @Param({"32x16x64x1", "32x16x64x64", "1024x64x256x1"})
    public String shape;

    @Param({StepEngine.TENSORFLOW, StepEngine.PYTORCH})
    public String engine;

    /** Intra-op threads of both engines; inter-op threads are 1 for both. */
    @Param({"1"})
    public int threads;

    private StepEngine step;

    @Setup
    public void setUp() {
        step = StepEngine.create(engine, StepData.random(StepShape.parse(shape), SEED), threads, SEED);
    }

    @Benchmark
    public double step() {
        return step.step();
    }

    @TearDown
    public void tearDown() {
        step.close();
    }
}
