package io.streamfit.app.errors;

/**
 * An output that knows the input record it was made from, so that when it cannot be written, the
 * production exception handler dead-letters that input with everything it had
 * ({@link DeadLetterProductionHandler}).
 */
public interface Traced {

    /** The input record this output was made from (looked up only when the output fails). */
    Origin origin();

    /** Bytes of the output record's key, which the value serializer that checks sizes does not see. */
    int keyBytes();
}
