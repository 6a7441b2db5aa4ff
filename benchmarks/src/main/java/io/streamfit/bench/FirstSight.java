package io.streamfit.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.metrics.PrequentialStats;
import io.streamfit.app.state.ModelCheckpoints;
import io.streamfit.model.ModelPool;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.avro.ModelCheckpoint;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the first record of a new key costs the model layer, in this JVM, without Kafka: one task's
 * {@link ModelPool} (the kind and spec the service builds from the same settings) and, per record,
 * what {@code LearnProcessor} does with a model for {@code batch.timesteps=1}: predict and train
 * ({@link OnlineModel#step}, which loads the key's state into the graph first when another key is
 * resident) and the checkpoint ({@link OnlineModel#exportState} into a {@link ModelCheckpoint},
 * Avro-encoded as the model store keeps it). Timed, per iteration, in this order:
 * <ol>
 *   <li><b>resident</b>: a record of the key the graph holds (the baseline: no load);</li>
 *   <li><b>new key</b>: {@link ModelPool#newModel} and the slot's objects (prequential statistics,
 *       kind extras), then the record: one load of the pool's initial state, step, checkpoint;</li>
 *   <li><b>known key</b>: a record of a key in memory but not resident (the previous new key): one
 *       load of its state bytes, step, checkpoint;</li>
 *   <li><b>evicted key</b>: a key whose model left memory: decode its Avro checkpoint, a new handle,
 *       {@link ModelCheckpoints#restore}, then the record (what a cache miss costs besides the
 *       RocksDB read).</li>
 * </ol>
 * The set-up of a new key is (new key) - (resident). For comparison, the set-up before the pool:
 * a graph of its own per key ({@link ConfiguredKind#create}) and its first record.
 */
final class FirstSight {

    /** Times of one kind of record, nanoseconds. */
    record Series(String name, long[] nanos) {
        double meanUs() {
            double s = 0;
            for (long n : nanos) {
                s += n;
            }
            return s / nanos.length / 1e3;
        }

        double p99Us() {
            return Stats.percentile(nanos, 0.99) / 1e3;
        }

        double p50Us() {
            return Stats.percentile(nanos, 0.50) / 1e3;
        }
    }

    /** The results: the four pooled series, and the graph-per-key baseline (may be empty). */
    record Result(Series resident, Series newKey, Series knownKey, Series evictedKey, Series ownGraph,
                  int stateBytes, int checkpointBytes) {
    }

    private final ConfiguredKind kind;
    private final StreamfitConfig config;
    private final ObjectBatch batch;
    private final Serializer<ModelCheckpoint> encode = StreamfitSerdes.modelCheckpoint().serializer();
    private final Deserializer<ModelCheckpoint> decode = StreamfitSerdes.modelCheckpoint().deserializer();
    private double sink;

    /**
     * @param serviceConfig the service's model settings (model.features, model.hidden, ...)
     * @param objects       k, objects per record, each with a target
     */
    FirstSight(Map<String, String> serviceConfig, int objects) {
        this.config = new StreamfitConfig(serviceConfig);
        this.kind = config.kind();
        int m = config.getInt(StreamfitConfig.MODEL_FEATURES);
        this.batch = StepData.random(new StepShape(objects, m, 1, 1), 11).toObjectBatch();
    }

    Result run(int iterations, int ownGraphs) {
        List<Long> resident = new ArrayList<>();
        List<Long> fresh = new ArrayList<>();
        List<Long> known = new ArrayList<>();
        List<Long> evicted = new ArrayList<>();
        int window = config.getInt(StreamfitConfig.METRICS_WINDOW);
        int checkpointBytes;
        try (ModelPool pool = new ModelPool(kind.spec(), kind::create)) {
            OnlineModel a = pool.newModel();
            record(a, "a", 1);
            OnlineModel previous = pool.newModel();
            byte[] stored = record(previous, "p", 1);
            checkpointBytes = stored.length;
            int warmUp = Math.max(200, iterations / 5);
            for (int i = -warmUp; i < iterations; i++) {
                boolean timed = i >= 0;
                record(a, "a", 2 + i + warmUp); // brings a back into the graph
                long t0 = System.nanoTime();
                record(a, "a", 2 + i + warmUp);
                long t1 = System.nanoTime();
                OnlineModel n = pool.newModel();
                PrequentialStats stats = new PrequentialStats(window);
                ModelExtras extras = kind.newExtras();
                byte[] nState = record(n, "n" + i, 1);
                long t2 = System.nanoTime();
                record(previous, "p", 2 + i + warmUp);
                long t3 = System.nanoTime();
                ModelCheckpoint cp = decode.deserialize("", stored);
                OnlineModel back = pool.newModel();
                ModelCheckpoints.restore(cp, kind.spec(), back);
                stored = record(back, "e" + i, 2);
                long t4 = System.nanoTime();
                if (timed) {
                    resident.add(t1 - t0);
                    fresh.add(t2 - t1);
                    known.add(t3 - t2);
                    evicted.add(t4 - t3);
                }
                sink += stats.toMap().size() + (extras == null ? 0 : 1) + nState.length;
                previous.close();
                back.close();
                previous = n;
            }
            List<Long> own = new ArrayList<>();
            for (int i = 0; i < ownGraphs; i++) {
                long t0 = System.nanoTime();
                try (OnlineModel m = kind.create()) {
                    record(m, "g" + i, 1);
                }
                own.add(System.nanoTime() - t0);
            }
            return new Result(series("resident key", resident), series("new key", fresh), series("known key", known),
                    series("evicted key", evicted), series("own graph", own), pool.initialState().length,
                    checkpointBytes);
        }
    }

    /** One record of {@code key}: step (train), then the checkpoint as the model store keeps it. */
    private byte[] record(OnlineModel model, String key, long timestep) {
        sink += model.step(batch, true).loss();
        byte[] cp = encode.serialize("", ModelCheckpoints.of(key, kind.spec(), model, Map.of(),
                Map.of(key, timestep), timestep, 0L));
        return cp;
    }

    private static Series series(String name, List<Long> values) {
        return new Series(name, values.stream().mapToLong(Long::longValue).toArray());
    }

    /** The report's lines. */
    static String report(Result r, int iterations) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model state %,d bytes; checkpoint (Avro) %,d bytes; %d iterations "
                + "after warm-up%n", r.stateBytes, r.checkpointBytes, iterations));
        sb.append("| record of ... | mean µs | p50 µs | p99 µs |\n|---|---|---|---|\n");
        for (Series s : List.of(r.resident, r.newKey, r.knownKey, r.evictedKey)) {
            sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f |%n", s.name, s.meanUs(), s.p50Us(),
                    s.p99Us()));
        }
        if (r.ownGraph.nanos().length > 0) {
            sb.append(String.format(Locale.ROOT, "| new key, graph of its own (before the pool; %d) | %.0f | %.0f | "
                    + "%.0f |%n", r.ownGraph.nanos().length, r.ownGraph.meanUs(), r.ownGraph.p50Us(),
                    r.ownGraph.p99Us()));
        }
        long[] diff = new long[r.newKey.nanos().length];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = r.newKey.nanos()[i] - r.resident.nanos()[i];
        }
        Series paired = new Series("set-up", diff);
        sb.append(String.format(Locale.ROOT, "set-up of a new key = (new key) - (resident key): %.3f ms by the means, "
                + "%.3f ms by the medians, paired per iteration p50 %.3f ms, p99 %.3f ms; a new key's whole record "
                + "p99 %.3f ms (target: set-up < 1 ms; it was a graph of its own per key)%n",
                (r.newKey.meanUs() - r.resident.meanUs()) / 1e3, (r.newKey.p50Us() - r.resident.p50Us()) / 1e3,
                paired.p50Us() / 1e3, paired.p99Us() / 1e3, r.newKey.p99Us() / 1e3));
        return sb.toString();
    }
}
