package io.streamfit.app.kind;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import io.streamfit.model.ModelSpec;
import io.streamfit.model.Models;
import io.streamfit.model.OnlineModel;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * A model kind bound to a configuration: what the topology, the stream processor, backfill and
 * export need from it. Immutable and shared by every task.
 */
public interface ConfiguredKind {

    /** The plug-in this came from. */
    ModelKind kind();

    /** The model every key gets. */
    ModelSpec spec();

    /** A fresh, seeded model of {@link #spec()}. */
    default OnlineModel create() {
        return Models.create(spec());
    }

    /** What a record must carry as its truth for this kind. */
    Supervision supervision();

    /** The output streams this kind writes besides dead letters. */
    default Set<Outputs.Sink> sinks() {
        return EnumSet.of(Outputs.Sink.OBJECT_PREDICTIONS, Outputs.Sink.SUM_PREDICTIONS);
    }

    /** The kind's own state stores (logged, in the learning processor's task). */
    default List<StoreBuilder<?>> stores() {
        return List.of();
    }

    /**
     * Whether the kind joins delayed labels (design.md, "Delayed labels"): the plain kinds, whose
     * batch is one timestep per record ({@link PlainBatches}). The others dead-letter labels.
     */
    default boolean joinsLabels() {
        return false;
    }

    /** The batch logic of one stream task; {@code stores} gives the task's stores, {@link #stores()} among them. */
    BatchLogic batchLogic(StoreLookup stores);

    /** Empty per-model kind state for a new or restored model. */
    default ModelExtras newExtras() {
        return ModelExtras.NONE;
    }

    /**
     * Why {@code backfill} cannot train this kind, as a phrase after "model.kind=NAME", or
     * {@code null} when it can (it trains from independent timesteps; windows of a series' past
     * are the stream processor's).
     */
    default String backfillRefusal() {
        return null;
    }
}
