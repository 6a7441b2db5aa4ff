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
    /** The input, {@code data[offset, end)}: ids are checked in their raw bytes before Jackson decodes them. */
    private final byte[] data;
    private final int offset;
    private final int end;
    private final String[] names = new String[MAX_DEPTH];
    private final int[] indices = new int[MAX_DEPTH];
    private int depth;

    private float[] floats = new float[32];
    private int[] ints = new int[32];
    private double[] doubles = new double[8];

    JsonCursor(JsonParser p, byte[] data, int offset, int length) {
        this.p = p;
        this.data = data;
        this.offset = offset;
        this.end = offset + length;
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

    /**
     * A string of at most {@code maxBytes} UTF-8 bytes, well-formed UTF-8 in the input and without
     * escaped unpaired surrogates (which UTF-8 cannot carry), for ids and series.
     */
    String requiredId(JsonToken t, int maxBytes) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            return requiredString(t);
        }
        if (checkRawString(maxBytes)) {
            return p.getText();
        }
        String s = p.getText();
        checkDecoded(s, maxBytes);
        return s;
    }

    String optionalId(JsonToken t, int maxBytes) throws IOException {
        return t == JsonToken.VALUE_NULL ? null : requiredId(t, maxBytes);
    }

    /**
     * Checks the string token the parser stands on in the input bytes, before Jackson decodes it
     * (it does so lazily, on {@code getText}): a long id then fails at its limit without being
     * buffered, and a malformed byte fails instead of becoming some character. Syntax errors (a bad
     * escape, no closing quote) are left to Jackson, which reports them on {@code getText}.
     *
     * @return false when the token is not where the parser's location says (never with
     *         {@link Json#parse}): then nothing was checked
     */
    private boolean checkRawString(int maxBytes) {
        long location = p.currentTokenLocation().getByteOffset();
        int start = (int) Math.min(Integer.MAX_VALUE, location + offset);
        if (location < 0 || start >= end || data[start] != '"') {
            return false;
        }
        long bytes = 0;
        int i = start + 1;
        while (i < end) {
            int b = data[i];
            if (b == '"') {
                return true;
            }
            int n;
            if (b == '\\') {
                if (i + 1 >= end) {
                    return true;
                }
                if (data[i + 1] != 'u') {
                    i += 2;
                    n = 1;
                } else {
                    int unit = hex4(i + 2);
                    if (unit < 0) {
                        return true;
                    }
                    i += 6;
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        int low = i + 1 < end && data[i] == '\\' && data[i + 1] == 'u' ? hex4(i + 2) : -1;
                        if (low < 0xDC00 || low > 0xDFFF) {
                            throw error(InvalidRecordException.UNPARSABLE,
                                    "escapes an unpaired surrogate, which UTF-8 cannot encode");
                        }
                        i += 6;
                        n = 4;
                    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                        throw error(InvalidRecordException.UNPARSABLE,
                                "escapes an unpaired surrogate, which UTF-8 cannot encode");
                    } else {
                        n = unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
                    }
                }
            } else if (b >= 0) {
                i++;
                n = 1;
            } else {
                n = StrictUtf8.sequenceLength(data, i, end);
                if (n < 0) {
                    throw error(InvalidRecordException.UNPARSABLE,
                            "not well-formed UTF-8 at byte " + (bytes + 1) + " of the string");
                }
                i += n;
            }
            bytes += n;
            if (bytes > maxBytes) {
                throw tooLong(maxBytes);
            }
        }
        return true;
    }

    /** The checks of {@link #checkRawString} on a decoded string, where the raw bytes are out of reach. */
    private void checkDecoded(String s, int maxBytes) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw error(InvalidRecordException.UNPARSABLE, "has an unpaired surrogate, which UTF-8 cannot encode");
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
            if (bytes > maxBytes) {
                throw tooLong(maxBytes);
            }
        }
    }

    private InvalidRecordException tooLong(int maxBytes) {
        return error(InvalidRecordException.TOO_LARGE, "longer than max.id.bytes=" + maxBytes + " bytes");
    }

    /** The 4 hex digits at {@code data[i]} as a UTF-16 code unit, or -1. */
    private int hex4(int i) {
        if (i + 4 > end) {
            return -1;
        }
        int v = 0;
        for (int k = i; k < i + 4; k++) {
            int d = Character.digit(data[k], 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
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
        return floatArray(Integer.MAX_VALUE, null, null);
    }

    /**
     * As {@link #floatArray()}, failing with {@code reason} at element {@code max} ("more than
     * {@code limit}"), so that neither the parse nor the buffer goes past the limit.
     */
    float[] floatArray(int max, String reason, String limit) throws IOException {
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
            if (n == max) {
                throw error(reason, "more than " + limit);
            }
            if (n == buf.length) {
                buf = floats = Arrays.copyOf(buf, grown(n, max));
            }
            // Parses straight to float (no double rounding step), so written floats read back exactly.
            buf[n++] = p.getFloatValue();
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    int[] intArray() throws IOException {
        return intArray(Integer.MAX_VALUE, null, null);
    }

    /** The integers of a JSON array, failing with {@code reason} at element {@code max}, as {@link #floatArray(int, String, String)}. */
    int[] intArray(int max, String reason, String limit) throws IOException {
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
            if (n == max) {
                throw error(reason, "more than " + limit);
            }
            if (n == buf.length) {
                buf = ints = Arrays.copyOf(buf, grown(n, max));
            }
            buf[n++] = intValue();
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    double[] doubleArray(boolean nonFiniteStrings) throws IOException {
        return doubleArray(nonFiniteStrings, Integer.MAX_VALUE, null, null);
    }

    /** The numbers of a JSON array, failing with {@code reason} at element {@code max}, as {@link #floatArray(int, String, String)}. */
    double[] doubleArray(boolean nonFiniteStrings, int max, String reason, String limit) throws IOException {
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
            if (n == max) {
                throw error(reason, "more than " + limit);
            }
            if (n == buf.length) {
                buf = doubles = Arrays.copyOf(buf, grown(n, max));
            }
            buf[n++] = requiredDouble(t, nonFiniteStrings);
        }
        exit();
        return Arrays.copyOf(buf, n);
    }

    /** The next scratch size: doubled, but never past a limit that the array may not exceed anyway. */
    private static int grown(int n, int max) {
        return (int) Math.min(Math.max(8L, 2L * n), max);
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
