package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON codecs of the output records, written field by field in the contract's order straight from
 * the generated classes' getters (no reflection). Absent optionals are left out. A non-finite
 * double (a diverged model) is written as the JSON string {@code "NaN"}, {@code "Infinity"} or
 * {@code "-Infinity"} rather than failing the output, and read back as such.
 */
final class OutputJson {

    static final JsonCodec<ObjectPrediction> OBJECT_PREDICTION = new ObjectPredictionCodec();
    static final JsonCodec<SumPrediction> SUM_PREDICTION = new SumPredictionCodec();
    static final JsonCodec<AnomalyScore> ANOMALY_SCORE = new AnomalyScoreCodec();
    static final JsonCodec<TimestepPredictions> TIMESTEP_PREDICTIONS = new TimestepPredictionsCodec();

    /** The variant of outputs that name none: the champion's default name. */
    static final String CHAMPION = "champion";
    private static final SerializedString CHAMPION_VALUE = new SerializedString(CHAMPION);

    // Field names, quoted and encoded once (Jackson copies their bytes instead of escaping each name).
    private static final SerializedString F_ANOMALY = new SerializedString("anomaly");
    private static final SerializedString F_EXPECTED_COUNTS = new SerializedString("expectedCounts");
    private static final SerializedString F_GENERATION = new SerializedString("generation");
    private static final SerializedString F_ID = new SerializedString("id");
    private static final SerializedString F_MODEL_VERSION = new SerializedString("modelVersion");
    private static final SerializedString F_OBJECT = new SerializedString("object");
    private static final SerializedString F_OBJECTS = new SerializedString("objects");
    private static final SerializedString F_PREDICTED_CLASS = new SerializedString("predictedClass");
    private static final SerializedString F_PREDICTION = new SerializedString("prediction");
    private static final SerializedString F_PROBABILITIES = new SerializedString("probabilities");
    private static final SerializedString F_SCORE = new SerializedString("score");
    private static final SerializedString F_SERIES = new SerializedString("series");
    private static final SerializedString F_SUM_TARGET = new SerializedString("sumTarget");
    private static final SerializedString F_TARGET = new SerializedString("target");
    private static final SerializedString F_THRESHOLD = new SerializedString("threshold");
    private static final SerializedString F_TIMESTEP = new SerializedString("timestep");
    private static final SerializedString F_VARIANT = new SerializedString("variant");

    private OutputJson() {
    }

    private static String required(String value, String type, String field) {
        if (value == null) {
            throw new IllegalArgumentException(type + "." + field + " is required but null");
        }
        return value;
    }


    /**
     * Writes a real number as the shortest decimal that reads back to the same value. The model
     * computes in float32: a value that is exactly a float prints as the float's shortest decimal
     * ({@code 12.31}, not {@code 12.3100004196167}); any other value prints as a double.
     */
    static void writeReal(JsonGenerator g, double v) throws IOException {
        if (Double.isFinite(v) && (double) (float) v == v) {
            g.writeNumber((float) v);
        } else {
            g.writeNumber(v);
        }
    }

    /** {@link #writeReal(JsonGenerator, double)} as field {@code field}. */
    static void writeReal(JsonGenerator g, String field, double v) throws IOException {
        g.writeFieldName(field);
        writeReal(g, v);
    }

    private static void writeReal(JsonGenerator g, SerializedString field, double v) throws IOException {
        g.writeFieldName(field);
        writeReal(g, v);
    }

    // The same names as JSON fragments for JsonBytes, with the comma before them.
    private static final byte[] B_SERIES = JsonBytes.ascii("{\"series\":\"");
    private static final byte[] B_TIMESTEP = JsonBytes.ascii("\",\"timestep\":");
    private static final byte[] B_TARGET = JsonBytes.ascii(",\"target\":");
    private static final byte[] B_MODEL_VERSION = JsonBytes.ascii(",\"modelVersion\":");
    private static final byte[] B_VARIANT = JsonBytes.ascii(",\"variant\":\"");
    private static final byte[] B_CHAMPION_GENERATION = JsonBytes.ascii(",\"variant\":\"champion\",\"generation\":");
    private static final byte[] B_GENERATION = JsonBytes.ascii("\",\"generation\":");
    private static final byte[] B_PROBABILITIES = JsonBytes.ascii(",\"probabilities\":");
    private static final byte[] B_PREDICTED_CLASS = JsonBytes.ascii(",\"predictedClass\":");

    /** {@code ,"variant":"...","generation":N} as the generator writes them; a null variant is the champion. */
    private static boolean variantAndGeneration(JsonBytes out, CharSequence variant, int generation) {
        if (variant == null || CHAMPION.contentEquals(variant)) {
            return out.number(B_CHAMPION_GENERATION, generation);
        }
        return out.string(B_VARIANT, variant.toString()) && out.number(B_GENERATION, generation);
    }

    /** The champion's name, the usual variant, is written from its encoded bytes too. */
    private static void writeString(JsonGenerator g, SerializedString field, String v) throws IOException {
        g.writeFieldName(field);
        if (CHAMPION.equals(v)) {
            g.writeString(CHAMPION_VALUE);
        } else {
            g.writeString(v);
        }
    }

    private static void writeNumber(JsonGenerator g, SerializedString field, long v) throws IOException {
        g.writeFieldName(field);
        g.writeNumber(v);
    }

    private static void writeNumber(JsonGenerator g, SerializedString field, int v) throws IOException {
        g.writeFieldName(field);
        g.writeNumber(v);
    }

    private static void writeBoolean(JsonGenerator g, SerializedString field, boolean v) throws IOException {
        g.writeFieldName(field);
        g.writeBoolean(v);
    }

    private static void writeDoubles(JsonGenerator g, SerializedString field, List<Double> values) throws IOException {
        g.writeFieldName(field);
        g.writeStartArray();
        for (int i = 0, n = values.size(); i < n; i++) {
            writeReal(g, values.get(i).doubleValue());
        }
        g.writeEndArray();
    }

    private static void requireArray(JsonCursor in, JsonToken t) {
        if (t != JsonToken.START_ARRAY) {
            throw in.wrongType("an array of numbers", t);
        }
    }

    private static final class ObjectPredictionCodec implements JsonCodec<ObjectPrediction> {
        private static final int SERIES = 1, TIMESTEP = 2, OBJECT = 4, PREDICTION = 8, TARGET = 16,
                MODEL_VERSION = 32, PROBABILITIES = 64, PREDICTED_CLASS = 128;
        /** Required field names by bit position; null for optionals. */
        private static final String[] REQUIRED = {"series", "timestep", "object", "prediction", null, "modelVersion"};

        @Override
        public void write(ObjectPrediction v, JsonGenerator g) throws IOException {
            g.writeStartObject();
            writeString(g, F_SERIES, required(v.getSeries(), "ObjectPrediction", "series"));
            writeNumber(g, F_TIMESTEP, v.getTimestep());
            writeString(g, F_OBJECT, required(v.getObject(), "ObjectPrediction", "object"));
            writeReal(g, F_PREDICTION, v.getPrediction());
            if (v.getTarget() != null) {
                writeReal(g, F_TARGET, v.getTarget().doubleValue());
            }
            writeNumber(g, F_MODEL_VERSION, v.getModelVersion());
            writeString(g, F_VARIANT, v.getVariant() == null ? CHAMPION : v.getVariant().toString());
            writeNumber(g, F_GENERATION, v.getGeneration());
            if (v.getProbabilities() != null) {
                writeDoubles(g, F_PROBABILITIES, v.getProbabilities());
            }
            if (v.getPredictedClass() != null) {
                writeNumber(g, F_PREDICTED_CLASS, v.getPredictedClass().intValue());
            }
            g.writeEndObject();
        }

        private static final byte[] OBJECT_ = JsonBytes.ascii(",\"object\":\"");
        private static final byte[] PREDICTION_ = JsonBytes.ascii("\",\"prediction\":");

        @Override
        public boolean write(ObjectPrediction v, JsonBytes out) {
            return out.string(B_SERIES, required(v.getSeries(), "ObjectPrediction", "series"))
                    && out.number(B_TIMESTEP, v.getTimestep())
                    && out.string(OBJECT_, required(v.getObject(), "ObjectPrediction", "object"))
                    && out.real(PREDICTION_, v.getPrediction())
                    && out.optionalReal(B_TARGET, v.getTarget())
                    && out.number(B_MODEL_VERSION, v.getModelVersion())
                    && variantAndGeneration(out, v.getVariant(), v.getGeneration())
                    && out.optionalReals(B_PROBABILITIES, v.getProbabilities())
                    && out.optionalNumber(B_PREDICTED_CLASS, v.getPredictedClass())
                    && out.end('}');
        }

        @Override
        public ObjectPrediction read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            ObjectPrediction v = new ObjectPrediction();
            // Outputs written before the lifecycle have neither: the champion, generation 0.
            v.setVariant(CHAMPION);
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "series" -> {
                        seen = in.seen(seen, SERIES);
                        v.setSeries(in.requiredString(t));
                    }
                    case "timestep" -> {
                        seen = in.seen(seen, TIMESTEP);
                        v.setTimestep(in.requiredLong(t));
                    }
                    case "object" -> {
                        seen = in.seen(seen, OBJECT);
                        v.setObject(in.requiredString(t));
                    }
                    case "prediction" -> {
                        seen = in.seen(seen, PREDICTION);
                        v.setPrediction(in.requiredDouble(t, true));
                    }
                    case "target" -> {
                        seen = in.seen(seen, TARGET);
                        v.setTarget(in.optionalDouble(t, true));
                    }
                    case "modelVersion" -> {
                        seen = in.seen(seen, MODEL_VERSION);
                        v.setModelVersion(in.requiredLong(t));
                    }
                    case "variant" -> v.setVariant(in.requiredString(t));
                    case "generation" -> v.setGeneration(in.requiredInt(t));
                    case "probabilities" -> {
                        seen = in.seen(seen, PROBABILITIES);
                        if (t != JsonToken.VALUE_NULL) {
                            requireArray(in, t);
                            v.setProbabilities(in.doubleList(true));
                        }
                    }
                    case "predictedClass" -> {
                        seen = in.seen(seen, PREDICTED_CLASS);
                        v.setPredictedClass(in.optionalInt(t));
                    }
                    default -> in.p.skipChildren();
                }
            }
            requireAll(in, seen, REQUIRED);
            in.exit();
            return v;
        }
    }

    private static final class SumPredictionCodec implements JsonCodec<SumPrediction> {
        private static final int SERIES = 1, TIMESTEP = 2, PREDICTION = 4, SUM_TARGET = 8, OBJECTS = 16,
                MODEL_VERSION = 32, EXPECTED_COUNTS = 64;
        private static final String[] REQUIRED = {"series", "timestep", "prediction", null, "objects", "modelVersion"};

        @Override
        public void write(SumPrediction v, JsonGenerator g) throws IOException {
            g.writeStartObject();
            writeString(g, F_SERIES, required(v.getSeries(), "SumPrediction", "series"));
            writeNumber(g, F_TIMESTEP, v.getTimestep());
            writeReal(g, F_PREDICTION, v.getPrediction());
            if (v.getSumTarget() != null) {
                writeReal(g, F_SUM_TARGET, v.getSumTarget().doubleValue());
            }
            writeNumber(g, F_OBJECTS, v.getObjects());
            writeNumber(g, F_MODEL_VERSION, v.getModelVersion());
            writeString(g, F_VARIANT, v.getVariant() == null ? CHAMPION : v.getVariant().toString());
            writeNumber(g, F_GENERATION, v.getGeneration());
            if (v.getExpectedCounts() != null) {
                writeDoubles(g, F_EXPECTED_COUNTS, v.getExpectedCounts());
            }
            g.writeEndObject();
        }

        private static final byte[] PREDICTION_ = JsonBytes.ascii(",\"prediction\":");
        private static final byte[] SUM_TARGET_ = JsonBytes.ascii(",\"sumTarget\":");
        private static final byte[] OBJECTS_ = JsonBytes.ascii(",\"objects\":");
        private static final byte[] EXPECTED_COUNTS_ = JsonBytes.ascii(",\"expectedCounts\":");

        @Override
        public boolean write(SumPrediction v, JsonBytes out) {
            return out.string(B_SERIES, required(v.getSeries(), "SumPrediction", "series"))
                    && out.number(B_TIMESTEP, v.getTimestep())
                    && out.real(PREDICTION_, v.getPrediction())
                    && out.optionalReal(SUM_TARGET_, v.getSumTarget())
                    && out.number(OBJECTS_, v.getObjects())
                    && out.number(B_MODEL_VERSION, v.getModelVersion())
                    && variantAndGeneration(out, v.getVariant(), v.getGeneration())
                    && out.optionalReals(EXPECTED_COUNTS_, v.getExpectedCounts())
                    && out.end('}');
        }

        @Override
        public SumPrediction read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            SumPrediction v = new SumPrediction();
            // Outputs written before the lifecycle have neither: the champion, generation 0.
            v.setVariant(CHAMPION);
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "series" -> {
                        seen = in.seen(seen, SERIES);
                        v.setSeries(in.requiredString(t));
                    }
                    case "timestep" -> {
                        seen = in.seen(seen, TIMESTEP);
                        v.setTimestep(in.requiredLong(t));
                    }
                    case "prediction" -> {
                        seen = in.seen(seen, PREDICTION);
                        v.setPrediction(in.requiredDouble(t, true));
                    }
                    case "sumTarget" -> {
                        seen = in.seen(seen, SUM_TARGET);
                        v.setSumTarget(in.optionalDouble(t, true));
                    }
                    case "objects" -> {
                        seen = in.seen(seen, OBJECTS);
                        v.setObjects(in.requiredInt(t));
                    }
                    case "modelVersion" -> {
                        seen = in.seen(seen, MODEL_VERSION);
                        v.setModelVersion(in.requiredLong(t));
                    }
                    case "variant" -> v.setVariant(in.requiredString(t));
                    case "generation" -> v.setGeneration(in.requiredInt(t));
                    case "expectedCounts" -> {
                        seen = in.seen(seen, EXPECTED_COUNTS);
                        if (t != JsonToken.VALUE_NULL) {
                            requireArray(in, t);
                            v.setExpectedCounts(in.doubleList(true));
                        }
                    }
                    default -> in.p.skipChildren();
                }
            }
            requireAll(in, seen, REQUIRED);
            in.exit();
            return v;
        }
    }

    private static final class AnomalyScoreCodec implements JsonCodec<AnomalyScore> {
        private static final int SERIES = 1, TIMESTEP = 2, OBJECT = 4, SCORE = 8, THRESHOLD = 16,
                ANOMALY = 32, MODEL_VERSION = 64;
        private static final String[] REQUIRED =
                {"series", "timestep", "object", "score", "threshold", "anomaly", "modelVersion"};

        @Override
        public void write(AnomalyScore v, JsonGenerator g) throws IOException {
            g.writeStartObject();
            writeString(g, F_SERIES, required(v.getSeries(), "AnomalyScore", "series"));
            writeNumber(g, F_TIMESTEP, v.getTimestep());
            writeString(g, F_OBJECT, required(v.getObject(), "AnomalyScore", "object"));
            writeReal(g, F_SCORE, v.getScore());
            if (v.getThreshold() == null) {
                g.writeFieldName(F_THRESHOLD);
                g.writeNull();
            } else {
                writeReal(g, F_THRESHOLD, v.getThreshold());
            }
            writeBoolean(g, F_ANOMALY, v.getAnomaly());
            writeNumber(g, F_MODEL_VERSION, v.getModelVersion());
            writeString(g, F_VARIANT, v.getVariant() == null ? CHAMPION : v.getVariant().toString());
            writeNumber(g, F_GENERATION, v.getGeneration());
            g.writeEndObject();
        }

        @Override
        public AnomalyScore read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            AnomalyScore v = new AnomalyScore();
            // Outputs written before the lifecycle have neither: the champion, generation 0.
            v.setVariant(CHAMPION);
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "series" -> {
                        seen = in.seen(seen, SERIES);
                        v.setSeries(in.requiredString(t));
                    }
                    case "timestep" -> {
                        seen = in.seen(seen, TIMESTEP);
                        v.setTimestep(in.requiredLong(t));
                    }
                    case "object" -> {
                        seen = in.seen(seen, OBJECT);
                        v.setObject(in.requiredString(t));
                    }
                    case "score" -> {
                        seen = in.seen(seen, SCORE);
                        v.setScore(in.requiredDouble(t, true));
                    }
                    case "threshold" -> {
                        seen = in.seen(seen, THRESHOLD);
                        v.setThreshold(in.optionalDouble(t, true));
                    }
                    case "anomaly" -> {
                        seen = in.seen(seen, ANOMALY);
                        v.setAnomaly(in.requiredBoolean(t));
                    }
                    case "modelVersion" -> {
                        seen = in.seen(seen, MODEL_VERSION);
                        v.setModelVersion(in.requiredLong(t));
                    }
                    case "variant" -> v.setVariant(in.requiredString(t));
                    case "generation" -> v.setGeneration(in.requiredInt(t));
                    default -> in.p.skipChildren();
                }
            }
            requireAll(in, seen, REQUIRED);
            in.exit();
            return v;
        }
    }

    /**
     * {@code output.objects=per-timestep}: every object of one input record in one value. The
     * objects carry what an {@link ObjectPrediction} carries of one object; what they share
     * (series, timestep, model version, variant, generation) is written once.
     */
    private static final class TimestepPredictionsCodec implements JsonCodec<TimestepPredictions> {
        private static final int SERIES = 1, TIMESTEP = 2, MODEL_VERSION = 4, OBJECTS = 8;
        private static final String[] REQUIRED = {"series", "timestep", "modelVersion", "objects"};
        private static final int ID = 1, PREDICTION = 2, TARGET = 4, PROBABILITIES = 8, PREDICTED_CLASS = 16;
        private static final String[] OBJECT_REQUIRED = {"id", "prediction"};

        private static final byte[] OBJECTS_ = JsonBytes.ascii(",\"objects\":[");
        private static final byte[] ID_ = JsonBytes.ascii("{\"id\":\"");
        private static final byte[] NEXT_ID_ = JsonBytes.ascii(",{\"id\":\"");
        private static final byte[] PREDICTION_ = JsonBytes.ascii("\",\"prediction\":");

        @Override
        public boolean write(TimestepPredictions v, JsonBytes out) {
            List<PredictedObject> objects = v.getObjects();
            if (objects == null) {
                throw new IllegalArgumentException("TimestepPredictions.objects is required but null");
            }
            if (!(out.string(B_SERIES, required(v.getSeries(), "TimestepPredictions", "series"))
                    && out.number(B_TIMESTEP, v.getTimestep())
                    && out.number(B_MODEL_VERSION, v.getModelVersion())
                    && variantAndGeneration(out, v.getVariant(), v.getGeneration()))) {
                return false;
            }
            out.raw(OBJECTS_);
            for (int i = 0, n = objects.size(); i < n; i++) {
                PredictedObject o = objects.get(i);
                if (!(out.string(i == 0 ? ID_ : NEXT_ID_, required(o.getId(), "PredictedObject", "id"))
                        && out.real(PREDICTION_, o.getPrediction())
                        && out.optionalReal(B_TARGET, o.getTarget())
                        && out.optionalReals(B_PROBABILITIES, o.getProbabilities())
                        && out.optionalNumber(B_PREDICTED_CLASS, o.getPredictedClass())
                        && out.end('}'))) {
                    return false;
                }
            }
            return out.end(']') && out.end('}');
        }

        @Override
        public void write(TimestepPredictions v, JsonGenerator g) throws IOException {
            g.writeStartObject();
            writeString(g, F_SERIES, required(v.getSeries(), "TimestepPredictions", "series"));
            writeNumber(g, F_TIMESTEP, v.getTimestep());
            writeNumber(g, F_MODEL_VERSION, v.getModelVersion());
            writeString(g, F_VARIANT, v.getVariant() == null ? CHAMPION : v.getVariant());
            writeNumber(g, F_GENERATION, v.getGeneration());
            List<PredictedObject> objects = v.getObjects();
            if (objects == null) {
                throw new IllegalArgumentException("TimestepPredictions.objects is required but null");
            }
            g.writeFieldName(F_OBJECTS);
            g.writeStartArray();
            for (int i = 0, n = objects.size(); i < n; i++) {
                PredictedObject o = objects.get(i);
                g.writeStartObject();
                writeString(g, F_ID, required(o.getId(), "PredictedObject", "id"));
                writeReal(g, F_PREDICTION, o.getPrediction());
                if (o.getTarget() != null) {
                    writeReal(g, F_TARGET, o.getTarget().doubleValue());
                }
                if (o.getProbabilities() != null) {
                    writeDoubles(g, F_PROBABILITIES, o.getProbabilities());
                }
                if (o.getPredictedClass() != null) {
                    writeNumber(g, F_PREDICTED_CLASS, o.getPredictedClass().intValue());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }

        @Override
        public TimestepPredictions read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            TimestepPredictions v = new TimestepPredictions();
            v.setVariant(CHAMPION);
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "series" -> {
                        seen = in.seen(seen, SERIES);
                        v.setSeries(in.requiredString(t));
                    }
                    case "timestep" -> {
                        seen = in.seen(seen, TIMESTEP);
                        v.setTimestep(in.requiredLong(t));
                    }
                    case "modelVersion" -> {
                        seen = in.seen(seen, MODEL_VERSION);
                        v.setModelVersion(in.requiredLong(t));
                    }
                    case "variant" -> v.setVariant(in.requiredString(t));
                    case "generation" -> v.setGeneration(in.requiredInt(t));
                    case "objects" -> {
                        seen = in.seen(seen, OBJECTS);
                        v.setObjects(readObjects(in, t));
                    }
                    default -> in.p.skipChildren();
                }
            }
            requireAll(in, seen, REQUIRED);
            in.exit();
            return v;
        }

        private static List<PredictedObject> readObjects(JsonCursor in, JsonToken t) throws IOException {
            if (t != JsonToken.START_ARRAY) {
                throw in.wrongType("an array of objects", t);
            }
            List<PredictedObject> objects = new ArrayList<>();
            in.enter();
            for (int i = 0; ; i++) {
                in.index(i);
                t = in.p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    break;
                }
                if (t != JsonToken.START_OBJECT) {
                    throw in.wrongType("an object", t);
                }
                objects.add(readObject(in));
            }
            in.exit();
            return objects;
        }

        private static PredictedObject readObject(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            PredictedObject o = new PredictedObject();
            while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                String name = in.p.currentName();
                in.field(name);
                JsonToken t = in.p.nextToken();
                switch (name) {
                    case "id" -> {
                        seen = in.seen(seen, ID);
                        o.setId(in.requiredString(t));
                    }
                    case "prediction" -> {
                        seen = in.seen(seen, PREDICTION);
                        o.setPrediction(in.requiredDouble(t, true));
                    }
                    case "target" -> {
                        seen = in.seen(seen, TARGET);
                        o.setTarget(in.optionalDouble(t, true));
                    }
                    case "probabilities" -> {
                        seen = in.seen(seen, PROBABILITIES);
                        if (t != JsonToken.VALUE_NULL) {
                            requireArray(in, t);
                            o.setProbabilities(in.doubleList(true));
                        }
                    }
                    case "predictedClass" -> {
                        seen = in.seen(seen, PREDICTED_CLASS);
                        o.setPredictedClass(in.optionalInt(t));
                    }
                    default -> in.p.skipChildren();
                }
            }
            requireAll(in, seen, OBJECT_REQUIRED);
            in.exit();
            return o;
        }
    }

    /** Fails for the first field of {@code required} (indexed by bit position) whose bit is not in {@code seen}. */
    private static void requireAll(JsonCursor in, int seen, String[] required) {
        for (int bit = 0; bit < required.length; bit++) {
            if (required[bit] != null && (seen & (1 << bit)) == 0) {
                throw in.missing(required[bit]);
            }
        }
    }
}
