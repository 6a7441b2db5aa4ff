package io.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random timesteps (seeded, so failures reproduce) through every encoding and back. */
class RoundTripPropertyTest {

    private static final int CASES = 300;
    private static final String ALPHABET = "abcXYZ019-_ .\"\\/\n\t\u00e9\u00df\u4e2d\u0001\u20ac";

    @Test
    void jsonAvroAndCrossEncodingRoundTripsAreExact() {
        Random random = new Random(20240611L);
        for (int i = 0; i < CASES; i++) {
            Timestep ts = randomTimestep(random, false);

            byte[] json = StreamfitSerdes.timestep().serialize("features", ts);
            byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", ts);

            assertThat(StreamfitSerdes.timestep().deserialize("features", json)).as("JSON case %d", i).isEqualTo(ts);
            assertThat(StreamfitSerdes.timestep().deserialize("features", avro)).as("Avro case %d", i).isEqualTo(ts);
            assertThat(TimestepAvro.fromRecord(TimestepAvro.toRecord(ts))).as("conversion case %d", i).isEqualTo(ts);
        }
    }

    @Test
    void avroKeepsNonFiniteValuesForTheProcessorToJudge() {
        Random random = new Random(7L);
        for (int i = 0; i < CASES / 3; i++) {
            Timestep ts = randomTimestep(random, true);

            byte[] avro = StreamfitSerdes.timestepAvro().serialize("features", ts);

            assertThat(StreamfitSerdes.timestep().deserialize("features", avro)).as("case %d", i).isEqualTo(ts);
        }
    }

    static Timestep randomTimestep(Random r, boolean nonFinite) {
        int k = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(40);
        List<Timestep.ObjectInput> objects = new ArrayList<>(k);
        int m = r.nextInt(24);
        for (int i = 0; i < k; i++) {
            FeatureVector features;
            if (r.nextInt(4) == 0) {
                int nnz = r.nextInt(m + 1);
                int[] indices = new int[nnz];
                for (int j = 0; j < nnz; j++) {
                    indices[j] = r.nextInt(10) == 0 ? r.nextInt() : r.nextInt(Math.max(1, m));
                }
                features = new FeatureVector.Sparse(indices, randomFloats(r, nnz, nonFinite));
            } else {
                features = new FeatureVector.Dense(randomFloats(r, m, nonFinite));
            }
            Double target = r.nextBoolean() ? randomDouble(r, nonFinite) : null;
            Integer label = r.nextInt(3) == 0 ? (r.nextInt(10) == 0 ? r.nextInt() : r.nextInt(5)) : null;
            objects.add(new Timestep.ObjectInput(randomString(r), features, target, label));
        }
        double[] sumTarget = switch (r.nextInt(4)) {
            case 0 -> null;
            case 1 -> new double[] {randomDouble(r, nonFinite)};
            case 2 -> new double[0];
            default -> {
                double[] counts = new double[2 + r.nextInt(6)];
                for (int j = 0; j < counts.length; j++) {
                    counts[j] = randomDouble(r, nonFinite);
                }
                yield counts;
            }
        };
        long timestep = switch (r.nextInt(6)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> Long.MIN_VALUE;
            default -> r.nextLong();
        };
        return new Timestep(r.nextInt(4) == 0 ? null : randomString(r), timestep, objects, sumTarget);
    }

    private static float[] randomFloats(Random r, int n, boolean nonFinite) {
        float[] values = new float[n];
        for (int j = 0; j < n; j++) {
            values[j] = switch (r.nextInt(6)) {
                case 0 -> {
                    float f = Float.intBitsToFloat(r.nextInt()); // any exponent, subnormals included
                    yield Float.isFinite(f) || nonFinite ? f : 0f;
                }
                case 1 -> r.nextInt(100) - 50;
                case 2 -> new float[] {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE,
                        Float.MIN_NORMAL}[r.nextInt(6)];
                case 3 -> nonFinite ? new float[] {Float.NaN, Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY}[r.nextInt(3)] : 0.5f;
                default -> (float) r.nextGaussian();
            };
        }
        return values;
    }

    private static double randomDouble(Random r, boolean nonFinite) {
        return switch (r.nextInt(4)) {
            case 0 -> {
                double d = Double.longBitsToDouble(r.nextLong());
                yield Double.isFinite(d) || nonFinite ? d : 1.0;
            }
            case 1 -> r.nextInt(1000);
            case 2 -> nonFinite ? Double.NaN : -0.0;
            default -> r.nextGaussian() * 100;
        };
    }

    private static String randomString(Random r) {
        int n = r.nextInt(12);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }
}
