package io.streamfit.app.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.errors.Origin;
import io.streamfit.app.kind.Served;
import io.streamfit.app.state.LabelCodec;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.StepResult;
import io.streamfit.schemas.Labels;
import io.streamfit.schemas.LabelsValue;
import io.streamfit.schemas.StreamfitSerdes;
import io.streamfit.schemas.Timestep;
import io.streamfit.schemas.avro.LabelInput;
import io.streamfit.schemas.avro.LabelWait;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The delayed-labels join of one task (design.md, "Delayed labels"), over the logged labels store
 * (or, for backfill's replay of the history, over memory: {@link MemoryLabelJoin}, the same rules):
 * features that came without any truth wait there after their prediction, with what was served
 * for each object and the model version that served it; labels that came before their features
 * wait there for them. When both are there the timestep becomes a batch item for its model's
 * micro-batch ({@link PendingTimestep} with a {@link PendingTimestep.Join}): a label after its
 * features trains on the stored features and is scored on what was served; labels before their
 * features give the features their targets, and the record is tested then trained as any other.
 *
 * <p>Bounds: waiting features are dropped (expired) once their series is more than
 * {@code labels.max.wait.timesteps} ahead, or the task's stream time more than
 * {@code labels.max.wait.ms} past their timestamp; labels that came first are unmatched once the
 * series' features went past their timestep, or after {@code labels.max.wait.ms}. Every decision
 * reads the bounds against the logged state and the record being processed, never the wall
 * clock: a label is matched or not the same whenever the sweep ({@link #sweep}) runs.
 *
 * <p>A timestep whose objects all have their labels keeps only its flags (stage
 * {@link LabelCodec#LABELLED}) until a bound passes, so a second label for it is still told a
 * duplicate. Store keys: the series, a NUL, and the timestep as 16 hex digits ordered as signed
 * numbers, so that a series' entries are one range in timestep order.
 *
 * <p>Only the plain kinds join labels: {@link #keep} reads the result rows of one batch timestep
 * per item, their batch layout.
 */
final class LabelJoin {

    /** What the join reports, besides its return values, for counters and dead letters. */
    interface Listener {
        /** Waiting features of {@code series} were dropped without any label. */
        void expired(String series);

        /** A label record that waited for its features found none. */
        void unmatched(String series, Origin label, String why);

        /** The number of features of {@code series}' model waiting for labels changed by {@code delta}. */
        void waiting(String series, int delta);

        /** A label record joined its features, {@code delayMs} of record time after them (negative: before). */
        void matched(String series, long delayMs);
    }

    /** What became of a label record. */
    sealed interface Outcome {
    }

    /** It waits for its features. */
    record Early() implements Outcome {
    }

    /** It joined waiting features: {@code item} goes to the model's micro-batch. */
    record Matched(PendingTimestep item) implements Outcome {
    }

    /** It cannot join: a dead letter with {@code reason} ({@link io.streamfit.app.errors.Rejection}). */
    record Refused(String reason, String message) implements Outcome {
    }

    /**
     * Where the join keeps its entries, in key order: the logged labels store in the stream
     * ({@link #of(KeyValueStore)}), a sorted map for a replay of the history ({@link MemoryLabelJoin}).
     * The join never writes while it iterates.
     */
    interface Entries {
        byte[] get(String key);

        void put(String key, byte[] value);

        void delete(String key);

        /** The entries from {@code from} to {@code to}, both inclusive, in key order; null: from the first, to the last. */
        KeyValueIterator<String, byte[]> range(String from, String to);

        /** The entries of a key-value store. */
        static Entries of(KeyValueStore<String, byte[]> store) {
            return new Entries() {
                @Override
                public byte[] get(String key) {
                    return store.get(key);
                }

                @Override
                public void put(String key, byte[] value) {
                    store.put(key, value);
                }

                @Override
                public void delete(String key) {
                    store.delete(key);
                }

                @Override
                public KeyValueIterator<String, byte[]> range(String from, String to) {
                    return from == null && to == null ? store.all() : store.range(from, to);
                }
            };
        }
    }

    private static final char SEPARATOR = '\u0000';

    private final Entries store;
    private final long maxWaitTimesteps;
    private final long maxWaitMs;
    private final Listener listener;
    /** Where the sweep goes on from; null: from the start. */
    private String sweepFrom;

    /**
     * True while the store has held nothing since this join was made (on the task's restored
     * store): no label and no features have waited, so {@link #features} has nothing to look up.
     * Any put ends it for this join's life.
     */
    private boolean empty;

    LabelJoin(Entries store, long maxWaitTimesteps, long maxWaitMs, Listener listener) {
        if (maxWaitTimesteps < 0 || maxWaitMs < 0) {
            throw new IllegalArgumentException("invalid label bounds: " + maxWaitTimesteps + " timesteps, "
                    + maxWaitMs + " ms");
        }
        this.store = new Entries() {
            @Override
            public byte[] get(String key) {
                return store.get(key);
            }

            @Override
            public void put(String key, byte[] value) {
                store.put(key, value);
                empty = false;
            }

            @Override
            public void delete(String key) {
                store.delete(key);
            }

            @Override
            public KeyValueIterator<String, byte[]> range(String from, String to) {
                return store.range(from, to);
            }
        };
        try (KeyValueIterator<String, byte[]> all = store.range(null, null)) {
            this.empty = !all.hasNext();
        }
        this.maxWaitTimesteps = maxWaitTimesteps;
        this.maxWaitMs = maxWaitMs;
        this.listener = listener;
    }

    /** Whether a record carries any truth: an object's target or label, or a sum target. */
    static boolean hasTruth(Timestep ts) {
        if (ts.hasSumTarget()) {
            return true;
        }
        for (Timestep.ObjectInput o : ts.objects()) {
            if (o.target() != null || o.label() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * A label record of {@code series} arrives.
     *
     * @param last       the series' last accepted timestep (its features up to there are in or past the model)
     * @param streamTime the task's stream time, ms
     */
    Outcome label(String series, Labels labels, Origin origin, long last, long streamTime) {
        long t = labels.timestep();
        String key = key(series, t);
        LabelWait w = get(key, series, t);
        if (w != null && pastBound(w, last, streamTime)) {
            drop(key, w, "it waited past labels.max.wait.ms=" + maxWaitMs + " of record time");
            w = null;
        }
        if (w == null) {
            if (t <= last) {
                return new Refused(io.streamfit.app.errors.Rejection.LABEL_UNMATCHED, "no features of timestep " + t
                        + " of series '" + series + "' wait for labels (the series is at " + last + "): they came "
                        + "with targets, were dead-lettered, waited past labels.max.wait.timesteps="
                        + maxWaitTimesteps + " or labels.max.wait.ms=" + maxWaitMs + ", or never came");
            }
            LabelWait early = LabelCodec.builder(LabelCodec.LABELS_WAIT, series, t).build();
            early.getLabels().add(LabelCodec.input(origin));
            store.put(key, LabelCodec.encode(early));
            return new Early();
        }
        return switch (w.getStage()) {
            case LabelCodec.LABELS_WAIT -> addEarly(key, w, labels, origin);
            case LabelCodec.FEATURES_WAIT -> join(key, w, labels, origin);
            default -> new Refused(io.streamfit.app.errors.Rejection.LABEL_DUPLICATE, "every object of timestep " + t
                    + " of series '" + series + "' has its label already");
        };
    }

    /** A further label that came before the features: it waits too, unless it repeats one that waits. */
    private Outcome addEarly(String key, LabelWait w, Labels labels, Origin origin) {
        Set<String> ids = new HashSet<>();
        boolean sum = false;
        for (LabelInput in : w.getLabels()) {
            Labels l = LabelsValue.decode(LabelCodec.origin(in).value());
            l.objects().forEach(o -> ids.add(o.id()));
            sum |= l.sumTarget() != null;
        }
        Outcome dup = duplicate(w, labels, ids::contains, sum);
        if (dup != null) {
            return dup;
        }
        w.getLabels().add(LabelCodec.input(origin));
        store.put(key, LabelCodec.encode(w));
        return new Early();
    }

    /** A label after its features: the timestep to train on, with what was served for it. */
    private Outcome join(String key, LabelWait w, Labels labels, Origin origin) {
        Origin features = LabelCodec.origin(w.getFeatures());
        Timestep ts = StreamfitSerdes.timestep().deserialize("", features.value());
        Map<String, Integer> index = index(ts);
        List<Boolean> labelled = w.getLabelled();
        for (Labels.ObjectLabel o : labels.objects()) {
            if (!index.containsKey(o.id())) {
                return new Refused(io.streamfit.app.errors.Rejection.LABEL_UNMATCHED, "object '" + o.id()
                        + "' is not among the " + ts.objects().size() + " objects of the features of timestep "
                        + ts.timestep() + " of series '" + w.getSeries() + "'");
            }
        }
        Outcome dup = duplicate(w, labels, id -> labelled.get(index.get(id)), w.getSumLabelled());
        if (dup != null) {
            return dup;
        }
        for (Labels.ObjectLabel o : labels.objects()) {
            labelled.set(index.get(o.id()), true);
        }
        w.setSumLabelled(w.getSumLabelled() || labels.sumTarget() != null);
        w.setMatched(w.getMatched() + 1);
        Served served = new Served(w.getModelVersion(), LabelCodec.floats(w.getPredictions()), w.getSumPrediction(),
                LabelCodec.floats(w.getProbabilities()), LabelCodec.floats(w.getExpectedCounts()));
        if (!labelled.contains(false)) {
            // Every object has its truth: only the flags stay, against duplicates.
            listener.waiting(w.getSeries(), -1);
            w.setStage(LabelCodec.LABELLED);
            strip(w);
        }
        store.put(key, LabelCodec.encode(w));
        listener.matched(w.getSeries(), origin.timestamp() - features.timestamp());
        return new Matched(new PendingTimestep(w.getSeries(), merge(ts, List.of(labels)), origin, System.nanoTime(),
                new PendingTimestep.Join(served, features, List.of(origin))));
    }

    private static Outcome duplicate(LabelWait w, Labels labels, java.util.function.Predicate<String> labelled,
                                     boolean sumLabelled) {
        for (Labels.ObjectLabel o : labels.objects()) {
            if (labelled.test(o.id())) {
                return new Refused(io.streamfit.app.errors.Rejection.LABEL_DUPLICATE, "object '" + o.id()
                        + "' of timestep " + w.getTimestep() + " of series '" + w.getSeries() + "' has its label already");
            }
        }
        if (labels.sumTarget() != null && sumLabelled) {
            return new Refused(io.streamfit.app.errors.Rejection.LABEL_DUPLICATE, "timestep " + w.getTimestep()
                    + " of series '" + w.getSeries() + "' has its sumTarget already");
        }
        return null;
    }

    /**
     * Features of {@code series} at timestep {@code ts.timestep()} passed the screen and the order
     * check ({@code last} is the series' previous timestep). Drops what they leave behind: waiting
     * features more than {@code labels.max.wait.timesteps} behind, and labels of the timesteps they
     * skipped. When labels of their own timestep came first, returns the record with those labels'
     * truths and the join that says so; else {@code null}.
     */
    PendingTimestep features(String series, Timestep ts, Origin origin, long last, long streamTime, long nanos) {
        if (empty) {
            // Nothing waits, so nothing to join or drop: no store reads for a stream whose labels
            // come with its features (a range scan and a get per record otherwise).
            return null;
        }
        long t = ts.timestep();
        long oldest = t - maxWaitTimesteps - 1;
        if (oldest < t) {
            // Waiting features (all at or before `last`) that are now too far behind.
            dropRange(series, Long.MIN_VALUE, Math.min(oldest, last),
                    "the series went past timestep " + oldest + " + labels.max.wait.timesteps");
        }
        if (last < t - 1) {
            // Labels of the timesteps the features skipped: features of those can no longer come.
            dropRange(series, last == Long.MIN_VALUE ? Long.MIN_VALUE : last + 1, t - 1,
                    "the features of series '" + series + "' went past its timestep to " + t);
        }
        String key = key(series, t);
        LabelWait w = get(key, series, t);
        if (w == null || w.getStage() != LabelCodec.LABELS_WAIT) {
            return null;
        }
        if (pastBound(w, last, streamTime)) {
            drop(key, w, "it waited past labels.max.wait.ms=" + maxWaitMs + " of record time");
            return null;
        }
        if (hasTruth(ts)) {
            drop(key, w, "the features of its timestep came with targets of their own");
            return null;
        }
        store.delete(key);
        Map<String, Integer> index = index(ts);
        List<Labels> joined = new ArrayList<>();
        List<Origin> origins = new ArrayList<>();
        for (LabelInput in : w.getLabels()) {
            Origin label = LabelCodec.origin(in);
            Labels l = LabelsValue.decode(label.value());
            String unknown = l.objects().stream().map(Labels.ObjectLabel::id).filter(id -> !index.containsKey(id))
                    .findFirst().orElse(null);
            if (unknown != null) {
                listener.unmatched(series, label, "object '" + unknown + "' is not among the " + ts.objects().size()
                        + " objects of the features of timestep " + t + " of series '" + series + "'");
                continue;
            }
            joined.add(l);
            origins.add(label);
            listener.matched(series, label.timestamp() - origin.timestamp());
        }
        if (joined.isEmpty()) {
            return null;
        }
        return new PendingTimestep(series, merge(ts, joined), origin, nanos,
                new PendingTimestep.Join(null, null, origins));
    }

    /**
     * After the model call of features that wait for labels (item {@code t} of the batch): they
     * wait, with what was served for them, unless labels that came first gave every object its
     * truth (then only the flags stay, against duplicates).
     *
     * @param version the version of the model that served {@code result}
     */
    void keep(PendingTimestep p, ObjectBatch batch, int t, StepResult result, long version) {
        keep(p, w -> {
            int k = p.timestep().objects().size();
            int first = batch.firstObject(t);
            float[] predictions = new float[k];
            System.arraycopy(result.objectPredictions(), first, predictions, 0, k);
            w.setModelVersion(version).setPredictions(LabelCodec.floats(predictions))
                    .setSumPrediction(result.sumPredictions()[t]);
            int classes = result.classes();
            if (result.probabilities() != null) {
                float[] probabilities = new float[k * classes];
                System.arraycopy(result.probabilities(), first * classes, probabilities, 0, probabilities.length);
                float[] counts = new float[classes];
                System.arraycopy(result.expectedCounts(), t * classes, counts, 0, classes);
                w.setProbabilities(LabelCodec.floats(probabilities)).setExpectedCounts(LabelCodec.floats(counts));
            }
        });
    }

    /**
     * Features that wait for labels, kept without anything served ({@link MemoryLabelJoin}: a replay
     * of the history scores a joined timestep when it trains on it). The same entry, flags and
     * bounds as {@link #keep(PendingTimestep, ObjectBatch, int, StepResult, long)}.
     */
    void keepUnserved(PendingTimestep p) {
        keep(p, w -> {
        });
    }

    /** Keeps {@code p}'s entry; {@code served} adds what was served when some object still waits. */
    private void keep(PendingTimestep p, java.util.function.Consumer<LabelWait.Builder> served) {
        Timestep ts = p.timestep();
        int k = ts.objects().size();
        List<Boolean> labelled = new ArrayList<>(k);
        for (Timestep.ObjectInput o : ts.objects()) {
            labelled.add(o.target() != null || o.label() != null);
        }
        boolean complete = !labelled.contains(false);
        LabelWait.Builder w = LabelCodec.builder(complete ? LabelCodec.LABELLED : LabelCodec.FEATURES_WAIT,
                p.series(), ts.timestep()).setFeatures(LabelCodec.input(p.origin())).setLabelled(labelled)
                .setSumLabelled(ts.hasSumTarget()).setMatched(p.join() == null ? 0 : p.join().labels().size());
        if (!complete) {
            served.accept(w);
            listener.waiting(p.series(), 1);
        }
        LabelWait value = w.build();
        if (complete) {
            strip(value);
        }
        store.put(key(p.series(), ts.timestep()), LabelCodec.encode(value));
    }

    /**
     * Looks at up to {@code maxKeys} entries, going on from where the last sweep stopped, and drops
     * those past {@code labels.max.wait.ms} of {@code streamTime}. The timestep bound is applied as
     * the series' features arrive ({@link #features}), and either bound as a label arrives, so when
     * this runs changes only how soon the store lets go of an entry, not any outcome.
     *
     * @return how many entries it looked at
     */
    int sweep(long streamTime, int maxKeys) {
        List<KeyValue<String, LabelWait>> due = new ArrayList<>();
        int seen = 0;
        String next = null;
        try (KeyValueIterator<String, byte[]> it = store.range(sweepFrom, null)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                if (seen == maxKeys) {
                    next = kv.key;
                    break;
                }
                seen++;
                LabelWait w = LabelCodec.decode(kv.value);
                if (streamTime - anchor(w) > maxWaitMs) {
                    due.add(KeyValue.pair(kv.key, w));
                }
            }
        }
        sweepFrom = next;
        due.forEach(kv -> drop(kv.key, kv.value, "it waited past labels.max.wait.ms=" + maxWaitMs
                + " of record time"));
        return seen;
    }

    /** The pending store value of a timestep joined with labels. */
    static byte[] encodePending(PendingTimestep p) {
        PendingTimestep.Join join = p.join();
        boolean late = join.served() != null;
        Origin features = late ? join.features() : p.origin();
        LabelWait.Builder w = LabelCodec.builder(late ? LabelCodec.PENDING_LABEL : LabelCodec.PENDING_FEATURES,
                p.series(), p.timestep().timestep()).setFeatures(LabelCodec.input(features));
        join.labels().forEach(l -> w.getLabels().add(LabelCodec.input(l)));
        if (late) {
            Served s = join.served();
            w.setModelVersion(s.modelVersion()).setPredictions(LabelCodec.floats(s.predictions()))
                    .setSumPrediction(s.sumPrediction()).setProbabilities(LabelCodec.floats(s.probabilities()))
                    .setExpectedCounts(LabelCodec.floats(s.expectedCounts()));
        }
        return LabelCodec.encode(w.build());
    }

    /** A pending store value of a timestep joined with labels, decoded and joined again as it was. */
    static PendingTimestep pending(LabelWait w, long nanos) {
        Origin features = LabelCodec.origin(w.getFeatures());
        Timestep ts = StreamfitSerdes.timestep().deserialize("", features.value());
        List<Origin> origins = new ArrayList<>();
        List<Labels> labels = new ArrayList<>();
        for (LabelInput in : w.getLabels()) {
            Origin o = LabelCodec.origin(in);
            origins.add(o);
            labels.add(LabelsValue.decode(o.value()));
        }
        Timestep merged = merge(ts, labels);
        if (w.getStage() == LabelCodec.PENDING_LABEL) {
            Served served = new Served(w.getModelVersion(), LabelCodec.floats(w.getPredictions()),
                    w.getSumPrediction(), LabelCodec.floats(w.getProbabilities()),
                    LabelCodec.floats(w.getExpectedCounts()));
            return new PendingTimestep(w.getSeries(), merged, origins.get(0), nanos,
                    new PendingTimestep.Join(served, features, origins));
        }
        return new PendingTimestep(w.getSeries(), merged, features, nanos, new PendingTimestep.Join(null, null, origins));
    }

    /**
     * {@code features} with the truths of {@code labels}: an object's target or label from the label
     * that names it (the first object of that id), the sum target from the label that has one; an
     * object no label names has no truth.
     */
    static Timestep merge(Timestep features, List<Labels> labels) {
        Map<String, Labels.ObjectLabel> truths = new HashMap<>();
        double[] sum = null;
        for (Labels l : labels) {
            l.objects().forEach(o -> truths.putIfAbsent(o.id(), o));
            if (sum == null) {
                sum = l.sumTarget();
            }
        }
        List<Timestep.ObjectInput> objects = new ArrayList<>(features.objects().size());
        for (Timestep.ObjectInput o : features.objects()) {
            Labels.ObjectLabel truth = truths.remove(o.id());
            objects.add(new Timestep.ObjectInput(o.id(), o.features(), truth == null ? null : truth.target(),
                    truth == null ? null : truth.label()));
        }
        return new Timestep(features.series(), features.timestep(), objects, sum);
    }

    /** The position of each object id in {@code ts} (its first object of that id). */
    private static Map<String, Integer> index(Timestep ts) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < ts.objects().size(); i++) {
            index.putIfAbsent(ts.objects().get(i).id(), i);
        }
        return index;
    }

    private boolean pastBound(LabelWait w, long last, long streamTime) {
        if (streamTime - anchor(w) > maxWaitMs) {
            return true;
        }
        if (w.getStage() == LabelCodec.LABELS_WAIT) {
            return w.getTimestep() <= last;
        }
        return last != Long.MIN_VALUE && last - w.getTimestep() > maxWaitTimesteps;
    }

    /** The record time the ms bound counts from: the features', or the first label's. */
    private static long anchor(LabelWait w) {
        if (w.getFeatures() != null) {
            return w.getFeatures().getTimestamp();
        }
        return w.getLabels().isEmpty() ? Long.MIN_VALUE : w.getLabels().get(0).getTimestamp();
    }

    /** Removes an entry past a bound, reporting what it held. */
    private void drop(String key, LabelWait w, String why) {
        store.delete(key);
        switch (w.getStage()) {
            case LabelCodec.LABELS_WAIT -> w.getLabels().forEach(in -> listener.unmatched(w.getSeries(),
                    LabelCodec.origin(in), "no features of timestep " + w.getTimestep() + " of series '"
                            + w.getSeries() + "' came while it waited: " + why));
            case LabelCodec.FEATURES_WAIT -> {
                listener.waiting(w.getSeries(), -1);
                if (w.getMatched() == 0) {
                    listener.expired(w.getSeries());
                }
            }
            default -> {
                // A fully labelled timestep's flags: nothing waits any more.
            }
        }
    }

    private void dropRange(String series, long from, long to, String why) {
        if (from > to) {
            return;
        }
        List<KeyValue<String, LabelWait>> found = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.range(key(series, from), key(series, to))) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                LabelWait w = LabelCodec.decode(kv.value);
                // A series id with a NUL in it could share the prefix: the value says whose it is.
                if (w.getSeries().equals(series)) {
                    found.add(KeyValue.pair(kv.key, w));
                }
            }
        }
        found.forEach(kv -> drop(kv.key, kv.value, why));
    }

    private LabelWait get(String key, String series, long timestep) {
        byte[] raw = store.get(key);
        if (raw == null) {
            return null;
        }
        LabelWait w = LabelCodec.decode(raw);
        return w.getSeries().equals(series) && w.getTimestep() == timestep ? w : null;
    }

    /** Keeps the flags and the features' timestamp, drops the features and the served predictions. */
    private static void strip(LabelWait w) {
        LabelInput f = w.getFeatures();
        w.setFeatures(new LabelInput(f.getTimestamp(), java.nio.ByteBuffer.wrap(new byte[0]), null, new ArrayList<>(),
                f.getTopic(), f.getPartition(), f.getOffset()));
        w.setPredictions(new ArrayList<>());
        w.setProbabilities(new ArrayList<>());
        w.setExpectedCounts(new ArrayList<>());
        w.setModelVersion(-1);
    }

    /** The store key of {@code series} at {@code timestep}: ordered by series, then by timestep. */
    static String key(String series, long timestep) {
        return series + SEPARATOR + String.format("%016x", timestep ^ Long.MIN_VALUE);
    }
}
