package io.streamfit.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.streamfit.devkit.demo.GroundTruth;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Seeded timestep records in the contract's JSON (design.md), k objects of m features each, every
 * object with a target (the demo's {@link GroundTruth} plus N(0, 0.1^2) noise), round-robin over
 * {@code series} series with increasing timesteps. Equal arguments give byte-identical records.
 *
 * <p>The objects of {@value #DISTINCT} timesteps are drawn and written once; record i carries the
 * objects of draw i mod {@value #DISTINCT} behind its own series and timestep. Writing 512 numbers
 * as text costs more than a broker moves such a record, so a generator that did it per record
 * would compete with what it measures on a small machine; a model sees repeated data either way.
 *
 * <p>{@link NumberFormat} decides how the numbers look: full precision (a float feature prints
 * with up to 9 significant digits, a double target with up to 17) or 4 decimals, as sensors and
 * feature pipelines usually send them. Parsing the long ones costs every JSON reader more.
 */
public final class TimestepRecords {

    /** How the features and targets are written. */
    public enum NumberFormat {
        /** 4 decimals ({@code 0.1234}, {@code -0.5}). */
        SHORT,
        /** Full float (features) and double (targets) precision ({@code 0.12345679}). */
        LONG;

        float feature(float x) {
            return this == SHORT ? (float) (Math.round(x * 1e4) / 1e4) : x;
        }

        double target(double y) {
            return this == SHORT ? Math.round(y * 1e4) / 1e4 : y;
        }
    }

    static final int DISTINCT = 1024;
    private static final double NOISE = 0.1;

    private final byte[][] seriesPrefix;
    private final byte[][] bodies;
    private final String[] series;
    private final long[] next;
    private int cursor;
    private int body;

    /**
     * @param objects  k, objects per record (at least 1)
     * @param features m, features per object (at least 1)
     * @param series   number of series keys (at least 1)
     * @param seed     random seed
     */
    public TimestepRecords(int objects, int features, int series, long seed) {
        this(objects, features, series, seed, NumberFormat.LONG);
    }

    /**
     * @param objects  k, objects per record (at least 1)
     * @param features m, features per object (at least 1)
     * @param series   number of series keys (at least 1)
     * @param seed     random seed
     * @param numbers  how the features and targets are written
     */
    public TimestepRecords(int objects, int features, int series, long seed, NumberFormat numbers) {
        if (objects < 1 || features < 1 || series < 1) {
            throw new IllegalArgumentException("objects, features and series must be >= 1, got " + objects + ", "
                    + features + ", " + series);
        }
        this.series = new String[series];
        this.seriesPrefix = new byte[series][];
        this.next = new long[series];
        for (int s = 0; s < series; s++) {
            this.series[s] = "series-" + s;
            next[s] = 1;
        }
        Serializer<Timestep> json = StreamfitSerdes.timestep().serializer();
        Random random = new Random(seed);
        this.bodies = new byte[DISTINCT][];
        for (int d = 0; d < DISTINCT; d++) {
            List<Timestep.ObjectInput> objs = new ArrayList<>(objects);
            for (int i = 0; i < objects; i++) {
                float[] x = new float[features];
                for (int j = 0; j < features; j++) {
                    x[j] = numbers.feature(2f * random.nextFloat() - 1f);
                }
                double y = numbers.target(GroundTruth.f(x) + NOISE * random.nextGaussian());
                objs.add(new Timestep.ObjectInput("obj-" + i, new FeatureVector.Dense(x), y, null));
            }
            // The contract's writer puts series and timestep first: split there, keep what follows.
            String whole = new String(json.serialize(null, new Timestep("s", 1, objs, null)), StandardCharsets.UTF_8);
            String head = "{\"series\":\"s\",\"timestep\":1";
            if (!whole.startsWith(head)) {
                throw new IllegalStateException("unexpected field order in " + whole.substring(0, 40));
            }
            bodies[d] = whole.substring(head.length()).getBytes(StandardCharsets.UTF_8);
        }
        for (int s = 0; s < series; s++) {
            seriesPrefix[s] = ("{\"series\":\"" + this.series[s] + "\",\"timestep\":").getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The series key of the record {@link #nextValue()} returns next. */
    public String nextKey() {
        return series[cursor];
    }

    /** The next record's JSON value (UTF-8); advances to the next series. */
    public byte[] nextValue() {
        int s = cursor;
        cursor = (cursor + 1) % series.length;
        byte[] prefix = seriesPrefix[s];
        byte[] timestep = Long.toString(next[s]++).getBytes(StandardCharsets.US_ASCII);
        byte[] rest = bodies[body];
        body = (body + 1) % DISTINCT;
        byte[] out = new byte[prefix.length + timestep.length + rest.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(timestep, 0, out, prefix.length, timestep.length);
        System.arraycopy(rest, 0, out, prefix.length + timestep.length, rest.length);
        return out;
    }
}
