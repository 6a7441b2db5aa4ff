package io.streamfit.schemas;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.core.io.NumberOutput;

/**
 * The output records' JSON written straight into a byte array, for the records the service writes
 * by the hundred thousand a second (object predictions, sums, per-timestep records), byte for byte
 * what {@link Json#FACTORY}'s generator writes for them: the same field order, the same
 * Schubfach decimals of floats and doubles, the same integers. It writes only what needs no
 * escaping: a string of anything but printable ASCII without {@code "} and {@code \}, or a number
 * that is not finite, makes {@link #string} or {@link #real} return {@code false}, and the record
 * is then written by the generator instead ({@link Json#write}). One instance per thread, reused
 * from one record to the next.
 */
final class JsonBytes {

    private byte[] buf = new byte[512];
    private int size;

    /** Empties the buffer for the next record. */
    void reset() {
        size = 0;
    }

    /** The record written since the last {@link #reset()}. */
    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** Bytes of the record so far. */
    int size() {
        return size;
    }

    /** A fragment of pre-encoded JSON ({@code {"series":"}, {@code ","timestep":}, ...). */
    void raw(byte[] fragment) {
        ensure(fragment.length);
        System.arraycopy(fragment, 0, buf, size, fragment.length);
        size += fragment.length;
    }

    void raw(char c) {
        ensure(1);
        buf[size++] = (byte) c;
    }

    /**
     * The characters of {@code s}, without quotes, if none needs escaping or encoding (printable
     * ASCII other than {@code "} and {@code \}); otherwise {@code false}, with the buffer in an
     * unspecified state.
     */
    boolean string(String s) {
        int n = s.length();
        ensure(n);
        byte[] b = buf;
        int at = size;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
            b[at + i] = (byte) c;
        }
        size = at + n;
        return true;
    }

    void number(long v) {
        ensure(20);
        size = NumberOutput.outputLong(v, buf, size);
    }

    void number(int v) {
        ensure(11);
        size = NumberOutput.outputInt(v, buf, size);
    }

    /**
     * A real number as {@link OutputJson#writeReal} writes it: a value that is exactly a float as the
     * float's shortest decimal, any other as the double's; {@code false} for a value that is not
     * finite (the generator writes those as strings).
     */
    boolean real(double v) {
        if (!Double.isFinite(v)) {
            return false;
        }
        boolean isFloat = (double) (float) v == v;
        if (!isFloat && shortDecimal(v)) {
            return true;
        }
        String text = isFloat ? NumberOutput.toString((float) v, true) : NumberOutput.toString(v, true);
        int n = text.length();
        ensure(n);
        byte[] b = buf;
        int at = size;
        for (int i = 0; i < n; i++) {
            b[at + i] = (byte) text.charAt(i); // digits, '-', '.', 'E': ASCII
        }
        size = at + n;
        return true;
    }

    /**
     * A double that is the nearest double to a decimal of at most {@value #SHORT_DECIMALS} fraction
     * digits, in [10^-3, 10^7) (where Schubfach writes plain digits, not E notation): written as that
     * decimal, without Schubfach's search. Targets are such numbers whenever the input's are
     * (sensors send a few decimals). It is the shortest decimal that reads back as {@code v}, as
     * Schubfach's is: any shorter one lies at least 10^-4 away, and the doubles there are less than
     * 2^-29 apart. {@code false}, writing nothing, for any other value.
     */
    private boolean shortDecimal(double v) {
        double a = Math.abs(v);
        if (!(a >= 1e-3 && a < 1e7)) {
            return false;
        }
        long m = Math.round(a * SHORT_SCALE);
        // The quotient of two exact doubles is correctly rounded: equal to a only if a is the
        // nearest double to m / 10^4.
        if (m / SHORT_SCALE != a) {
            return false;
        }
        long whole = m / (long) SHORT_SCALE;
        int fraction = (int) (m - whole * (long) SHORT_SCALE);
        ensure(32);
        byte[] b = buf;
        int at = size;
        if (v < 0) {
            b[at++] = '-';
        }
        at = NumberOutput.outputLong(whole, b, at);
        b[at++] = '.';
        int digits = SHORT_DECIMALS;
        while (digits > 1 && fraction % 10 == 0) {
            fraction /= 10;
            digits--;
        }
        for (int i = digits - 1; i >= 0; i--) {
            b[at + i] = (byte) ('0' + fraction % 10);
            fraction /= 10;
        }
        size = at + digits;
        return true;
    }

    private static final int SHORT_DECIMALS = 4;
    private static final double SHORT_SCALE = 10_000.0;

    // Fields: a pre-encoded prefix ({@code ,"name":} and an opening quote for strings), then the
    // value; each returns whether it was written, so that a record's fields chain with &&. An
    // absent optional (null) writes nothing and returns true.

    boolean string(byte[] prefix, String s) {
        raw(prefix);
        return string(s);
    }

    boolean number(byte[] prefix, long v) {
        raw(prefix);
        number(v);
        return true;
    }

    boolean real(byte[] prefix, double v) {
        raw(prefix);
        return real(v);
    }

    boolean optionalReal(byte[] prefix, Double v) {
        return v == null || real(prefix, v.doubleValue());
    }

    boolean optionalReals(byte[] prefix, List<Double> values) {
        if (values == null) {
            return true;
        }
        raw(prefix);
        return reals(values);
    }

    boolean optionalNumber(byte[] prefix, Integer v) {
        return v == null || number(prefix, v.intValue());
    }

    /** The closing character of an object or array; true, to end a chain. */
    boolean end(char c) {
        raw(c);
        return true;
    }

    /** {@code [r1,r2,...]} of {@link #real}; {@code false} if one is not finite. */
    boolean reals(List<Double> values) {
        raw('[');
        for (int i = 0, n = values.size(); i < n; i++) {
            if (i > 0) {
                raw(',');
            }
            if (!real(values.get(i))) {
                return false;
            }
        }
        raw(']');
        return true;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }

    /** A JSON fragment's bytes (ASCII). */
    static byte[] ascii(String fragment) {
        return fragment.getBytes(StandardCharsets.US_ASCII);
    }
}
