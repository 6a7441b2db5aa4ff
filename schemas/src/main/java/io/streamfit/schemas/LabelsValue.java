package io.streamfit.schemas;

/**
 * Decodes a value of the labels topic (design.md, "Delayed labels") in either encoding the contract
 * accepts, detected per record as for the features ({@link TimestepSerde}): bytes that start with
 * {@code 0xC3 0x01} are Avro single-object encoding of {@code LabelsRecord} ({@link LabelsAvroReader};
 * no JSON text starts with that byte pair), anything else is the contract's JSON ({@link LabelsJson}).
 * Both read within the same {@link TimestepLimits} and refuse the same records with the same reasons.
 * While a schema registry is installed, values are in the Confluent wire format instead ({@link ConfluentWire}).
 */
public final class LabelsValue {

    private LabelsValue() {
    }

    /**
     * Decodes one value within {@code limits} (object count, id length, {@code sumTarget} length; the
     * feature count does not apply).
     *
     * @throws InvalidRecordException when the bytes are not a structurally valid labels record
     */
    public static Labels decode(byte[] data, TimestepLimits limits) {
        data = ConfluentWire.input(data, io.streamfit.schemas.avro.LabelsRecord.getClassSchema(),
                LabelsAvroReader.FINGERPRINT);
        if (AvroSerde.isSingleObjectEncoded(data)) {
            return LabelsAvroReader.read(data, limits);
        }
        return LabelsJson.parse(data, limits);
    }

    /** Decodes one value without limits: for values that were screened before. */
    public static Labels decode(byte[] data) {
        return decode(data, TimestepLimits.NONE);
    }
}
