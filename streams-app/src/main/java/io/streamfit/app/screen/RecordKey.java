package io.streamfit.app.screen;

import io.streamfit.app.errors.Rejection;
import io.streamfit.schemas.StrictUtf8;

/**
 * The record key of an input (features or labels) as its series id: at most
 * {@code max.id.bytes} of well-formed UTF-8, or the rejection that says why not. A null key is
 * fine (the value names the series); one screen for both inputs.
 *
 * @param series    the key as a series id, or null when there is no key (or it is rejected)
 * @param rejection why the key is refused, or null
 */
record RecordKey(String series, Rejection rejection) {

    private static final RecordKey NONE = new RecordKey(null, null);

    static RecordKey screen(byte[] key, int maxIdBytes) {
        if (key == null) {
            return NONE;
        }
        if (key.length > maxIdBytes) {
            return new RecordKey(null, new Rejection(Rejection.TOO_LARGE, "record key has " + key.length
                    + " bytes, more than max.id.bytes=" + maxIdBytes));
        }
        // Strict: a lenient decoder would map different malformed keys to one series.
        String series = StrictUtf8.decode(key, 0, key.length);
        if (series == null) {
            return new RecordKey(null, new Rejection(Rejection.UNPARSABLE, "record key: not well-formed UTF-8 at byte "
                    + (StrictUtf8.invalidAt(key, 0, key.length) + 1)));
        }
        return new RecordKey(series, null);
    }
}
