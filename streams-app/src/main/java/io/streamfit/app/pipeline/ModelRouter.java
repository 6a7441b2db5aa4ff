package io.streamfit.app.pipeline;

import io.streamfit.app.names.Names;

/**
 * Which model learns a series: its own ({@code model.scope=series}) or the one global model
 * ({@code model.scope=global}, whose input the topology routes through one partition first).
 */
record ModelRouter(boolean globalScope) {

    String modelKey(String series) {
        return globalScope ? Names.GLOBAL_KEY : series;
    }
}
