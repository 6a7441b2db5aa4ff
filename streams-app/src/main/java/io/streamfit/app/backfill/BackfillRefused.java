package io.streamfit.app.backfill;

/**
 * Backfill cannot or must not go on for a reason the user can fix (the service still runs, the
 * configuration or the topic's data do not fit). Nothing has been written when it is thrown.
 * The CLI exits with code 2.
 */
public class BackfillRefused extends RuntimeException {

    public BackfillRefused(String message) {
        super(message);
    }

    public BackfillRefused(String message, Throwable cause) {
        super(message, cause);
    }
}
