package io.streamfit.app.pipeline;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.errors.OutputLimits;
import io.streamfit.app.errors.Traced;
import io.streamfit.schemas.avro.AnomalyScore;
import io.streamfit.schemas.avro.ModelEvent;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What streamfit's processors forward: one type per output stream, so that every sink knows the
 * type it serializes and the compiler knows what goes where. Keys are bytes: the series in UTF-8
 * (what {@code Serdes.String()} writes) for predictions and scores, the original key for dead
 * letters and routed records.
 *
 * <p>Every output knows the input record it came from ({@link Traced}): when it cannot be written,
 * the production exception handler dead-letters that input. For predictions and scores the input
 * is looked up only then, among the timesteps of the micro-batch that made them.
 */
public sealed interface Output extends Traced {

    /** The record the sink writes. */
    Object payload();

    /** Finds the input of an output among the timesteps of the micro-batch being emitted. */
    @FunctionalInterface
    interface Origins {
        Origin of(String series, long timestep);
    }

    record ObjectOut(ObjectPrediction payload, int keyBytes, Origins origins) implements Output {
        @Override
        public Origin origin() {
            return origins.of(payload.getSeries(), payload.getTimestep());
        }
    }

    /** {@code output.objects=per-timestep}: every object's prediction of one input timestep. */
    record TimestepObjectsOut(TimestepPredictions payload, int keyBytes, Origins origins) implements Output {
        @Override
        public Origin origin() {
            return origins.of(payload.getSeries(), payload.getTimestep());
        }
    }

    record SumOut(SumPrediction payload, int keyBytes, Origins origins) implements Output {
        @Override
        public Origin origin() {
            return origins.of(payload.getSeries(), payload.getTimestep());
        }
    }

    record AnomalyOut(AnomalyScore payload, int keyBytes, Origins origins) implements Output {
        @Override
        public Origin origin() {
            return origins.of(payload.getSeries(), payload.getTimestep());
        }
    }

    /** A lifecycle change of a model, caused by the input {@code origin} (a command, or the batch's last record). */
    record EventOut(ModelEvent payload, int keyBytes, Origin origin) implements Output {
    }

    /** The original value bytes of a record that could not be used. */
    record DeadLetterOut(byte[] payload, int keyBytes, Origin origin) implements Output {
    }

    /** {@code model.scope=global}: an input record on its way through the one-partition route topic. */
    record RouteOut(byte[] payload, int keyBytes, Origin origin) implements Output {
    }

    /**
     * A sink's serializer: unwraps an output of type {@code type}, writes its payload with
     * {@code inner}, and checks that the record fits its topic ({@link OutputLimits#check}), so
     * that one that does not fails here, where the production exception handler sees it before
     * the producer does.
     *
     * @param limits the limits to check, or {@code null} to check none
     * @throws IllegalArgumentException at serialization, for an output of another type (a wiring bug)
     * @throws io.streamfit.app.errors.OutputTooLargeException at serialization, for a record too large
     */
    static <T> Serializer<Output> serializer(Class<? extends Output> type, Class<T> payloadType,
                                             Serializer<T> inner, OutputLimits limits) {
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
                byte[] bytes = inner.serialize(topic, headers, payloadType.cast(data.payload()));
                if (limits != null) {
                    limits.check(topic, data.keyBytes(), bytes, headers);
                }
                return bytes;
            }

            @Override
            public void close() {
                inner.close();
            }
        };
    }
}
