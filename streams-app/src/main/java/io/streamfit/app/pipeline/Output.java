package io.streamfit.app.pipeline;

import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the learning processor forwards: one type per output stream, so that every sink knows the
 * type it serializes and the compiler knows what goes where. Keys are bytes: the series in UTF-8
 * (what {@code Serdes.String()} writes) for predictions and scores, the original key for dead letters.
 */
public sealed interface Output {

    /** The record the sink writes. */
    Object payload();

    record ObjectOut(ObjectPrediction payload) implements Output {
    }

    record SumOut(SumPrediction payload) implements Output {
    }

    record AnomalyOut(AnomalyScore payload) implements Output {
    }

    /** The original value bytes of a record that could not be used. */
    record DeadLetterOut(byte[] payload) implements Output {
    }

    /**
     * A sink's serializer: unwraps an output of type {@code type} and writes its payload with
     * {@code inner}.
     *
     * @throws IllegalArgumentException at serialization, for an output of another type (a wiring bug)
     */
    static <T> Serializer<Output> serializer(Class<? extends Output> type, Class<T> payloadType,
                                             Serializer<T> inner) {
        return new Serializer<>() {
            @Override
            public byte[] serialize(String topic, Output data) {
                return serialize(topic, null, data);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, Output data) {
                if (data == null) {
                    return null;
                }
                if (!type.isInstance(data)) {
                    throw new IllegalArgumentException("sink of " + type.getSimpleName() + " got a "
                            + data.getClass().getSimpleName());
                }
                return inner.serialize(topic, headers, payloadType.cast(data.payload()));
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }
}
