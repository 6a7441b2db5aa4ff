package io.streamfit.schemas;

import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The usual input record read straight from its bytes, about four times as fast as Jackson's
 * streaming parser (`benchmarks/run.sh decode`): dense features, ASCII ids without escapes, the
 * contract's fields (unknown ones of plain ASCII are skipped, as the codec skips them), every limit
 * kept. It reads nothing else: on anything it does not know (a sparse vector, an escaped or
 * non-ASCII id, a duplicate field, a limit passed, a syntax error) it answers {@code null} and
 * {@link TimestepJson} reads the record, so every record it declines gets exactly the answer, or
 * the error, it always got.
 *
 * <p>Where it reads a record, the result is the one {@link TimestepJson} gives, bit for bit:
 * numbers take the same route to their values (an integer token through {@code long}, as Jackson
 * converts one; a decimal through {@link ShortDecimal} when that is exact, otherwise through the
 * FastDoubleParser Jackson uses), and ids are the same characters. {@code TimestepFastJsonTest}
 * compares the two on generated and mutated records.
 */
final class TimestepFastJson {

    /** Declines the record; preallocated and without a stack trace, since it is not an error. */
    private static final class Decline extends RuntimeException {
        Decline() {
            super(null, null, false, false);
        }
    }

    private static final Decline DECLINE = new Decline();
    /** Longer number texts are Jackson's (it has its own limit on them). */
    private static final int MAX_NUMBER_CHARS = 64;
    private static final int MAX_LONG_DIGITS = 18;
    private static final int MAX_INT_DIGITS = 9;
    /** Longer ids are Jackson's (it has its own limit on strings). */
    private static final int MAX_ID_BYTES = 1024;
    /** Deeper unknown values are Jackson's (it has its own limit on nesting). */
    private static final int MAX_SKIPPED_DEPTH = 32;
    /** Longer field names and skipped strings are Jackson's (it has its own limits on both). */
    private static final int MAX_NAME_BYTES = 256;
    private static final int MAX_SKIPPED_STRING_BYTES = 64 * 1024;
    private static final int UNKNOWN = -1;

    private static final byte[][] RECORD_FIELDS = names("series", "timestep", "objects", "sumTarget");
    private static final byte[][] OBJECT_FIELDS = names("id", "features", "target", "label");

    private final byte[] data;
    private final int end;
    private final TimestepLimits limits;
    private int i;
    private float[] scratch;
    /** Made on the first number the general parser reads: short numbers, the usual ones, need none. */
    private char[] chars;

    // The number just scanned.
    private boolean negative;
    private long mantissa;
    private int digits;
    private int decimals;
    private boolean integer;
    private boolean exact;
    private int numberStart;
    /** Whether a number of this record had more digits than a double holds ({@link #shortFloat}). */
    private boolean longNumbers;

    private TimestepFastJson(byte[] data, int offset, int length, TimestepLimits limits) {
        this.data = data;
        this.i = offset;
        this.end = offset + length;
        this.limits = limits;
    }

    /** The record in {@code data[offset, offset + length)}, or {@code null} for {@link TimestepJson} to read. */
    static Timestep read(byte[] data, int offset, int length, TimestepLimits limits) {
        try {
            return new TimestepFastJson(data, offset, length, limits).record();
        } catch (InvalidRecordException e) {
            throw e;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Timestep record() {
        String series = null;
        long timestep = 0;
        List<Timestep.ObjectInput> objects = null;
        double[] sumTarget = null;
        int seen = 0;
        whitespace();
        expect('{');
        if (!closes('}')) {
            do {
                int field = field(RECORD_FIELDS);
                if (field == UNKNOWN) {
                    skipValue(0);
                    continue;
                }
                seen = once(seen, field);
                switch (field) {
                    case 0 -> series = isNull() ? null : id();
                    case 1 -> timestep = longValue();
                    case 2 -> objects = objects();
                    default -> sumTarget = sumTarget();
                }
            } while (next('}'));
        }
        whitespace();
        if (i != end || (seen & 0b110) != 0b110) {
            throw DECLINE;
        }
        return new Timestep(series, timestep, objects, sumTarget);
    }

    private List<Timestep.ObjectInput> objects() {
        expect('[');
        List<Timestep.ObjectInput> objects = new ArrayList<>();
        if (closes(']')) {
            return objects;
        }
        do {
            if (objects.size() == limits.maxObjects()) {
                // Jackson may fail on another element before the codec counts it: declined.
                throw peek() == '{' ? tooManyObjects() : DECLINE;
            }
            objects.add(object());
        } while (next(']'));
        return objects;
    }

    /**
     * One object more than max.objects: the codec's error, word for word, where the codec fails (at
     * the next object's start), rather than a decline, so that a record of many tiny objects is read
     * once up to the limit, not twice.
     */
    private InvalidRecordException tooManyObjects() {
        return new InvalidRecordException(InvalidRecordException.TOO_MANY_OBJECTS, "objects[" + limits.maxObjects() + "]",
                "more than max.objects=" + limits.maxObjects() + " objects");
    }

    private Timestep.ObjectInput object() {
        String id = null;
        float[] features = null;
        Double target = null;
        Integer label = null;
        int seen = 0;
        expect('{');
        if (!closes('}')) {
            do {
                int field = field(OBJECT_FIELDS);
                if (field == UNKNOWN) {
                    skipValue(0);
                    continue;
                }
                seen = once(seen, field);
                switch (field) {
                    case 0 -> id = id();
                    case 1 -> features = features();
                    case 2 -> target = isNull() ? null : doubleValue();
                    default -> label = isNull() ? null : intValue();
                }
            } while (next('}'));
        }
        if (id == null || features == null) {
            throw DECLINE;
        }
        return new Timestep.ObjectInput(id, new FeatureVector.Dense(features), target, label);
    }

    private float[] features() {
        expect('[');
        boolean checked = limits.checksFeatures();
        float[] buf = checked ? new float[limits.features()] : scratch == null ? (scratch = new float[64]) : scratch;
        int n = 0;
        if (!closes(']')) {
            do {
                if (n == buf.length) {
                    if (checked) {
                        throw DECLINE;
                    }
                    buf = scratch = Arrays.copyOf(buf, 2 * n);
                }
                buf[n++] = floatValue();
            } while (next(']'));
        }
        if (checked) {
            if (n != buf.length) {
                throw DECLINE;
            }
            return buf;
        }
        return Arrays.copyOf(buf, n);
    }

    private double[] sumTarget() {
        if (isNull()) {
            return null;
        }
        if (!closes('[')) {
            return new double[] {doubleValue()};
        }
        double[] buf = new double[Math.min(limits.maxSumTargets(), 8)];
        int n = 0;
        if (!closes(']')) {
            do {
                if (n == limits.maxSumTargets()) {
                    throw DECLINE;
                }
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(2L * n, limits.maxSumTargets()));
                }
                buf[n++] = doubleValue();
            } while (next(']'));
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }

    // ---- values ------------------------------------------------------------------------------

    /** A string of printable ASCII without escapes, within max.id.bytes. */
    private String id() {
        expect('"');
        int start = i;
        int max = Math.min(limits.maxIdBytes(), MAX_ID_BYTES);
        while (true) {
            if (i == end) {
                throw DECLINE;
            }
            byte b = data[i];
            if (b == '"') {
                break;
            }
            if (b < 0x20 || b == '\\' || i - start == max) { // negative: not ASCII
                throw DECLINE;
            }
            i++;
        }
        String s = new String(data, start, i - start, StandardCharsets.ISO_8859_1);
        i++;
        return s;
    }

    private long longValue() {
        number();
        if (!integer) {
            throw DECLINE;
        }
        // 19 digits may or may not fit: Long's parser decides (out of range: declined, Jackson's error).
        return digits <= MAX_LONG_DIGITS ? negative ? -mantissa : mantissa : Long.parseLong(numberText());
    }

    private int intValue() {
        number();
        if (!integer || digits > MAX_INT_DIGITS) {
            throw DECLINE;
        }
        return (int) (negative ? -mantissa : mantissa);
    }

    private float floatValue() {
        if (!longNumbers) {
            int start = i;
            float fast = shortFloat();
            if (!Float.isNaN(fast)) {
                return fast;
            }
            i = start;
        }
        number();
        if (integer && digits <= MAX_LONG_DIGITS) {
            // Jackson reads an integer token as an int or long and converts it (so "-0" is +0.0).
            return (float) (negative ? -mantissa : mantissa);
        }
        if (exact && ShortDecimal.fitsFloat(digits, decimals)) {
            return ShortDecimal.toFloat(negative, mantissa, decimals);
        }
        if (exact && ShortDecimal.fitsDouble(digits, decimals)) {
            float value = ShortDecimal.toFloatViaDouble(negative, mantissa, decimals);
            if (!Float.isNaN(value)) {
                return value;
            }
        }
        return NumberInput.parseFloat(numberChars(), 0, i - numberStart, true);
    }

    /**
     * The usual feature, {@code -?(0|[1-9][0-9]*)(.[0-9]+)?}, in one pass with the state in locals:
     * all its digits read as an integer {@code m} of at most 2^53, {@code k} of them after the point,
     * and {@code i} past it. {@code m / 10^k} as a float by {@link ShortDecimal}'s exact paths (as a
     * float where m <= 2^24 and k <= 10, else by way of the double where k <= 22); an integer
     * token as Jackson reads it, a long converted to float (so {@code -0} is +0.0). Anything
     * else, an exponent included, gives NaN (never a value of this path) and leaves {@code i}
     * anywhere: the general path then reads the number from its start. A number with more digits
     * than a double holds marks the record's numbers as long ({@link #longNumbers}): a producer
     * writes them all alike, and the rest then go to the general path at once.
     */
    private float shortFloat() {
        byte[] d = data;
        int p = i;
        int e = end;
        if (p == e) {
            return Float.NaN;
        }
        boolean neg = d[p] == '-';
        if (neg && ++p == e) {
            return Float.NaN;
        }
        int first = d[p] - '0';
        if (first < 0 || first > 9) {
            return Float.NaN;
        }
        long m = first;
        p++;
        if (first == 0) {
            if (p < e && isDigit(d[p])) {
                return Float.NaN; // a leading zero: Jackson's error, the general path declines it
            }
        } else {
            for (; p < e; p++) {
                int digit = d[p] - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                m = m * 10 + digit;
                if (m > EXACT_DOUBLE_MAX) {
                    longNumbers = true;
                    return Float.NaN;
                }
            }
        }
        int decimals = -1;
        // The fraction's own loop, like the integer part's: one loop over both, with the point as a
        // branch in it, read 2-5% slower (DecodeBenchmark, short and float numbers).
        if (p < e && d[p] == '.') {
            int fraction = ++p;
            for (; p < e; p++) {
                int digit = d[p] - '0';
                if (digit < 0 || digit > 9) {
                    break;
                }
                m = m * 10 + digit;
                if (m > EXACT_DOUBLE_MAX) {
                    longNumbers = true;
                    return Float.NaN;
                }
            }
            decimals = p - fraction;
            if (decimals == 0 || decimals > ShortDecimal.DOUBLE_DECIMALS) {
                return Float.NaN;
            }
        }
        if (p < e && (d[p] == 'e' || d[p] == 'E')) {
            return Float.NaN;
        }
        i = p;
        if (decimals < 0) {
            return (float) (neg ? -m : m);
        }
        if (m <= EXACT_FLOAT_MAX && decimals <= ShortDecimal.FLOAT_DECIMALS) {
            return ShortDecimal.toFloat(neg, m, decimals);
        }
        return ShortDecimal.toFloatViaDouble(neg, m, decimals);
    }

    /** Every integer up to these is exact in a float (2^24) and in a double (2^53). */
    private static final long EXACT_FLOAT_MAX = 1L << 24;
    private static final long EXACT_DOUBLE_MAX = 1L << 53;

    private double doubleValue() {
        number();
        if (integer && digits <= MAX_LONG_DIGITS) {
            return (double) (negative ? -mantissa : mantissa);
        }
        if (exact && ShortDecimal.fitsDouble(digits, decimals)) {
            return ShortDecimal.toDouble(negative, mantissa, decimals);
        }
        return NumberInput.parseDouble(numberChars(), 0, i - numberStart, true);
    }

    /** The number just scanned as characters, for FastDoubleParser (at most {@link #MAX_NUMBER_CHARS}). */
    private char[] numberChars() {
        if (chars == null) {
            chars = new char[MAX_NUMBER_CHARS];
        }
        for (int k = numberStart; k < i; k++) {
            chars[k - numberStart] = (char) data[k];
        }
        return chars;
    }

    private String numberText() {
        return new String(data, numberStart, i - numberStart, StandardCharsets.ISO_8859_1);
    }

    /**
     * Scans one JSON number ({@code -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?}): its sign, its
     * significant digits as a long (while they fit), how many follow the point, whether it is an
     * integer token and whether the mantissa holds every digit without an exponent ({@code exact}).
     */
    private void number() {
        numberStart = i;
        negative = peek() == '-';
        if (negative) {
            i++;
        }
        mantissa = 0;
        digits = 0;
        decimals = 0;
        integer = true;
        exact = true;
        int first = peek();
        if (first == '0') {
            i++;
            if (i < end && isDigit(data[i])) {
                throw DECLINE; // a leading zero: Jackson's error
            }
        } else if (isDigit(first)) {
            digitRun(false);
        } else {
            throw DECLINE;
        }
        if (i < end && data[i] == '.') {
            i++;
            integer = false;
            if (i == end || !isDigit(data[i])) {
                throw DECLINE;
            }
            digitRun(true);
        }
        if (i < end && (data[i] == 'e' || data[i] == 'E')) {
            i++;
            integer = false;
            exact = false;
            if (i < end && (data[i] == '+' || data[i] == '-')) {
                i++;
            }
            if (i == end || !isDigit(data[i])) {
                throw DECLINE;
            }
            while (i < end && isDigit(data[i])) {
                i++;
            }
        }
        if (i - numberStart > MAX_NUMBER_CHARS) {
            throw DECLINE;
        }
    }

    /** Digits from {@code i} on (kept in locals: this loop reads every digit of every feature). */
    private void digitRun(boolean fraction) {
        byte[] d = data;
        int p = i;
        int start = p;
        long m = mantissa;
        int n = digits;
        for (; p < end; p++) {
            int digit = d[p] - '0';
            if (digit < 0 || digit > 9) {
                break;
            }
            if (m == 0 && digit == 0) {
                continue; // a leading zero of the fraction: not significant
            }
            if (++n > MAX_LONG_DIGITS) {
                exact = false; // read by the general parser; keep scanning the syntax
                continue;
            }
            m = m * 10 + digit;
        }
        if (fraction) {
            decimals += p - start;
        }
        i = p;
        mantissa = m;
        digits = n;
    }

    private static boolean isDigit(int b) {
        return b >= '0' && b <= '9';
    }

    // ---- structure ---------------------------------------------------------------------------

    /** Reads {@code "name":}, whitespace around; the index of the name among {@code names}. */
    private int field(byte[][] names) {
        whitespace();
        expect('"');
        int start = i;
        while (i < end && data[i] != '"') {
            // An escape, a control character, not ASCII, or longer than Jackson allows a name to be.
            if (data[i] == '\\' || data[i] < 0x20 || i - start == MAX_NAME_BYTES) {
                throw DECLINE;
            }
            i++;
        }
        int length = i - start;
        expect('"');
        whitespace();
        expect(':');
        whitespace();
        for (int k = 0; k < names.length; k++) {
            if (Arrays.equals(data, start, start + length, names[k], 0, names[k].length)) {
                return k;
            }
        }
        return UNKNOWN;
    }

    /**
     * Skips an unknown field's value, as Jackson's codec does, checking what Jackson checks: its
     * syntax, escapes and nesting. Non-ASCII text and deep nesting are Jackson's to read.
     */
    private void skipValue(int depth) {
        if (depth > MAX_SKIPPED_DEPTH) {
            throw DECLINE;
        }
        int c = peek();
        switch (c) {
            case '"' -> skipString();
            case '{' -> {
                i++;
                if (!closes('}')) {
                    do {
                        whitespace();
                        skipString();
                        whitespace();
                        expect(':');
                        whitespace();
                        skipValue(depth + 1);
                    } while (next('}'));
                }
            }
            case '[' -> {
                i++;
                if (!closes(']')) {
                    do {
                        skipValue(depth + 1);
                    } while (next(']'));
                }
            }
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void skipString() {
        expect('"');
        int start = i;
        while (true) {
            if (i - start > MAX_SKIPPED_STRING_BYTES) {
                throw DECLINE;
            }
            int b = peek();
            i++;
            if (b == '"') {
                return;
            }
            if (b < 0x20) { // a control character, or not ASCII
                throw DECLINE;
            }
            if (b == '\\') {
                int e = peek();
                i++;
                if (e == 'u') {
                    for (int k = 0; k < 4; k++) {
                        if (Character.digit(peek(), 16) < 0) {
                            throw DECLINE;
                        }
                        i++;
                    }
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    throw DECLINE;
                }
            }
        }
    }

    private void literal(String word) {
        for (int k = 0; k < word.length(); k++) {
            if (peek() != word.charAt(k)) {
                throw DECLINE;
            }
            i++;
        }
        if (i < end && Character.isLetterOrDigit(data[i])) {
            throw DECLINE; // "nullx", "true1": Jackson's error
        }
    }

    private static int once(int seen, int field) {
        int bit = 1 << field;
        if ((seen & bit) != 0) {
            throw DECLINE;
        }
        return seen | bit;
    }

    /** After a value: true at a comma (more follow), false at {@code close}. */
    private boolean next(char close) {
        whitespace();
        int b = peek();
        i++;
        if (b == ',') {
            whitespace();
            return true;
        }
        if (b == close) {
            return false;
        }
        throw DECLINE;
    }

    /** Skips whitespace; consumes {@code c} and answers true if it comes next. */
    private boolean closes(char c) {
        whitespace();
        if (peek() == c) {
            i++;
            return true;
        }
        return false;
    }

    private boolean isNull() {
        if (end - i >= 4 && data[i] == 'n' && data[i + 1] == 'u' && data[i + 2] == 'l' && data[i + 3] == 'l') {
            i += 4;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw DECLINE;
        }
        i++;
    }

    private int peek() {
        if (i >= end) {
            throw DECLINE;
        }
        return data[i];
    }

    private void whitespace() {
        while (i < end) {
            byte b = data[i];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return;
            }
            i++;
        }
    }

    private static byte[][] names(String... names) {
        byte[][] bytes = new byte[names.length][];
        for (int k = 0; k < names.length; k++) {
            bytes[k] = names[k].getBytes(StandardCharsets.US_ASCII);
        }
        return bytes;
    }
}
