package io.streamfit.bench;

import java.util.Random;

import io.streamfit.model.ObjectBatch;

/**
 * The data of one update step, identical for every engine: features uniform in [-1, 1], object
 * targets uniform in [-1, 1], and each timestep's sum target the sum of its object targets (as
 * streamfit derives it when a record has no explicit {@code sumTarget}).
 *
 * @param shape        the step's shape
 * @param x            row-major [N, m] features, N = objects * timesteps, timestep-major
 * @param objectTarget [N] object targets
 * @param sumTarget    [timesteps] per-timestep sums of the object targets
 */
public record StepData(StepShape shape, float[] x, float[] objectTarget, float[] sumTarget) {

    /** Seeded data: equal seeds give equal arrays. */
    public static StepData random(StepShape shape, long seed) {
        Random r = new Random(seed);
        int n = shape.rows();
        float[] x = new float[n * shape.features()];
        for (int i = 0; i < x.length; i++) {
            x[i] = 2f * r.nextFloat() - 1f;
        }
        float[] y = new float[n];
        float[] s = new float[shape.timesteps()];
        for (int i = 0; i < n; i++) {
            y[i] = 2f * r.nextFloat() - 1f;
            s[i / shape.objects()] += y[i];
        }
        return new StepData(shape, x, y, s);
    }

    /** The same data as streamfit's model takes it: one timestep per k objects, every object supervised. */
    public ObjectBatch toObjectBatch() {
        int m = shape.features();
        ObjectBatch batch = new ObjectBatch(m);
        for (int t = 0; t < shape.timesteps(); t++) {
            batch.beginTimestep();
            for (int j = 0; j < shape.objects(); j++) {
                int i = t * shape.objects() + j;
                batch.addDense(x, i * m, true, objectTarget[i]);
            }
            batch.endTimestep();
        }
        return batch;
    }
}
