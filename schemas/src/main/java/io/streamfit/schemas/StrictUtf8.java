package io.streamfit.schemas;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 exactly as RFC 3629 defines it (the well-formed byte sequences of Unicode's table 3-7): no
 * overlong forms, no encoded surrogates, nothing above U+10FFFF.
 *
 * <p>Why not {@code new String(bytes, UTF_8)}: it replaces what is malformed with U+FFFD, so two
 * different invalid ids could decode to one id, and an id would no longer be the bytes its producer
 * sent. Ids and series are keys of models and state; they are rejected instead. Checking allocates
 * nothing.
 */
public final class StrictUtf8 {

    private StrictUtf8() {
    }

    /**
     * The index of the first byte in {@code b[off, off+len)} where a malformed sequence starts, or
     * {@code -1} when all of it is well-formed UTF-8.
     */
    public static int invalidAt(byte[] b, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (b[i] >= 0) {
                i++;
                continue;
            }
            int n = sequenceLength(b, i, end);
            if (n < 0) {
                return i;
            }
            i += n;
        }
        return -1;
    }

    /** {@code b[off, off+len)} as a string, or {@code null} when it is not well-formed UTF-8. */
    public static String decode(byte[] b, int off, int len) {
        return invalidAt(b, off, len) >= 0 ? null : new String(b, off, len, StandardCharsets.UTF_8);
    }

    /**
     * The length (1 to 4) of the well-formed sequence that starts at {@code b[i]}, reading no further
     * than {@code end}, or {@code -1} when none starts there.
     */
    static int sequenceLength(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) {
            return 1;
        }
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            return i + 1 < end && cont(b[i + 1], 0x80, 0xBF) ? 2 : -1;
        }
        if (b0 >= 0xE0 && b0 <= 0xEF) {
            // E0: no overlong forms (below U+0800); ED: no surrogates (U+D800..U+DFFF).
            int lo = b0 == 0xE0 ? 0xA0 : 0x80;
            int hi = b0 == 0xED ? 0x9F : 0xBF;
            return i + 2 < end && cont(b[i + 1], lo, hi) && cont(b[i + 2], 0x80, 0xBF) ? 3 : -1;
        }
        if (b0 >= 0xF0 && b0 <= 0xF4) {
            // F0: no overlong forms (below U+10000); F4: nothing above U+10FFFF.
            int lo = b0 == 0xF0 ? 0x90 : 0x80;
            int hi = b0 == 0xF4 ? 0x8F : 0xBF;
            return i + 3 < end && cont(b[i + 1], lo, hi) && cont(b[i + 2], 0x80, 0xBF) && cont(b[i + 3], 0x80, 0xBF)
                    ? 4 : -1;
        }
        return -1;
    }

    private static boolean cont(byte b, int lo, int hi) {
        int v = b & 0xFF;
        return v >= lo && v <= hi;
    }
}
