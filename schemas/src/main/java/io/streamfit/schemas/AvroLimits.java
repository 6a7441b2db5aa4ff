package io.streamfit.schemas;

import org.apache.avro.SystemLimitException;

/**
 * The JVM-wide limits of Avro's own decoders: the longest string, the longest {@code bytes} value
 * and the most items of one array or map that Avro decodes before it fails with
 * {@link SystemLimitException}. Unset, each is about 2^31, so a corrupt value read through a stream
 * could make Avro allocate gigabytes (an {@link OutOfMemoryError}, which no {@code catch} of bad input
 * stops). streamfit decodes its input with {@link TimestepAvroReader}, bounded by the configuration,
 * and its state values from byte arrays, where Avro checks declared lengths against the bytes left;
 * these limits are the bound for every other path through Avro.
 *
 * <p>Avro reads the properties once, when {@code SystemLimitException} initialises, which is at its
 * first decode (or first {@code Utf8}). {@link #install()} must therefore run before anything in the
 * JVM touches Avro, and it reports whether the limits took effect.
 *
 * @param maxStringBytes     longest string, in bytes ({@code org.apache.avro.limits.string.maxLength})
 * @param maxBytes           longest {@code bytes} value ({@code org.apache.avro.limits.bytes.maxLength})
 * @param maxCollectionItems most items of one array or map
 *                           ({@code org.apache.avro.limits.collectionItems.maxLength})
 */
public record AvroLimits(int maxStringBytes, int maxBytes, int maxCollectionItems) {

    // Compile-time constants of Avro's (inlined by javac): naming them does not initialise the class.
    static final String STRING_PROPERTY = SystemLimitException.MAX_STRING_LENGTH_PROPERTY;
    static final String BYTES_PROPERTY = SystemLimitException.MAX_BYTES_LENGTH_PROPERTY;
    static final String COLLECTION_PROPERTY = SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY;

    public AvroLimits {
        if (maxStringBytes < 1 || maxBytes < 1 || maxCollectionItems < 1) {
            throw new IllegalArgumentException("Avro limits must be positive: " + maxStringBytes + ", " + maxBytes
                    + ", " + maxCollectionItems);
        }
    }

    /**
     * The limits for a service whose input values have at most {@code maxRecordBytes} bytes and whose
     * state values at most {@code maxStateBytes} (the changelogs' {@code max.message.bytes}).
     *
     * <p>A string is an id, a series or a name: never longer than the input record it came in. A
     * {@code bytes} value is a kept input record or a model blob, at most a state value. Every array
     * or map item of our schemas takes at least one byte, so no collection has more items than its
     * value has bytes. {@code max.objects} and m do not enter: they bound input records, which
     * {@link TimestepLimits} enforces more tightly while parsing, while a state collection (the last
     * timestep of every series of a global model) may legitimately be longer than any record.
     */
    public static AvroLimits forValues(int maxRecordBytes, int maxStateBytes) {
        int largest = Math.max(maxRecordBytes, maxStateBytes);
        return new AvroLimits(maxRecordBytes, largest, largest);
    }

    /**
     * Sets the three system properties to these limits, each one that the command line has not set
     * already (an operator's {@code -D} wins), and tells whether Avro now enforces limits at least
     * this tight.
     *
     * @return false when Avro had initialised its limits before this call, or an operator's value is
     *         looser: then Avro keeps the limits it has, and only the checks against the bytes left protect
     */
    public boolean install() {
        setIfAbsent(STRING_PROPERTY, maxStringBytes);
        setIfAbsent(BYTES_PROPERTY, maxBytes);
        setIfAbsent(COLLECTION_PROPERTY, maxCollectionItems);
        return inForce();
    }

    /** Whether Avro rejects one more than each of these limits. */
    public boolean inForce() {
        return rejects(() -> SystemLimitException.checkMaxStringLength(maxStringBytes + 1L))
                && rejects(() -> SystemLimitException.checkMaxBytesLength(maxBytes + 1L))
                && rejects(() -> SystemLimitException.checkMaxCollectionLength(maxCollectionItems + 1L));
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    private static boolean rejects(Runnable check) {
        try {
            check.run();
            return false;
        } catch (SystemLimitException e) {
            return true;
        } catch (UnsupportedOperationException e) {
            // Beyond what a Java array can hold: Avro refuses it whatever its limits.
            return true;
        }
    }
}
