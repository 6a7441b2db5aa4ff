package io.streamfit.app.errors;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsException;

/**
 * Whose fault an error is, which decides what streamfit does with it. The one table (also in the
 * README, "Faults"):
 *
 * <table>
 * <caption>Fault classes</caption>
 * <tr><th>class</th><th>examples</th><th>what happens</th></tr>
 * <tr><td>{@link #RECORD}</td><td>a record that does not decode or validate, a model call that
 *     throws on one batch</td><td>the record goes to the dead letters with its reason; processing
 *     goes on</td></tr>
 * <tr><td>{@link #MODEL_KEY}</td><td>a checkpoint that fails its CRC or does not parse
 *     ({@link ModelFault})</td><td>the key is quarantined in this instance: its records go to the
 *     dead letters with reason {@value #MODEL_QUARANTINED}, every other key runs, {@code /health}
 *     says DEGRADED, {@code streamfit_models_quarantined} counts it</td></tr>
 * <tr><td>{@link #INSTANCE}</td><td>disk full and other store errors
 *     ({@code ProcessorStateException}, any {@code StreamsException}, any failed store write), Kafka client errors
 *     (authorization, fencing, timeouts), a schema registry that cannot be asked for longer than
 *     {@code schema.registry.unavailable.max.ms} (a {@code KafkaException}), a stored model of another shape
 *     ({@link ModelMismatchException}), a corrupt pending-store entry, a failure after a batch's
 *     outputs were emitted ({@link InstanceFault})</td><td>nothing is dead-lettered; the stream
 *     thread fails, the transaction aborts (exactly-once: no output of the failed batch is
 *     committed), the client shuts down and the process exits non-zero</td></tr>
 * </table>
 */
public enum FaultClass {

    /** About one record: dead-letter it and go on. */
    RECORD,
    /** About one model key: quarantine the key, run the others. */
    MODEL_KEY,
    /** About this instance (disk, store, client, configuration): stop, dead-letter nothing. */
    INSTANCE;

    /** Dead-letter reason of a record whose model key is quarantined. */
    public static final String MODEL_QUARANTINED = "model-quarantined";

    /** The class of {@code error}, looking through its causes: the gravest one found wins. */
    public static FaultClass of(Throwable error) {
        FaultClass found = RECORD;
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InstanceFault || t instanceof ModelMismatchException
                    || t instanceof StreamsException || t instanceof KafkaException) {
                // StreamsException covers the stores (ProcessorStateException: disk full, RocksDB
                // errors; InvalidStateStoreException); any other KafkaException is the client's.
                return INSTANCE;
            }
            if (t instanceof ModelFault) {
                found = MODEL_KEY;
            }
        }
        return found;
    }

    /**
     * A fault of this instance that the processor detected itself; its message says where (topic,
     * partition, store key, model key) without payloads.
     */
    public static final class InstanceFault extends RuntimeException {
        public InstanceFault(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A fault of one model key's stored state: its checkpoint cannot be used. */
    public static final class ModelFault extends RuntimeException {
        private final String modelKey;

        public ModelFault(String modelKey, String message, Throwable cause) {
            super(message, cause);
            this.modelKey = modelKey;
        }

        public String modelKey() {
            return modelKey;
        }
    }
}
