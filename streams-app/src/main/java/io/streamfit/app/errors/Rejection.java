package io.streamfit.app.errors;

/**
 * Why a record cannot be used: a short machine-readable code (the {@code error.reason} header of
 * the dead letter) and a message with context for people.
 */
public record Rejection(String reason, String message) {

    public static final String UNPARSABLE = "unparsable";
    public static final String NULL_VALUE = "null-value";
    public static final String MISSING_SERIES = "missing-series";
    public static final String WRONG_FEATURE_COUNT = "wrong-feature-count";
    public static final String NON_FINITE = "non-finite";
    /** A feature value beyond {@code max.abs.feature}: finite, but it would overflow the network's float32 arithmetic. */
    public static final String FEATURE_OUT_OF_RANGE = "feature-out-of-range";
    public static final String INDEX_OUT_OF_RANGE = "index-out-of-range";
    /** Sparse features that name one index twice (the values would add up, possibly to infinity). */
    public static final String DUPLICATE_INDEX = "duplicate-index";
    public static final String NO_OBJECTS = "no-objects";
    public static final String TOO_MANY_OBJECTS = "too-many-objects";
    public static final String TIMESTEP_NOT_INCREASING = "timestep-not-increasing";
    public static final String UNEXPECTED_LABEL = "unexpected-label";
    /** Classifier: an object has a regression {@code target}; it learns from {@code label}. */
    public static final String UNEXPECTED_TARGET = "unexpected-target";
    /** Classifier: a {@code label} outside [0, model.classes). */
    public static final String LABEL_OUT_OF_RANGE = "label-out-of-range";
    public static final String TOO_LARGE = "too-large";
    /**
     * A label whose features are not waiting within the bounds ({@code labels.max.wait.*}): they
     * came with targets, were dead-lettered, expired, or never came.
     */
    public static final String LABEL_UNMATCHED = "label-unmatched";
    /** A second label for an object (or the sum) of a timestep. */
    public static final String LABEL_DUPLICATE = "label-duplicate";
    /** A label for a model kind that does not join delayed labels (the sequence kinds). */
    public static final String LABEL_UNSUPPORTED = "label-unsupported";
    /** A model command for a model key that has no model (no checkpoint: it never learned, or it expired). */
    public static final String MODEL_UNKNOWN = "model-unknown";
    /** A rollback command to a version the model does not keep (model.versions.keep). */
    public static final String VERSION_UNKNOWN = "version-unknown";
    /** A promote command naming a challenger that is not configured. */
    public static final String CHALLENGER_UNKNOWN = "challenger-unknown";
    /** Sequence kinds: two objects of one record share an id, so the object's window would take two timesteps. */
    public static final String DUPLICATE_OBJECT = "duplicate-object";
    public static final String PROCESSING_ERROR = "processing-error";
    public static final String DESERIALIZATION_ERROR = "deserialization-error";
    /** An output made from the record is larger than its topic or the producer takes. */
    public static final String OUTPUT_TOO_LARGE = "output-too-large";
    /** An output made from the record failed to serialize (a bug: outputs are streamfit's own). */
    public static final String SERIALIZATION_ERROR = "serialization-error";
}
