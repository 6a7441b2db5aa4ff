import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * One model of {@link CheckpointProbe}: the regressor (Adam, relu, one hidden layer,
 * single-threaded TensorFlow, seeded data); each call is one training step then one export, as
 * the stream processor does after every micro-batch, and returns {step ns, export ns, checkpoint
 * bytes}.
 */
public class CheckpointRunner implements IntFunction<long[]>, AutoCloseable {

    private final OnlineModel model;
    private final ObjectBatch batch;

    public CheckpointRunner(String shape) {
        int[] s = Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).toArray();
        int k = s[0], m = s[1], hidden = s[2], timesteps = s[3];
        model = Models.create(ModelSpec.regressor(m, new int[] {hidden}, "relu", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.001), 42).withInput(ModelSpec.INPUT_DENSE));
        batch = model.newBatch();
        Random r = new Random(7);
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
    }

    @Override
    public long[] apply(int ignored) {
        long t0 = System.nanoTime();
        model.step(batch, true);
        long t1 = System.nanoTime();
        int size = model.exportState().length;
        long t2 = System.nanoTime();
        return new long[] {t1 - t0, t2 - t1, size};
    }

    @Override
    public void close() {
        model.close();
    }
}
