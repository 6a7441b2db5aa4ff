package io.streamfit.model;

import java.util.Random;

/** Test micro-batches. */
final class Batches {

    private Batches() {
    }

    /**
     * Five timesteps of 2, 5, 1, 3 and 2 objects covering every kind of supervision: all object
     * targets (sum target derived), partial object targets without a sum, only a sum target,
     * partial object targets with an explicit sum, and none at all.
     */
    static ObjectBatch mixed(int features, long seed) {
        Random r = new Random(seed);
        ObjectBatch b = new ObjectBatch(features);
        b.beginTimestep();
        add(b, r, true);
        add(b, r, true);
        b.endTimestep();

        b.beginTimestep();
        for (int i = 0; i < 5; i++) {
            add(b, r, i % 2 == 0);
        }
        b.endTimestep();

        b.beginTimestep();
        add(b, r, false);
        b.setSumTarget(0.7f);
        b.endTimestep();

        b.beginTimestep();
        add(b, r, false);
        add(b, r, true);
        add(b, r, false);
        b.setSumTarget(-0.4f);
        b.endTimestep();

        b.beginTimestep();
        add(b, r, false);
        add(b, r, false);
        b.endTimestep();
        return b;
    }

    /** Timesteps of the given sizes, every object with a uniform(-1, 1) target. */
    static ObjectBatch random(int features, long seed, int... objectsPerTimestep) {
        Random r = new Random(seed);
        ObjectBatch b = new ObjectBatch(features);
        for (int k : objectsPerTimestep) {
            b.beginTimestep();
            for (int i = 0; i < k; i++) {
                add(b, r, true);
            }
            b.endTimestep();
        }
        return b;
    }

    /** One timestep of {@code k} objects without any target. */
    static ObjectBatch unsupervised(int features, long seed, int k) {
        Random r = new Random(seed);
        ObjectBatch b = new ObjectBatch(features);
        b.beginTimestep();
        for (int i = 0; i < k; i++) {
            add(b, r, false);
        }
        b.endTimestep();
        return b;
    }

    private static void add(ObjectBatch b, Random r, boolean target) {
        float[] x = new float[b.features()];
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) (2 * r.nextDouble() - 1);
        }
        b.addDense(x, 0, target, (float) (2 * r.nextDouble() - 1));
    }
}
