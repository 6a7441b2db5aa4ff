package io.streamfit.app.metrics;

import java.util.List;

/**
 * The models of this instance, as {@code /models} lists them: looked up by key and paged in key
 * order ({@link String#compareTo}). The service reads them from its model stores, so a model is
 * listed as long as its checkpoint is here, in memory or not; implementations are safe to call
 * from HTTP threads while the stream threads write.
 */
public interface ModelDirectory {

    /** The model of {@code key}, or null when this instance has none. */
    ModelInfo model(String key);

    /**
     * Up to {@code count} models whose keys are greater than {@code after} (all when null), in key
     * order.
     */
    List<ModelInfo> page(String after, int count);

    /** How many models this instance has. */
    Total total();

    /**
     * @param count the number of models
     * @param exact whether it is an exact count, or the stores' estimate (many models)
     */
    record Total(long count, boolean exact) {
    }

    /**
     * The variants of model {@code key} side by side (the champion's configuration and each
     * challenger's), and which leads; null without challengers, or when there is no such model.
     */
    default Variants variants(String key) {
        return null;
    }

    /**
     * @param leader the variant whose predictions are emitted
     * @param models every variant's model, the champion's configuration first
     */
    record Variants(String leader, java.util.Map<String, ModelInfo> models) {
    }

    /**
     * The kept versions of model {@code key} (oldest first), or null when this instance has no
     * model of that key or keeps no versions.
     */
    default List<VersionInfo> versions(String key) {
        return null;
    }

    /**
     * A kept version ({@code model.versions.every}): the model as it was then.
     *
     * @param generation   the model's generation then
     * @param keptAtMs     when it was kept, epoch ms
     * @param atTimestep   the largest timestep it had learned, or null
     * @param inputOffsets per input partition ({@code topic-partition}), the last offset it learned
     * @param model        the model then: version, prequential metrics, ...
     */
    record VersionInfo(int generation, long keptAtMs, Long atTimestep, java.util.Map<String, Long> inputOffsets,
                       ModelInfo model) {
    }

    /** Whether every model store of this instance answered (false while a task restores or moves). */
    default boolean complete() {
        return true;
    }
}
