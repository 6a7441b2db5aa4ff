package io.streamfit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.streamfit.schemas.FeatureVector;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.TimestepLimits;
import io.streamfit.schemas.TimestepSerde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What decoding one input record costs, and whether streamfit's hand-written reader earns its
 * place against the obvious alternatives. Each benchmark decodes the record and leaves its
 * features in a [k * m] float buffer, as the model's batch takes them:
 * <ul>
 *   <li>{@code streamfit}: the service's deserializer (with the service's limits), then a copy of
 *       each object's features into the buffer. The usual record is read straight from its bytes
 *       ({@code TimestepFastJson}); anything else by Jackson's streaming parser into primitive
 *       arrays ({@code TimestepJson}), with the input bounds checked while either reads;
 *   <li>{@code databind}: Jackson data binding into plain classes with {@code float[]} features,
 *       then the same copy (what a user of Jackson would write; no bounds checked);
 *   <li>{@code tree}: {@code readTree}, then the buffer filled from the tree's nodes;
 *   <li>{@code direct}: Jackson's streaming parser writing features straight into the buffer (ids
 *       and targets into arrays too).
 * </ul>
 * The three Jackson decoders parse numbers with its FastDoubleParser; streamfit's reader takes
 * short decimals by an exact fast path and the rest through the same parser. Records: k = 32
 * objects of m = 16 features with a target each, numbers with 4 decimals ({@code short}), a
 * float's full precision ({@code float}, what a float feature prints as) or a double's
 * ({@code long}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecodeBenchmark {

    static final int K = 32;
    static final int M = 16;

    /** short: 4 decimals; float: a float's full precision (up to 9 digits); long: a double's (up to 17). */
    @Param({"short", "float", "long"})
    public String numbers;

    private byte[] record;
    private TimestepSerde serde;
    private ObjectMapper mapper;
    private JsonFactory factory;
    private final float[] buffer = new float[K * M];
    private final double[] targets = new double[K];
    private final String[] ids = new String[K];

    @Setup(Level.Trial)
    public void setUp() {
        record = record(numbers, new Random(42));
        serde = StreamfitSerdes.timestep(new TimestepLimits(4096, 256, M, 1));
        // The number parser streamfit's binder uses (Json: FastDoubleParser), so that the comparison
        // is of the binding, not of two ways to parse a decimal.
        mapper = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();
        factory = mapper.getFactory();
    }

    /** One record of the benchmark's shape, as the contract's JSON. */
    static byte[] record(boolean longNumbers, Random random) {
        return record(longNumbers ? "long" : "short", random);
    }

    /** One record with numbers written as {@code numbers} says ({@link #numbers}). */
    static byte[] record(String numbers, Random random) {
        StringBuilder out = new StringBuilder("{\"series\":\"series-3\",\"timestep\":1042,\"objects\":[");
        for (int i = 0; i < K; i++) {
            out.append(i == 0 ? "" : ",").append("{\"id\":\"object-").append(i).append("\",\"features\":[");
            for (int j = 0; j < M; j++) {
                out.append(j == 0 ? "" : ",").append(number(random.nextDouble(), numbers));
            }
            out.append("],\"target\":").append(number(random.nextGaussian() * 3, numbers)).append('}');
        }
        return out.append("],\"sumTarget\":").append(number(12.5, numbers)).append('}').toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String number(double v, String numbers) {
        return switch (numbers) {
            case "long" -> Double.toString(v + 1e-9);
            case "float" -> Float.toString((float) (v + 1e-9));
            default -> String.format(Locale.ROOT, "%.4f", v);
        };
    }

    @Benchmark
    public float[] streamfit() {
        Timestep t = serde.deserializer().deserialize("features", record);
        int row = 0;
        for (Timestep.ObjectInput o : t.objects()) {
            float[] f = ((FeatureVector.Dense) o.features()).values();
            System.arraycopy(f, 0, buffer, row * M, M);
            targets[row] = o.target();
            row++;
        }
        return buffer;
    }

    @Benchmark
    public float[] databind() throws IOException {
        Bound t = mapper.readValue(record, Bound.class);
        int row = 0;
        for (BoundObject o : t.objects) {
            System.arraycopy(o.features, 0, buffer, row * M, M);
            targets[row] = o.target;
            row++;
        }
        return buffer;
    }

    @Benchmark
    public float[] tree() throws IOException {
        JsonNode t = mapper.readTree(record);
        int row = 0;
        for (JsonNode o : t.get("objects")) {
            JsonNode f = o.get("features");
            for (int j = 0; j < M; j++) {
                buffer[row * M + j] = (float) f.get(j).doubleValue();
            }
            targets[row] = o.get("target").doubleValue();
            row++;
        }
        return buffer;
    }

    @Benchmark
    public float[] direct() throws IOException {
        try (JsonParser p = factory.createParser(record)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("objects")) {
                    int row = 0;
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String field = p.currentName();
                            p.nextToken();
                            switch (field) {
                                case "id" -> ids[row] = p.getText();
                                case "features" -> {
                                    int j = 0;
                                    while (p.nextToken() != JsonToken.END_ARRAY) {
                                        buffer[row * M + j++] = p.getFloatValue();
                                    }
                                }
                                case "target" -> targets[row] = p.getDoubleValue();
                                default -> p.skipChildren();
                            }
                        }
                        row++;
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return buffer;
    }

    /** The record for data binding. */
    public static final class Bound {
        public String series;
        public long timestep;
        public BoundObject[] objects;
        public Double sumTarget;
    }

    /** One object for data binding. */
    public static final class BoundObject {
        public String id;
        public float[] features;
        public Double target;
        public Integer label;
    }
}
