package io.streamfit.schemas;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link JsonParser} plus the field path it stands at, and typed reads that fail with an
 * {@link InvalidRecordException} naming that path. The path costs two array stores per step and is
 * only turned into a string when something fails. Scratch buffers live here, one cursor per
 * parse, so the codecs stay stateless and thread-safe.
 */
final class JsonCursor {

    /** Our schemas nest at most 5 levels ({@code objects[i].features.indices[j]}); unknown subtrees are skipped, not entered. */
    private static final int MAX_DEPTH = 8;

    final JsonParser p;
    private final String[] names = new String[MAX_DEPTH];
    private final int[] indices = new int[MAX_DEPTH];
    private int depth;

    private float[] floats = new float[32];
    private int[] ints = new int[32];
    private double[] doubles = new double[8];

    JsonCursor(JsonParser p) {
        this.p = p;
    }

    // ---- path -------------------------------------------------------------------------------

    /** Enters an object or array; name the step with {@link #field} or {@link #index}. */
    void enter() {
        names[depth] = null;
        indices[depth] = -1;
        depth++;
    }

    void exit() {
        depth--;
    }

    /** The current step is object field {@code name}. */
    void field(String name) {
        names[depth - 1] = name;
        indices[depth - 1] = -1;
    }

    /** The current step is array element {@code i}. */
    void index(int i) {
        names[depth - 1] = null;
        indices[depth - 1] = i;
    }

    /** The path as {@code objects[2].features[5]}, or {@code $} at the top. */
    String path() {
        StringBuilder sb = new StringBuilder(32);
        for (int d = 0; d < depth; d++) {
            if (names[d] != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(names[d]);
            } else if (indices[d] >= 0) {
                sb.append('[').append(indices[d]).append(']');
            }
        }
        return sb.length() == 0 ? "$" : sb.toString();
    }

    // ---- errors -----------------------------------------------------------------------------

    InvalidRecordException error(String reason, String detail) {
        return new InvalidRecordException(reason, path(), detail);
    }

    InvalidRecordException wrongType(String expected, JsonToken got) {
        return error(InvalidRecordException.WRONG_TYPE, "expected " + expected + ", got " + tokenName(got));
    }

    /** Fails for required field {@code name} of the object the cursor is in. */
    InvalidRecordException missing(String name) {
        field(name);
        return error(InvalidRecordException.MISSING_FIELD, "required field is missing");
    }

    /** Marks bit {@code bit} of {@code seen}; a known field seen twice is ambiguous, so it fails. */
    int seen(int seen, int bit) {
        if ((seen & bit) != 0) {
            throw error(InvalidRecordException.DUPLICATE_FIELD, "field appears twice");
        }
        return seen | bit;
    }

    static String tokenName(JsonToken t) {
        if (t == null) {
            return "END OF INPUT";
        }
        return switch (t) {
            case VALUE_STRING -> "STRING";
            case VALUE_NUMBER_INT -> "INTEGER";
            case VALUE_NUMBER_FLOAT -> "FLOAT";
            case VALUE_TRUE, VALUE_FALSE -> "BOOLEAN";
            case VALUE_NULL -> "NULL";
            case START_OBJECT -> "OBJECT";
            case START_ARRAY -> "ARRAY";
            default -> t.name();
        };
    }

    // ---- scalars (t is the value token the parser stands on) --------------------------------

    String requiredString(JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (t == JsonToken.VALUE_NULL) {
            throw error(InvalidRecordException.MISSING_FIELD, "required field is null");
        }
        throw wrongType("a string", t);
    }

    String optionalString(JsonToken t) throws IOException {
        return t == JsonToken.VALUE_NULL ? null : requiredString(t);
    }

    long requiredLong(JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            try {
                return p.getLongValue();
            } catch (InputCoercionException e) {
                throw error(InvalidRecordException.OUT_OF_RANGE, "integer does not fit in 64 bits");
            }
        }
        if (t == JsonToken.VALUE_NULL) {
            throw error(InvalidRecordException.MISSING_FIELD, "required field is null");
        }
        throw wrongType("an integer", t);
    }

    int requiredInt(JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return intValue();
        }
        if (t == JsonToken.VALUE_NULL) {
            throw error(InvalidRecordException.MISSING_FIELD, "required field is null");
        }
        throw wrongType("an integer", t);
    }

    Integer optionalInt(JsonToken t) throws IOException {
        return t == JsonToken.VALUE_NULL ? null : requiredInt(t);
    }

    boolean requiredBoolean(JsonToken t) {
        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            return t == JsonToken.VALUE_TRUE;
        }
        if (t == JsonToken.VALUE_NULL) {
            throw error(InvalidRecordException.MISSING_FIELD, "required field is null");
        }
        throw wrongType("a boolean", t);
    }

    /**
     * A number (integer or fractional). With {@code nonFiniteStrings}, also the strings
     * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} that our writer emits for non-finite
     * outputs; input records never accept them.
     */
    double requiredDouble(JsonToken t, boolean nonFiniteStrings) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
            return p.getDoubleValue();
        }
        if (t == JsonToken.VALUE_NULL) {
            throw error(InvalidRecordException.MISSING_FIELD, "required field is null");
        }
        if (nonFiniteStrings && t == JsonToken.VALUE_STRING) {
            switch (p.getText()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        throw wrongType("a number", t);
    }

    Double optionalDouble(JsonToken t, boolean nonFiniteStrings) throws IOException {
        return t == JsonToken.VALUE_NULL ? null : requiredDouble(t, nonFiniteStrings);
    }

    private int intValue() throws IOException {
        try {
            return p.getIntValue();
        } catch (InputCoercionException e) {
            throw error(InvalidRecordException.OUT_OF_RANGE, "integer does not fit in 32 bits");
        }
    }

    // ---- arrays (the parser stands on START_ARRAY; returns on END_ARRAY) ---------------------

    /**
     * The numbers of a JSON array as floats. They gather in a scratch buffer that grows by doubling
     * and is reused by every array of this parse; only the exact-length result is allocated.
     */
    float[] floatArray() throws IOException {
        enter();
        float[] buf = floats;
        int n = 0;
        while (true) {
            index(n); // before reading, so that a syntax error names the element it broke
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_ARRAY) {
                break;
            }
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw wrongType("a number", t);
            }
            if (n == buf.length) {
                buf = floats = Arrays.copyOf(buf, n * 2);
            }
            // Parses straight to float (no double rounding step), so written floats read back exactly.
            buf[n++] = p.getFloatValue();
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    int[] intArray() throws IOException {
        enter();
        int[] buf = ints;
        int n = 0;
        while (true) {
            index(n); // before reading, so that a syntax error names the element it broke
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_ARRAY) {
                break;
            }
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw wrongType("an integer", t);
            }
            if (n == buf.length) {
                buf = ints = Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = intValue();
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    double[] doubleArray(boolean nonFiniteStrings) throws IOException {
        enter();
        double[] buf = doubles;
        int n = 0;
        while (true) {
            index(n); // before reading, so that a syntax error names the element it broke
            JsonToken t = p.nextToken();
            if (t == JsonToken.END_ARRAY) {
                break;
            }
            if (t == JsonToken.VALUE_NULL) {
                throw wrongType("a number", t);
            }
            if (n == buf.length) {
                buf = doubles = Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = requiredDouble(t, nonFiniteStrings);
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    /** A JSON array of numbers as the boxed list Avro-generated classes hold. */
    List<Double> doubleList(boolean nonFiniteStrings) throws IOException {
        double[] values = doubleArray(nonFiniteStrings);
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }
}
