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

    /** Whether every model store of this instance answered (false while a task restores or moves). */
    default boolean complete() {
        return true;
    }
}
