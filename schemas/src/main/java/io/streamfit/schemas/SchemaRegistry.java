package io.streamfit.schemas;

import org.apache.avro.Schema;

/**
 * What the Confluent wire format needs of a schema registry: writer schemas by id, and the ids of
 * streamfit's own output schemas. Implementations cache (a registry is called once per id) and are
 * thread-safe.
 */
public interface SchemaRegistry {

    /**
     * The writer schema registered under {@code id}.
     *
     * @throws InvalidRecordException {@code unknown-schema} when the registry has no schema of that id
     *                                (or it is not Avro)
     * @throws RegistryUnavailableException when the registry cannot be asked (unreachable, failing, or
     *                                refusing the credentials) and this registry was closed while it
     *                                waited for it
     */
    Schema writerSchema(int id);

    /**
     * The id of {@code schema} under {@code subject}, registering it when the subject lacks it.
     *
     * @throws RegistryUnavailableException when the registry cannot be asked, or refuses the schema
     */
    int id(String subject, Schema schema);

    /** Why a registry could not be asked; never about one record, so never a dead letter. */
    final class RegistryUnavailableException extends org.apache.kafka.common.KafkaException {
        public RegistryUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
