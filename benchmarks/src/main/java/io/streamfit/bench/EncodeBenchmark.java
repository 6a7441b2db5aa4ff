package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What writing the outputs of one input record costs (k = 32 objects), with the service's JSON
 * serializers: {@code perObject} writes 32 object predictions and the sum ({@code
 * output.objects=per-object}), {@code perTimestep} one record of every object's prediction and the
 * sum ({@code per-timestep}). Predictions are float32 values, targets 4-decimal doubles, as the
 * service emits them for the e2e benchmark's short numbers. Each returns the bytes written.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EncodeBenchmark {

    static final int K = 32;

    private final List<ObjectPrediction> objects = new ArrayList<>();
    private TimestepPredictions timestep;
    private SumPrediction sum;
    private final Serializer<ObjectPrediction> objectWriter = StreamfitSerdes.objectPrediction().serializer();
    private final Serializer<TimestepPredictions> timestepWriter = StreamfitSerdes.timestepPredictions().serializer();
    private final Serializer<SumPrediction> sumWriter = StreamfitSerdes.sumPrediction().serializer();

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        List<PredictedObject> gathered = new ArrayList<>();
        double total = 0;
        for (int i = 0; i < K; i++) {
            double prediction = (float) (random.nextGaussian() * 3);
            double target = Math.round(random.nextGaussian() * 30000) / 10000.0;
            total += prediction;
            objects.add(new ObjectPrediction("series-3", 1042L, "object-" + i, prediction, target, 17L, "champion", 0,
                    null, null));
            gathered.add(new PredictedObject("object-" + i, prediction, target, null, null));
        }
        timestep = new TimestepPredictions("series-3", 1042L, 17L, "champion", 0, gathered);
        sum = new SumPrediction("series-3", 1042L, (double) (float) total, 12.5, K, 17L, "champion", 0, null);
    }

    @Benchmark
    public int perObject() {
        int bytes = 0;
        for (int i = 0; i < K; i++) {
            bytes += objectWriter.serialize("object-predictions", objects.get(i)).length;
        }
        return bytes + sumWriter.serialize("sum-predictions", sum).length;
    }

    @Benchmark
    public int perTimestep() {
        return timestepWriter.serialize("object-predictions", timestep).length
                + sumWriter.serialize("sum-predictions", sum).length;
    }

    /** What {@link #perObject} writes, as text (for the test). */
    String perObjectText() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < K; i++) {
            out.append(text(objectWriter.serialize("object-predictions", objects.get(i))));
        }
        return out.append(text(sumWriter.serialize("sum-predictions", sum))).toString();
    }

    /** What {@link #perTimestep} writes, as text (for the test). */
    String perTimestepText() {
        return text(timestepWriter.serialize("object-predictions", timestep))
                + text(sumWriter.serialize("sum-predictions", sum));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
