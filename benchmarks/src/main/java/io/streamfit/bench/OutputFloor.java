package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;

import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ObjectPrediction;
import io.streamfit.schemas.avro.PredictedObject;
import io.streamfit.schemas.avro.SumPrediction;
import io.streamfit.schemas.avro.TimestepPredictions;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * (f) What streamfit's outputs alone cost: for every input record, the records streamfit writes for
 * it, but encoded once in advance, with no decoding, model or state. With {@code per-object} that is
 * k object predictions and the sum, with {@code per-timestep} one record of every object and the
 * sum; each value is the service's own JSON of a representative prediction, so sizes match. Run
 * with streamfit's producer settings, its rate is the ceiling of any streamfit run of the layout:
 * c/f is the share of that ceiling streamfit reaches, and f/a the most c/a can ever be.
 */
final class OutputFloor {

    static final String NAME = "f output floor";

    private OutputFloor() {
    }

    /**
     * @param objects k, object predictions per input
     * @param layout  {@code per-object} or {@code per-timestep}
     * @param counted the topic of the sums (one record per input), which the drain counts
     */
    static Topology topology(String input, String objectTopic, String counted, int objects, String layout) {
        Values values = Values.of(objects, layout);
        Topology topology = new Topology();
        topology.addSource("in", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), input);
        topology.addProcessor("emit", () -> new Emit(values), "in");
        topology.addSink("objects", objectTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "emit");
        topology.addSink("sums", counted, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "emit");
        return topology;
    }

    /** The encoded values one input record gets: its object records and its sum. */
    record Values(List<byte[]> objects, byte[] sum) {

        static Values of(int k, String layout) {
            List<ObjectPrediction> each = new ArrayList<>();
            List<PredictedObject> gathered = new ArrayList<>();
            double total = 0;
            for (int i = 0; i < k; i++) {
                // A float32 prediction and a 4-decimal target, as the service writes them for the
                // benchmark's short numbers (EncodeBenchmark uses the same draws).
                double prediction = (float) (Math.sin(i + 1.0) * 3);
                double target = Math.round(Math.cos(i + 1.0) * 30000) / 10000.0;
                total += prediction;
                each.add(new ObjectPrediction("series-3", 104_217L, "obj-" + i, prediction, target, 17_042L, "champion",
                        0, null, null));
                gathered.add(new PredictedObject("obj-" + i, prediction, target, null, null));
            }
            byte[] sum = StreamfitSerdes.sumPrediction().serializer().serialize("sums",
                    new SumPrediction("series-3", 104_217L, (double) (float) total, 12.5, k, 17_042L, "champion", 0, null));
            List<byte[]> objects = new ArrayList<>();
            switch (layout) {
                case "per-object" -> each.forEach(p -> objects.add(
                        StreamfitSerdes.objectPrediction().serializer().serialize("objects", p)));
                case "per-timestep" -> objects.add(StreamfitSerdes.timestepPredictions().serializer().serialize(
                        "objects", new TimestepPredictions("series-3", 104_217L, 17_042L, "champion", 0, gathered)));
                default -> throw new IllegalArgumentException("output.objects must be per-object or per-timestep, got "
                        + layout);
            }
            return new Values(List.copyOf(objects), sum);
        }

        int bytes() {
            return objects.stream().mapToInt(v -> v.length).sum() + sum.length;
        }
    }

    private static final class Emit implements Processor<byte[], byte[], byte[], byte[]> {

        private final Values values;
        private ProcessorContext<byte[], byte[]> context;

        Emit(Values values) {
            this.values = values;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            for (byte[] value : values.objects()) {
                context.forward(record.withValue(value), "objects");
            }
            context.forward(record.withValue(values.sum()), "sums");
        }
    }
}
