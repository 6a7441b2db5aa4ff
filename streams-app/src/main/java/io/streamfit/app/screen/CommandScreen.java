package io.streamfit.app.screen;

import io.streamfit.app.errors.Rejection;
import io.streamfit.schemas.InvalidRecordException;
import io.streamfit.schemas.ModelCommand;

/**
 * Screens a record of {@code model-commands}: its key is the model key ({@code global} or a
 * series id, screened as the inputs' keys are, and required), its value a {@link ModelCommand}.
 * What fails goes to the dead letters with the reason.
 */
public final class CommandScreen {

    /** What the screen found: the model key and command, or why the record is refused. */
    public record Outcome(String modelKey, ModelCommand command, Rejection rejection) {
    }

    private final int maxIdBytes;
    private final int maxRecordBytes;

    public CommandScreen(int maxIdBytes, int maxRecordBytes) {
        this.maxIdBytes = maxIdBytes;
        this.maxRecordBytes = maxRecordBytes;
    }

    public Outcome screen(byte[] key, byte[] value) {
        RecordKey k = RecordKey.screen(key, maxIdBytes);
        if (k.rejection() != null) {
            return new Outcome(null, null, k.rejection());
        }
        if (k.series() == null) {
            return new Outcome(null, null, new Rejection(Rejection.MODEL_UNKNOWN,
                    "a command's record key is the model key (global, or a series id); this record has none"));
        }
        if (value == null) {
            return new Outcome(null, null, new Rejection(Rejection.NULL_VALUE, "a command has a JSON value"));
        }
        if (value.length > maxRecordBytes) {
            return new Outcome(null, null, new Rejection(Rejection.TOO_LARGE, "command of " + value.length
                    + " bytes, more than max.record.bytes=" + maxRecordBytes));
        }
        try {
            return new Outcome(k.series(), ModelCommand.parse(value), null);
        } catch (InvalidRecordException e) {
            return new Outcome(null, null, new Rejection(e.reason(), e.getMessage()));
        }
    }
}
