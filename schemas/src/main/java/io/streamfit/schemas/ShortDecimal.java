package io.streamfit.schemas;

/**
 * The value of a short decimal without the general parser: {@code m / 10^k} when both factors are
 * exact in the target type (Clinger's fast path).
 *
 * <p>For floats, a decimal of at most 7 significant digits and at most 10 digits after the point
 * has {@code m < 2^24} and {@code k <= 10}; for doubles, at most 15 significant digits and 22 after
 * the point give {@code m < 2^53} and {@code k <= 22}. Both factors are then exact, and IEEE division
 * rounds their quotient correctly: the result is the nearest float (double) to the decimal, bit for
 * bit what a correct parser (FastDoubleParser, which Jackson uses) returns. Other decimals are left
 * to such a parser. Floats of up to 15 digits may also go by way of the double
 * ({@link #toFloatViaDouble}), which says when it cannot.
 */
final class ShortDecimal {

    static final int FLOAT_DIGITS = 7;
    static final int FLOAT_DECIMALS = 10;
    static final int DOUBLE_DIGITS = 15;
    static final int DOUBLE_DECIMALS = 22;

    private static final float[] FLOAT_POWERS = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    private static final double[] DOUBLE_POWERS = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

    /** The 29 low bits of a double's significand, which a float does not have, and their value at a float midpoint. */
    private static final long FLOAT_DROPPED_BITS = (1L << 29) - 1;
    private static final long FLOAT_MIDPOINT = 1L << 28;

    private ShortDecimal() {
    }

    /** True when {@code digits} significant digits, {@code decimals} of them after the point, read exactly as a float. */
    static boolean fitsFloat(int digits, int decimals) {
        return digits <= FLOAT_DIGITS && decimals <= FLOAT_DECIMALS;
    }

    /** True when {@code digits} significant digits, {@code decimals} of them after the point, read exactly as a double. */
    static boolean fitsDouble(int digits, int decimals) {
        return digits <= DOUBLE_DIGITS && decimals <= DOUBLE_DECIMALS;
    }

    /** The float nearest {@code ±mantissa / 10^decimals}; only where {@link #fitsFloat} holds. */
    static float toFloat(boolean negative, long mantissa, int decimals) {
        float value = (float) mantissa / FLOAT_POWERS[decimals];
        return negative ? -value : value;
    }

    /**
     * The float nearest {@code ±mantissa / 10^decimals} where {@link #fitsDouble} holds, by way of the
     * nearest double, or {@link Float#NaN} where that way may miss. Rounding twice can only differ
     * from rounding once when the double lands exactly on the midpoint between two floats: were a
     * midpoint strictly between the decimal and its double, that midpoint (a double itself) would be
     * nearer. So the double is rounded to a float unless it is such a midpoint, or outside the normal
     * floats (where the float's precision shrinks).
     */
    static float toFloatViaDouble(boolean negative, long mantissa, int decimals) {
        double value = (double) mantissa / DOUBLE_POWERS[decimals];
        long bits = Double.doubleToRawLongBits(value);
        if ((bits & FLOAT_DROPPED_BITS) == FLOAT_MIDPOINT
                || value != 0 && (value < Float.MIN_NORMAL || value > Float.MAX_VALUE)) {
            return Float.NaN;
        }
        float rounded = (float) value;
        return negative ? -rounded : rounded;
    }

    /** The double nearest {@code ±mantissa / 10^decimals}; only where {@link #fitsDouble} holds. */
    static double toDouble(boolean negative, long mantissa, int decimals) {
        double value = (double) mantissa / DOUBLE_POWERS[decimals];
        return negative ? -value : value;
    }
}
