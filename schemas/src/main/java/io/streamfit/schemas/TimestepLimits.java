package io.streamfit.schemas;

/**
 * Bounds that the timestep decoders ({@link TimestepSerde}, JSON and Avro) enforce while they parse,
 * so that a record is rejected at the first object, id or number past a limit, before the rest of it
 * is decoded: what a decoded record holds is then bounded by the configuration, whatever the record
 * declares. The service takes them from its configuration ({@code max.objects}, {@code max.id.bytes},
 * {@code model.features}); the messages name those keys.
 *
 * <p>Whatever the limits, a decoder also checks that every declared length or count fits in the
 * bytes left, and that ids and series are well-formed UTF-8 ({@link StrictUtf8}).
 *
 * @param maxObjects    most objects of one record (at least 1); more is {@code too-many-objects}
 * @param maxIdBytes    longest series or object id, in UTF-8 bytes (at least 1); longer is {@code too-large}
 * @param features      m: dense features must have exactly m values and sparse ones at most m indices and
 *                      values ({@code wrong-feature-count}); 0 leaves the feature count unchecked
 * @param maxSumTargets most values of {@code sumTarget} (at least 1); more is {@code wrong-feature-count}
 */
public record TimestepLimits(int maxObjects, int maxIdBytes, int features, int maxSumTargets) {

    /** Only the structure and the bytes themselves bound decoding: for records that were screened before. */
    public static final TimestepLimits NONE = new TimestepLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, 0,
            Integer.MAX_VALUE);

    public TimestepLimits {
        if (maxObjects < 1 || maxIdBytes < 1 || features < 0 || maxSumTargets < 1) {
            throw new IllegalArgumentException("invalid timestep limits: maxObjects=" + maxObjects + ", maxIdBytes="
                    + maxIdBytes + ", features=" + features + ", maxSumTargets=" + maxSumTargets);
        }
    }

    /** Whether dense and sparse feature counts are checked against m. */
    public boolean checksFeatures() {
        return features > 0;
    }
}
