package io.streamfit.app.errors;

import org.apache.kafka.streams.errors.StreamsException;

/**
 * The stored checkpoint of a model does not fit the configured model. Not a problem of one record:
 * the exception handlers let it stop the client instead of dead-lettering every record.
 */
public final class ModelMismatchException extends StreamsException {

    private static final long serialVersionUID = 1L;

    public ModelMismatchException(String message) {
        super(message);
    }
}
