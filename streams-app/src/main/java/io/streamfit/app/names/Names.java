package io.streamfit.app.names;

/**
 * Names that several layers share: state stores, topology nodes, internal headers and the model
 * key of the global scope. A leaf: it imports nothing of streamfit, so the processor stages, the
 * topology, the handlers and the tools can all name the same things without depending on each
 * other. Topic names are configurable and live in {@link io.streamfit.schemas.TopicRegistry}.
 */
public final class Names {

    /** Model checkpoints by model key (changelog {@code <application.id>-model-store-changelog}). */
    public static final String MODEL_STORE = "model-store";
    /**
     * Divergence recovery's good state (a model's state at its best windowed loss) by model key,
     * written only when the model's checkpoint moves past it (changelog
     * {@code <application.id>-good-store-changelog}).
     */
    public static final String GOOD_STORE = "good-store";
    /** Timesteps waiting for their micro-batch (changelog {@code <application.id>-pending-store-changelog}). */
    public static final String PENDING_STORE = "pending-store";
    /** Sequence kinds: each object's last W timesteps (changelog {@code <application.id>-window-store-changelog}). */
    public static final String WINDOW_STORE = "window-store";
    /**
     * With {@code model.idle.ttl}: the last record time per series and the task's record clock
     * (changelog {@code <application.id>-activity-store-changelog}).
     */
    public static final String ACTIVITY_STORE = "activity-store";
    /**
     * With {@code model.scope=global}: the last accepted timestep per series, which keeps the one
     * model's checkpoint from growing with the number of series (changelog
     * {@code <application.id>-series-store-changelog}).
     */
    public static final String SERIES_STORE = "series-store";

    /**
     * The delayed-labels join: features that wait for their labels (with the predictions served
     * for them), labels that wait for their features (changelog {@code <application.id>-labels-store-changelog}).
     */
    public static final String LABELS_STORE = "labels-store";

    /**
     * The kept versions of the models ({@code model.versions.every}, {@code model.versions.keep}):
     * whole checkpoints, logged, for rollbacks and {@code GET /models/{key}/versions}.
     */
    public static final String VERSIONS_STORE = "versions-store";
    public static final String SOURCE = "features-source";
    public static final String COMMANDS_SOURCE = "model-commands-source";
    public static final String EVENTS_SINK = "model-events-sink";
    public static final String LABELS_SOURCE = "labels-source";
    public static final String ROUTE_STAMP = "global-route-stamp";
    public static final String ROUTE_SINK = "global-route-sink";
    public static final String ROUTE_SOURCE = "global-route-source";
    public static final String LEARN = "learn";
    public static final String OBJECT_SINK = "object-predictions-sink";
    public static final String SUM_SINK = "sum-predictions-sink";
    public static final String DEAD_LETTER_SINK = "dead-letters-sink";
    public static final String ANOMALY_SINK = "anomaly-scores-sink";

    /**
     * Prefix of the headers streamfit sets for itself. Any that arrive on input are removed before
     * anything reads them (a producer could forge them), and no dead letter carries them.
     */
    public static final String INTERNAL_HEADER_PREFIX = "streamfit.";
    /** Headers that keep the original position of a record routed through the global topic. */
    public static final String ORIGIN_HEADER_PREFIX = INTERNAL_HEADER_PREFIX + "origin.";
    public static final String ORIGIN_TOPIC_HEADER = ORIGIN_HEADER_PREFIX + "topic";
    public static final String ORIGIN_PARTITION_HEADER = ORIGIN_HEADER_PREFIX + "partition";
    public static final String ORIGIN_OFFSET_HEADER = ORIGIN_HEADER_PREFIX + "offset";

    /** Model key of {@code model.scope=global}. */
    public static final String GLOBAL_KEY = "global";

    /**
     * The model-store key of challenger {@code name}'s model of model key {@code key}: the key, a
     * NUL, the name. A NUL sorts first, so a key's challengers are the range just after it.
     */
    public static String challengerKey(String key, String name) {
        return key + '\u0000' + name;
    }

    /** Whether a model-store key is a challenger's ({@link #challengerKey}) rather than a model key. */
    public static boolean isChallengerKey(String storeKey) {
        return storeKey.indexOf('\u0000') >= 0;
    }

    /** Checkpoints of large models exceed Kafka's default 1 MB record limit. */
    public static final String CHANGELOG_MAX_MESSAGE_BYTES = String.valueOf(64 * 1024 * 1024);

    private Names() {
    }

    /** The name of the one-partition topic of {@code model.scope=global}. */
    public static String globalRouteTopic(String applicationId) {
        return applicationId + "-global-route";
    }
}
