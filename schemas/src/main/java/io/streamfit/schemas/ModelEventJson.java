package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import io.streamfit.schemas.avro.ModelEvent;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model-events topic's JSON (design.md, "Model lifecycle"), in the contract's field order:
 * {@code {"model":"global","event":"rolled-back","fromVersion":15321,"toVersion":12000,
 * "challenger":null,"reason":"command","atTimestep":9001,"generation":3,"metrics":{...}}}.
 * Absent versions, challenger and timestep are written as {@code null}, as the contract shows
 * them; metrics that are not finite are left out, and the metrics are written in name order.
 */
final class ModelEventJson implements JsonCodec<ModelEvent> {

    static final ModelEventJson CODEC = new ModelEventJson();

    private static final int MODEL = 1, EVENT = 2, REASON = 4, GENERATION = 8, METRICS = 16, FROM = 32, TO = 64,
            CHALLENGER = 128, AT = 256;

    private ModelEventJson() {
    }

    @Override
    public void write(ModelEvent v, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("model", required(v.getModel(), "model"));
        g.writeStringField("event", required(v.getEvent(), "event"));
        writeLong(g, "fromVersion", v.getFromVersion());
        writeLong(g, "toVersion", v.getToVersion());
        g.writeFieldName("challenger");
        if (v.getChallenger() == null) {
            g.writeNull();
        } else {
            g.writeString(v.getChallenger());
        }
        g.writeStringField("reason", required(v.getReason(), "reason"));
        writeLong(g, "atTimestep", v.getAtTimestep());
        g.writeNumberField("generation", v.getGeneration());
        g.writeObjectFieldStart("metrics");
        if (v.getMetrics() != null) {
            for (Map.Entry<String, Double> e : new TreeMap<>(v.getMetrics()).entrySet()) {
                if (e.getValue() != null && Double.isFinite(e.getValue())) {
                    OutputJson.writeReal(g, e.getKey(), e.getValue());
                }
            }
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static String required(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("ModelEvent." + field + " is required but null");
        }
        return value;
    }

    private static void writeLong(JsonGenerator g, String field, Long value) throws IOException {
        g.writeFieldName(field);
        if (value == null) {
            g.writeNull();
        } else {
            g.writeNumber(value.longValue());
        }
    }

    @Override
    public ModelEvent read(JsonCursor in) throws IOException {
        in.enter();
        int seen = 0;
        ModelEvent v = new ModelEvent();
        Map<String, Double> metrics = new LinkedHashMap<>();
        while (in.p.nextToken() == JsonToken.FIELD_NAME) {
            String name = in.p.currentName();
            in.field(name);
            JsonToken t = in.p.nextToken();
            switch (name) {
                case "model" -> {
                    seen = in.seen(seen, MODEL);
                    v.setModel(in.requiredString(t));
                }
                case "event" -> {
                    seen = in.seen(seen, EVENT);
                    v.setEvent(in.requiredString(t));
                }
                case "fromVersion" -> {
                    seen = in.seen(seen, FROM);
                    v.setFromVersion(t == JsonToken.VALUE_NULL ? null : in.requiredLong(t));
                }
                case "toVersion" -> {
                    seen = in.seen(seen, TO);
                    v.setToVersion(t == JsonToken.VALUE_NULL ? null : in.requiredLong(t));
                }
                case "challenger" -> {
                    seen = in.seen(seen, CHALLENGER);
                    v.setChallenger(in.optionalString(t));
                }
                case "reason" -> {
                    seen = in.seen(seen, REASON);
                    v.setReason(in.requiredString(t));
                }
                case "atTimestep" -> {
                    seen = in.seen(seen, AT);
                    v.setAtTimestep(t == JsonToken.VALUE_NULL ? null : in.requiredLong(t));
                }
                case "generation" -> {
                    seen = in.seen(seen, GENERATION);
                    v.setGeneration(in.requiredInt(t));
                }
                case "metrics" -> {
                    seen = in.seen(seen, METRICS);
                    if (t != JsonToken.START_OBJECT) {
                        throw in.wrongType("an object", t);
                    }
                    in.enter();
                    while (in.p.nextToken() == JsonToken.FIELD_NAME) {
                        String metric = in.p.currentName();
                        in.field(metric);
                        metrics.put(metric, in.requiredDouble(in.p.nextToken(), true));
                    }
                    in.exit();
                }
                default -> in.p.skipChildren();
            }
        }
        for (String[] f : new String[][] {{"model", "1"}, {"event", "2"}, {"reason", "4"}, {"generation", "8"}}) {
            if ((seen & Integer.parseInt(f[1])) == 0) {
                throw in.missing(f[0]);
            }
        }
        v.setMetrics(metrics);
        in.exit();
        return v;
    }
}
