package io.streamfit.schemas;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value that cannot be decoded into its type: bad bytes, bad JSON, or a structurally
 * wrong record (missing or mistyped field, sparse indices and values of different lengths, ...).
 *
 * <p>{@link #reason()} is a short machine-readable code, stable across releases, meant for the
 * {@code error.reason} header of a dead letter and for metric labels; the message is for humans
 * and starts with the field path ({@code objects[2].features[5]: expected a number, got STRING};
 * {@code $} is the whole value). Messages name fields and JSON token kinds, never field values,
 * so a dead letter's header does not copy payload data.
 *
 * <p>Semantic checks that depend on the model (NaN/Inf, sparse index range, empty {@code objects})
 * are not decoding errors and are not raised here. The object limit and the feature count are,
 * when the decoder is given {@link TimestepLimits}: they are checked while parsing, so that a record
 * past them is not decoded in full; their codes are those the processor's own checks use.
 */
public class InvalidRecordException extends SerializationException {

    private static final long serialVersionUID = 1L;

    /** The value is zero bytes, or JSON with only whitespace. */
    public static final String EMPTY = "empty";
    /**
     * Not well-formed JSON (garbage, truncated, trailing content), undecodable Avro bytes, or an id or
     * series that is not well-formed UTF-8.
     */
    public static final String UNPARSABLE = "unparsable";
    /** A required field is absent or {@code null}. */
    public static final String MISSING_FIELD = "missing-field";
    /** A field has the wrong JSON type (a string where a number belongs, an object for an array, ...). */
    public static final String WRONG_TYPE = "wrong-type";
    /** A known field appears twice in one JSON object. */
    public static final String DUPLICATE_FIELD = "duplicate-field";
    /** Sparse features whose {@code indices} and {@code values} differ in length. */
    public static final String LENGTH_MISMATCH = "length-mismatch";
    /** An integer that does not fit its type (a {@code timestep} beyond long, a {@code label} beyond int). */
    public static final String OUT_OF_RANGE = "out-of-range";
    /**
     * The value exceeds the parser's limits (number length, nesting depth, string length), or an id
     * or series is longer than {@link TimestepLimits#maxIdBytes()}.
     */
    public static final String TOO_LARGE = "too-large";
    /** More objects than {@link TimestepLimits#maxObjects()}. */
    public static final String TOO_MANY_OBJECTS = "too-many-objects";
    /**
     * Dense features of another length than m, more sparse entries than m, or more {@code sumTarget}
     * values than {@link TimestepLimits#maxSumTargets()}.
     */
    public static final String WRONG_FEATURE_COUNT = "wrong-feature-count";
    /**
     * Avro single-object encoding with a schema fingerprint this service does not know, or the
     * Confluent wire format with a schema id the schema registry does not have.
     */
    public static final String UNKNOWN_SCHEMA = "unknown-schema";
    /**
     * With {@code value.format=avro-registry}: a value that is not in the Confluent wire format (no
     * magic byte 0, or shorter than its 5-byte header).
     */
    public static final String NOT_REGISTRY_FORMAT = "not-registry-format";
    /** A registry writer schema that Avro's schema resolution cannot turn into streamfit's schema. */
    public static final String SCHEMA_MISMATCH = "schema-mismatch";

    private final String reason;
    private final String path;

    /**
     * @param reason one of the reason constants of this class
     * @param path   field path of the error ({@code objects[2].features[5]}, {@code $} for the value)
     * @param detail what is wrong, without payload data
     */
    public InvalidRecordException(String reason, String path, String detail) {
        this(reason, path, detail, null);
    }

    /** As {@link #InvalidRecordException(String, String, String)}, with the underlying cause. */
    public InvalidRecordException(String reason, String path, String detail, Throwable cause) {
        super(path + ": " + detail, cause);
        this.reason = reason;
        this.path = path;
    }

    /** The machine-readable reason code, one of this class's constants. */
    public String reason() {
        return reason;
    }

    /** The field path of the error; {@code $} when it concerns the whole value. */
    public String path() {
        return path;
    }
}
