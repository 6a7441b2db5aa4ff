package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.streamfit.app.demo.GroundTruth;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Seeded timestep records in the contract's JSON (design.md), k objects of m features each, every
 * object with a target (the demo's {@link GroundTruth} plus N(0, 0.1^2) noise), round-robin over
 * {@code series} series with increasing timesteps. Equal arguments give byte-identical records.
 */
public final class TimestepRecords {

    private static final double NOISE = 0.1;

    private final int objects;
    private final int features;
    private final String[] series;
    private final long[] next;
    private final Random random;
    private final Serializer<Timestep> json = StreamfitSerdes.timestep().serializer();
    private int cursor;

    /**
     * @param objects  k, objects per record (at least 1)
     * @param features m, features per object (at least 1)
     * @param series   number of series keys (at least 1)
     * @param seed     random seed
     */
    public TimestepRecords(int objects, int features, int series, long seed) {
        if (objects < 1 || features < 1 || series < 1) {
            throw new IllegalArgumentException("objects, features and series must be >= 1, got " + objects + ", "
                    + features + ", " + series);
        }
        this.objects = objects;
        this.features = features;
        this.series = new String[series];
        this.next = new long[series];
        for (int s = 0; s < series; s++) {
            this.series[s] = "series-" + s;
            next[s] = 1;
        }
        this.random = new Random(seed);
    }

    /** The series key of the record {@link #nextValue()} returns next. */
    public String nextKey() {
        return series[cursor];
    }

    /** The next record's JSON value (UTF-8); advances to the next series. */
    public byte[] nextValue() {
        int s = cursor;
        cursor = (cursor + 1) % series.length;
        List<Timestep.ObjectInput> objs = new ArrayList<>(objects);
        for (int i = 0; i < objects; i++) {
            float[] x = new float[features];
            for (int j = 0; j < features; j++) {
                x[j] = 2f * random.nextFloat() - 1f;
            }
            double y = GroundTruth.f(x) + NOISE * random.nextGaussian();
            objs.add(new Timestep.ObjectInput("obj-" + i, new FeatureVector.Dense(x), y, null));
        }
        return json.serialize(null, new Timestep(series[s], next[s]++, objs, null));
    }
}
