package io.streamfit.app.http;

import io.streamfit.app.config.StreamfitConfig;

/**
 * The limits of the HTTP server, from the {@code http.*} keys (their meaning is in
 * docs/configuration.md).
 *
 * @param threads       worker threads of {@code /metrics} and {@code /models}, at least 1
 * @param queueSize     requests that may wait for a worker, at least 0; one more is answered 503
 * @param readTimeoutMs longest a connection may take to deliver a request line and headers, from its
 *                      opening or its previous response, in ms
 * @param idleTimeoutMs longest a connection may go without a byte read or written, in ms
 * @param defaultLimit  models per page of {@code GET /models} without {@code limit}, in [1, maxLimit]
 * @param maxLimit      largest page of {@code GET /models}, at least 1
 */
public record HttpSettings(int threads, int queueSize, int readTimeoutMs, int idleTimeoutMs, int defaultLimit,
                           int maxLimit) {

    /** The keys' defaults. */
    public static final HttpSettings DEFAULTS = new HttpSettings(4, 64, 5_000, 10_000, 100, 1000);

    public HttpSettings {
        if (threads < 1 || queueSize < 0 || readTimeoutMs < 1 || idleTimeoutMs < 1 || maxLimit < 1
                || defaultLimit < 1) {
            throw new IllegalArgumentException("invalid HTTP settings: threads=" + threads + ", queueSize=" + queueSize
                    + ", readTimeoutMs=" + readTimeoutMs + ", idleTimeoutMs=" + idleTimeoutMs + ", defaultLimit="
                    + defaultLimit + ", maxLimit=" + maxLimit);
        }
        // A default above the maximum would be clamped on every request; say it once, here.
        defaultLimit = Math.min(defaultLimit, maxLimit);
    }

    /** The settings of a configuration. */
    public static HttpSettings from(StreamfitConfig cfg) {
        return new HttpSettings(cfg.getInt(StreamfitConfig.HTTP_THREADS), cfg.getInt(StreamfitConfig.HTTP_QUEUE_SIZE),
                cfg.getInt(StreamfitConfig.HTTP_READ_TIMEOUT_MS), cfg.getInt(StreamfitConfig.HTTP_IDLE_TIMEOUT_MS),
                cfg.getInt(StreamfitConfig.HTTP_MODELS_LIMIT_DEFAULT), cfg.getInt(StreamfitConfig.HTTP_MODELS_LIMIT_MAX));
    }
}
