package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The labels topic's JSON (design.md, "Delayed labels") to and from {@link Labels}:
 * {@code {"series":"plant-7","timestep":1042,"objects":[{"id":"turbine-1","target":12.5}],"sumTarget":25.1}},
 * with {@code label} instead of {@code target} for a classifier. Read as {@link TimestepJson}
 * reads the features (same number rules, unknown fields skipped, limits checked while parsing),
 * except that objects carry no features and {@code objects} may be absent when {@code sumTarget}
 * is given. Only JSON: {@link LabelsValue} reads either encoding and hands JSON to this class.
 */
public final class LabelsJson {

    private static final Codec CODEC = new Codec(TimestepLimits.NONE);

    private LabelsJson() {
    }

    /**
     * Parses one record within {@code limits} (object count, id length, {@code sumTarget} length;
     * the feature count does not apply).
     *
     * @throws InvalidRecordException when the bytes are not a structurally valid labels record
     */
    public static Labels parse(byte[] data, TimestepLimits limits) {
        return Json.parse(data, 0, data.length, limits.equals(TimestepLimits.NONE) ? CODEC : new Codec(limits));
    }

    /** Parses one record without limits. */
    public static Labels parse(byte[] data) {
        return parse(data, TimestepLimits.NONE);
    }

    /** The record as the contract's JSON, UTF-8. */
    public static byte[] toBytes(Labels labels) {
        return Json.write(labels, CODEC);
    }

    private static final class Codec implements JsonCodec<Labels> {

        private static final int SERIES = 1, TIMESTEP = 2, OBJECTS = 4, SUM_TARGET = 8;
        private static final int ID = 1, TARGET = 2, LABEL = 4;

        private final TimestepLimits limits;

        Codec(TimestepLimits limits) {
            this.limits = limits;
        }

        @Override
        public Labels read(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            String series = null;
            long timestep = 0;
            List<Labels.ObjectLabel> objects = List.of();
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
            if (objects.isEmpty() && sumTarget == null) {
                throw in.missing("objects");
            }
            in.exit();
            return new Labels(series, timestep, objects, sumTarget);
        }

        private List<Labels.ObjectLabel> readObjects(JsonCursor in, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NULL) {
                return List.of();
            }
            if (t != JsonToken.START_ARRAY) {
                throw in.wrongType("an array of objects", t);
            }
            List<Labels.ObjectLabel> objects = new ArrayList<>();
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

        private Labels.ObjectLabel readObject(JsonCursor in) throws IOException {
            in.enter();
            int seen = 0;
            String id = null;
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
            if (target == null && label == null) {
                throw in.missing("target");
            }
            in.exit();
            return new Labels.ObjectLabel(id, target, label);
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
        public void write(Labels labels, JsonGenerator g) throws IOException {
            g.writeStartObject();
            if (labels.series() != null) {
                g.writeStringField("series", labels.series());
            }
            g.writeNumberField("timestep", labels.timestep());
            g.writeArrayFieldStart("objects");
            for (Labels.ObjectLabel o : labels.objects()) {
                g.writeStartObject();
                g.writeStringField("id", o.id());
                if (o.target() != null) {
                    g.writeNumberField("target", o.target());
                }
                if (o.label() != null) {
                    g.writeNumberField("label", o.label());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            double[] sum = labels.sumTarget();
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
    }
}
