package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

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
 * sum; each value is the service's own JSON of a representative prediction, so sizes match, and
 * the inputs cycle through many different ones, so compression does too. Run
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

    /**
     * The encoded values of {@link #VARIANTS} inputs, which the floor's inputs take in turn: each
     * its object records and its sum, with their own timestep, model version, predictions and
     * targets, so that the producer's compression (LZ4 by default) sees records as different as
     * the service's, not one record repeated.
     */
    record Values(List<Variant> variants) {

        /** Distinct inputs' outputs: their bytes (about 5 MB per-object) span many LZ4 windows and batches. */
        static final int VARIANTS = 1024;

        /** One input's values: its object records (k per-object, one per-timestep) and its sum. */
        record Variant(List<byte[]> objects, byte[] sum) {
        }

        static Values of(int k, String layout) {
            return of(k, layout, VARIANTS);
        }

        static Values of(int k, String layout, int variants) {
            if (!layout.equals("per-object") && !layout.equals("per-timestep")) {
                throw new IllegalArgumentException("output.objects must be per-object or per-timestep, got " + layout);
            }
            Random random = new Random(42);
            List<Variant> out = new ArrayList<>();
            for (int v = 0; v < variants; v++) {
                out.add(variant(k, layout, 104_217L + v, 17_042L + v, random));
            }
            return new Values(List.copyOf(out));
        }

        private static Variant variant(int k, String layout, long timestep, long version, Random random) {
            List<ObjectPrediction> each = new ArrayList<>();
            List<PredictedObject> gathered = new ArrayList<>();
            double total = 0;
            for (int i = 0; i < k; i++) {
                // A float32 prediction and a 4-decimal target, as the service writes them for the
                // benchmark's short numbers.
                double prediction = (float) (random.nextGaussian() * 3);
                double target = Math.round(random.nextGaussian() * 30000) / 10000.0;
                total += prediction;
                each.add(new ObjectPrediction("series-3", timestep, "obj-" + i, prediction, target, version, "champion",
                        0, null, null));
                gathered.add(new PredictedObject("obj-" + i, prediction, target, null, null));
            }
            byte[] sum = StreamfitSerdes.sumPrediction().serializer().serialize("sums",
                    new SumPrediction("series-3", timestep, (double) (float) total, 12.5, k, version, "champion", 0, null));
            List<byte[]> objects = new ArrayList<>();
            if (layout.equals("per-object")) {
                each.forEach(p -> objects.add(StreamfitSerdes.objectPrediction().serializer().serialize("objects", p)));
            } else {
                objects.add(StreamfitSerdes.timestepPredictions().serializer().serialize(
                        "objects", new TimestepPredictions("series-3", timestep, version, "champion", 0, gathered)));
            }
            return new Variant(List.copyOf(objects), sum);
        }

        /** Bytes of the values of one input, on average over the variants. */
        int bytes() {
            long all = 0;
            for (Variant v : variants) {
                all += v.sum().length + v.objects().stream().mapToLong(b -> b.length).sum();
            }
            return (int) (all / variants.size());
        }
    }

    private static final class Emit implements Processor<byte[], byte[], byte[], byte[]> {

        private final Values values;
        private ProcessorContext<byte[], byte[]> context;
        private int next;

        Emit(Values values) {
            this.values = values;
        }

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            Values.Variant variant = values.variants().get(next);
            next = (next + 1) % values.variants().size();
            for (byte[] value : variant.objects()) {
                context.forward(record.withValue(value), "objects");
            }
            context.forward(record.withValue(variant.sum()), "sums");
        }
    }
}
