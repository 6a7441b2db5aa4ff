package io.streamfit.app.http;

import java.util.List;

import io.streamfit.app.metrics.ModelDirectory;
import io.streamfit.app.metrics.ModelInfo;
import io.streamfit.app.metrics.StreamfitMetrics;

/**
 * The models in memory that the processor published to the metrics, as a directory: what
 * {@code /models} shows before the service's streams run (and in tests that publish models
 * themselves). A running service lists its model stores instead.
 */
final class LiveModelDirectory implements ModelDirectory {

    private final StreamfitMetrics metrics;

    LiveModelDirectory(StreamfitMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public ModelInfo model(String key) {
        return metrics.model(key);
    }

    @Override
    public List<ModelInfo> page(String after, int count) {
        return ModelPage.of(metrics.models(), after, count).models();
    }

    @Override
    public Total total() {
        return new Total(metrics.models().size(), true);
    }
}
