package io.streamfit.devkit.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.Timestep;

/**
 * A deterministic synthetic stream with a known ground truth: {@code series} series, series i with
 * its own fixed number of objects between 4 and 16; every timestep draws each object's features
 * uniformly from [-1, 1]^m and its target as {@link GroundTruth#f} plus N(0, sigma^2) noise.
 * Records go round-robin over the series.
 */
public final class SyntheticStream {

    private final int features;
    private final double sigma;
    private final String[] series;
    private final int[] objects;
    private final long[] nextTimestep;
    private final Random random;
    private int cursor;

    /**
     * @param seriesCount   number of series (at least 1)
     * @param features      m
     * @param sigma         noise standard deviation (&gt;= 0)
     * @param seed          random seed; equal seeds give equal streams
     * @param firstTimestep the first timestep of every series
     */
    public SyntheticStream(int seriesCount, int features, double sigma, long seed, long firstTimestep) {
        this.features = features;
        this.sigma = sigma;
        this.series = new String[seriesCount];
        this.objects = new int[seriesCount];
        this.nextTimestep = new long[seriesCount];
        this.random = new Random(seed);
        for (int s = 0; s < seriesCount; s++) {
            series[s] = "series-" + s;
            // 4, 8, 12, 16, 4, ...: the objects per series differ so k varies across records.
            objects[s] = 4 + 4 * (s % 4);
            nextTimestep[s] = firstTimestep;
        }
    }

    /** Continue every series after {@code timestep} (used when a demo restarts on old data). */
    public void resumeAfter(String seriesId, long timestep) {
        for (int s = 0; s < series.length; s++) {
            if (series[s].equals(seriesId)) {
                nextTimestep[s] = Math.max(nextTimestep[s], timestep + 1);
            }
        }
    }

    /** The next record. */
    public Timestep next() {
        int s = cursor;
        cursor = (cursor + 1) % series.length;
        int k = objects[s];
        List<Timestep.ObjectInput> objs = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            float[] x = new float[features];
            for (int j = 0; j < features; j++) {
                x[j] = (float) (2 * random.nextDouble() - 1);
            }
            double y = GroundTruth.f(x) + sigma * random.nextGaussian();
            objs.add(new Timestep.ObjectInput("obj-" + i, new FeatureVector.Dense(x), y, null));
        }
        return new Timestep(series[s], nextTimestep[s]++, objs, null);
    }

    public String[] series() {
        return series.clone();
    }

    /** Objects per record of each series. */
    public int[] objectsPerSeries() {
        return objects.clone();
    }

    public double sigma() {
        return sigma;
    }

    /** The noise floor of the sum RMSE: sigma times the root of the mean object count. */
    public double sumNoiseFloor() {
        double meanK = 0;
        for (int k : objects) {
            meanK += k;
        }
        meanK /= objects.length;
        return sigma * Math.sqrt(meanK);
    }
}
