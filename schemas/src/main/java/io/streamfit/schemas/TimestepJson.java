package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The contract's input JSON (design.md, "Input value") to and from {@link Timestep}, with
 * Jackson's streaming API: no tree, no data binding, features straight into primitive arrays.
 * The usual record (dense features, plain ids, no unknown fields) is read first by
 * {@link TimestepFastJson}, straight from its bytes, with the same result; this codec reads the rest.
 *
 * <p>Reading accepts integers or fractional numbers for every numeric field but {@code timestep}
 * and {@code label} (and sparse {@code indices}), which must be JSON integers; {@code null} for an
 * optional field means absent; unknown fields are skipped at any level so that producers can add
 * fields first. {@code sumTarget} may be a number (read as a one-element array) or an array.
 * Within {@link TimestepLimits}, parsing stops at the first object, id or number past a limit; ids
 * and series are checked in their raw bytes (strict UTF-8, length) before Jackson decodes them.
 *
 * <p>Writing emits the contract's field names in its order, leaving out absent optionals; a
 * one-element {@code sumTarget} is written as a plain number, longer ones (and an empty one) as
 * an array. Numbers are the shortest decimals that read back to the same float/double. JSON has
 * no NaN or Infinity: Jackson writes them as strings, which reading rejects as {@code wrong-type};
 * use Avro to carry them.
 */
public final class TimestepJson {

    static final JsonCodec<Timestep> CODEC = new Codec(TimestepLimits.NONE);

    private TimestepJson() {
    }

    /**
     * Parses one record.
     *
     * @throws InvalidRecordException when the bytes are not a structurally valid record
     */
    public static Timestep parse(byte[] data) {
        return parse(data, 0, data.length);
    }

    /** Parses {@code data[offset, offset+length)}, as {@link #parse(byte[])}. */
    public static Timestep parse(byte[] data, int offset, int length) {
        Timestep usual = TimestepFastJson.read(data, offset, length, TimestepLimits.NONE);
        return usual != null ? usual : Json.parse(data, offset, length, CODEC);
    }

    /** The codec that reads within {@code limits}; stateless, like every codec. */
    static JsonCodec<Timestep> codec(TimestepLimits limits) {
        return limits.equals(TimestepLimits.NONE) ? CODEC : new Codec(limits);
    }

    /** The record as the contract's JSON, UTF-8. */
    public static byte[] toBytes(Timestep timestep) {
        return Json.write(timestep, CODEC);
    }

    private static final class Codec implements JsonCodec<Timestep> {

        private static final int SERIES = 1, TIMESTEP = 2, OBJECTS = 4, SUM_TARGET = 8;
        private static final int ID = 1, FEATURES = 2, TARGET = 4, LABEL = 8;
        private static final int INDICES = 1, VALUES = 2;

        private final TimestepLimits limits;

        Codec(TimestepLimits limits) {
            this.limits = limits;
        }

        @Override
        public Timestep read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            String series = null;
            long timestep = 0;
            List<Timestep.ObjectInput> objects = null;
            double[] sumTarget = null;
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "series" -> {
                        seen = in.seen(seen, SERIES);
                        series = in.optionalId(t, limits.maxIdBytes());
                    }
                    case "timestep" -> {
                        seen = in.seen(seen, TIMESTEP);
                        timestep = in.requiredLong(t);
                    }
                    case "objects" -> {
                        seen = in.seen(seen, OBJECTS);
                        objects = readObjects(in, t);
                    }
                    case "sumTarget" -> {
                        seen = in.seen(seen, SUM_TARGET);
                        sumTarget = readSumTarget(in, t);
                    }
                    default -> in.p.skipChildren();
                }
            }
            if ((seen & TIMESTEP) == 0) {
                throw in.missing("timestep");
            }
            if ((seen & OBJECTS) == 0) {
                throw in.missing("objects");
            }
            in.exit();
            return new Timestep(series, timestep, objects, sumTarget);
        }

        private List<Timestep.ObjectInput> readObjects(JsonCursor in, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NULL) {
                throw in.error(InvalidRecordException.MISSING_FIELD, "required field is null");
            }
            if (t != JsonToken.START_ARRAY) {
                throw in.wrongType("an array of objects", t);
            }
            List<Timestep.ObjectInput> objects = new ArrayList<>();
            in.enter();
            for (int i = 0; ; i++) {
                in.index(i);
                t = in.p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    break;
                }
                if (i == limits.maxObjects()) {
                    throw in.error(InvalidRecordException.TOO_MANY_OBJECTS,
                            "more than max.objects=" + limits.maxObjects() + " objects");
                }
                if (t != JsonToken.START_OBJECT) {
                    throw in.wrongType("an object", t);
                }
                objects.add(readObject(in));
            }
            in.exit();
            return objects;
        }

        private Timestep.ObjectInput readObject(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            String id = null;
            FeatureVector features = null;
            Double target = null;
            Integer label = null;
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "id" -> {
                        seen = in.seen(seen, ID);
                        id = in.requiredId(t, limits.maxIdBytes());
                    }
                    case "features" -> {
                        seen = in.seen(seen, FEATURES);
                        features = readFeatures(in, t);
                    }
                    case "target" -> {
                        seen = in.seen(seen, TARGET);
                        target = in.optionalDouble(t, false);
                    }
                    case "label" -> {
                        seen = in.seen(seen, LABEL);
                        label = in.optionalInt(t);
                    }
                    default -> in.p.skipChildren();
                }
            }
            if (id == null) {
                throw in.missing("id");
            }
            if (features == null) {
                throw in.missing("features");
            }
            in.exit();
            return new Timestep.ObjectInput(id, features, target, label);
        }

        private FeatureVector readFeatures(JsonCursor in, JsonToken t) throws IOException {
            if (t == JsonToken.START_ARRAY) {
                if (!limits.checksFeatures()) {
                    return new FeatureVector.Dense(in.floatArray());
                }
                int m = limits.features();
                float[] dense = in.floatArray(m, InvalidRecordException.WRONG_FEATURE_COUNT, "m=" + m + " values");
                if (dense.length != m) {
                    throw in.error(InvalidRecordException.WRONG_FEATURE_COUNT,
                            dense.length + " values, the model takes m=" + m);
                }
                return new FeatureVector.Dense(dense);
            }
            if (t == JsonToken.VALUE_NULL) {
                throw in.error(InvalidRecordException.MISSING_FIELD, "required field is null");
            }
            if (t != JsonToken.START_OBJECT) {
                throw in.wrongType("an array of numbers or an object {indices, values}", t);
            }
            in.enter();
            int seen = 0;
            int[] indices = null;
            float[] values = null;
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken v = in.p.nextToken();
                switch (name) {
                    case "indices" -> {
                        seen = in.seen(seen, INDICES);
                        requireArray(in, v);
                        indices = limits.checksFeatures()
                                ? in.intArray(limits.features(), InvalidRecordException.WRONG_FEATURE_COUNT,
                                        "m=" + limits.features() + " indices")
                                : in.intArray();
                    }
                    case "values" -> {
                        seen = in.seen(seen, VALUES);
                        requireArray(in, v);
                        values = limits.checksFeatures()
                                ? in.floatArray(limits.features(), InvalidRecordException.WRONG_FEATURE_COUNT,
                                        "m=" + limits.features() + " values")
                                : in.floatArray();
                    }
                    default -> in.p.skipChildren();
                }
            }
            if (indices == null) {
                throw in.missing("indices");
            }
            if (values == null) {
                throw in.missing("values");
            }
            in.exit();
            if (indices.length != values.length) {
                throw in.error(InvalidRecordException.LENGTH_MISMATCH,
                        indices.length + " indices but " + values.length + " values");
            }
            return new FeatureVector.Sparse(indices, values);
        }

        private static void requireArray(JsonCursor in, JsonToken t) {
            if (t == JsonToken.VALUE_NULL) {
                throw in.error(InvalidRecordException.MISSING_FIELD, "required field is null");
            }
            if (t != JsonToken.START_ARRAY) {
                throw in.wrongType("an array", t);
            }
        }

        private double[] readSumTarget(JsonCursor in, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NULL) {
                return null;
            }
            if (t == JsonToken.START_ARRAY) {
                return in.doubleArray(false, limits.maxSumTargets(), InvalidRecordException.WRONG_FEATURE_COUNT,
                        limits.maxSumTargets() + " values");
            }
            if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
                return new double[] {in.p.getDoubleValue()};
            }
            throw in.wrongType("a number or an array of numbers", t);
        }

        @Override
        public void write(Timestep ts, JsonGenerator g) throws IOException {
            g.writeStartObject();
            if (ts.series() != null) {
                g.writeStringField("series", ts.series());
            }
            g.writeNumberField("timestep", ts.timestep());
            g.writeArrayFieldStart("objects");
            for (Timestep.ObjectInput o : ts.objects()) {
                g.writeStartObject();
                g.writeStringField("id", o.id());
                g.writeFieldName("features");
                if (o.features() instanceof FeatureVector.Dense d) {
                    writeFloats(g, d.values());
                } else if (o.features() instanceof FeatureVector.Sparse s) {
                    g.writeStartObject();
                    g.writeFieldName("indices");
                    g.writeArray(s.indices(), 0, s.indices().length);
                    g.writeFieldName("values");
                    writeFloats(g, s.values());
                    g.writeEndObject();
                }
                if (o.target() != null) {
                    g.writeNumberField("target", o.target());
                }
                if (o.label() != null) {
                    g.writeNumberField("label", o.label());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            double[] sum = ts.sumTarget();
            if (sum != null) {
                g.writeFieldName("sumTarget");
                if (sum.length == 1) {
                    g.writeNumber(sum[0]);
                } else {
                    g.writeArray(sum, 0, sum.length);
                }
            }
            g.writeEndObject();
        }

        private static void writeFloats(JsonGenerator g, float[] values) throws IOException {
            g.writeStartArray(values, values.length);
            for (float v : values) {
                g.writeNumber(v);
            }
            g.writeEndArray();
        }
    }
}
