package io.streamfit.schemas;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic bound to the serdes of its keys and values, so that producers, the topology and tests
 * cannot pair a name with the wrong format.
 *
 * @param name       the topic name
 * @param keySerde   serde of the record keys
 * @param valueSerde serde of the record values
 * @param <K>        key type
 * @param <V>        value type
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }

    @Override
    public String toString() {
        return name;
    }
}
