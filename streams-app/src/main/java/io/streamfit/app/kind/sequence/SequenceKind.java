package io.streamfit.app.kind.sequence;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.streamfit.app.kind.BatchLogic;
import io.streamfit.app.kind.CommonSettings;
import io.streamfit.app.kind.ConfiguredKind;
import io.streamfit.app.kind.FeatureScaling;
import io.streamfit.app.kind.ModelExtras;
import io.streamfit.app.kind.ModelKind;
import io.streamfit.app.kind.Outputs;
import io.streamfit.app.kind.StoreLookup;
import io.streamfit.app.kind.Supervision;
import io.streamfit.app.names.Names;
import io.streamfit.app.state.SettingsChange;
import io.streamfit.model.Activation;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.SequenceOptions;
import io.streamfit.schemas.Timestep;
import io.streamfit.app.errors.Rejection;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * What the sequence kinds share: an object is its window of the last W timesteps, kept per series
 * and object in the logged window store ({@link WindowedBatches}); the LSTM options; one record
 * per model call ({@code batch.timesteps = 1}); and an object id at most once per record, since
 * each id has one window.
 */
abstract class SequenceKind implements ModelKind {

    static final String MODEL_WINDOW = "model.window";
    static final String MODEL_WINDOW_STRIDE = "model.window.stride";
    static final String MODEL_LSTM_BIDIRECTIONAL = "model.lstm.bidirectional";
    static final String MODEL_LSTM_REVERSE = "model.lstm.reverse";
    static final String MODEL_LSTM_DIFFERENCE = "model.lstm.difference";
    static final String MODEL_LSTM_ACTIVATION = "model.lstm.activation";
    static final String MODEL_LSTM_RECURRENT_ACTIVATION = "model.lstm.recurrent.activation";

    private static final String[] ACTIVATIONS = Activation.configNames().toArray(String[]::new);

    @Override
    public List<ConfigDef.ConfigKey> configKeys() {
        return List.copyOf(new ConfigDef()
                .define(MODEL_WINDOW, Type.INT, SequenceOptions.WINDOW_DEFAULT, Range.atLeast(1), Importance.LOW,
                        "W, timesteps per window (sequence models; at least 2 for them)." + SettingsChange.SHAPE_DOC)
                .define(MODEL_WINDOW_STRIDE, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                        "Sequence models: an object's full window joins the model call every stride-th timestep of "
                                + "that object (1 = every timestep once the window is full).")
                .define(MODEL_LSTM_BIDIRECTIONAL, Type.BOOLEAN, false, Importance.LOW,
                        "Sequence models: every encoder LSTM layer also reads the window backwards."
                                + SettingsChange.SHAPE_DOC)
                .define(MODEL_LSTM_REVERSE, Type.BOOLEAN, false, Importance.LOW,
                        "seq-autoencoder: reconstruct the window newest first." + SettingsChange.SHAPE_DOC)
                .define(MODEL_LSTM_DIFFERENCE, Type.BOOLEAN, false, Importance.LOW,
                        "Sequence models: feed x[0], x[1]-x[0], ..., x[W-1]-x[W-2] instead of the raw window (the "
                                + "autoencoder then reconstructs and scores the differences)." + SettingsChange.SHAPE_DOC)
                .define(MODEL_LSTM_ACTIVATION, Type.STRING, SequenceOptions.ACTIVATION_DEFAULT,
                        ValidString.in(ACTIVATIONS), Importance.LOW,
                        "Sequence models: LSTM cell input and output activation (linear lets the cell state "
                                + "grow without bound, e.g. to learn sums)." + SettingsChange.SHAPE_DOC)
                .define(MODEL_LSTM_RECURRENT_ACTIVATION, Type.STRING, SequenceOptions.RECURRENT_ACTIVATION_DEFAULT,
                        ValidString.in(ACTIVATIONS), Importance.LOW, "Sequence models: LSTM gate activation." + SettingsChange.SHAPE_DOC)
                .configKeys().values());
    }

    /** The spec of this kind from the common settings and the sequence options. */
    abstract ModelSpec spec(CommonSettings common, SequenceOptions options);

    /** The kind's checks and state beyond the windows: its outputs per model call and its per-model state. */
    abstract Windowed windowed(AbstractConfig config);

    /** A sequence kind's own part of a configured kind. */
    interface Windowed {
        /** Whether every window is its own target (the autoencoder), so every call trains. */
        boolean selfSupervised();

        WindowedBatches.WindowMapping mapping();

        ModelExtras newExtras();

        Set<Outputs.Sink> extraSinks();
    }

    @Override
    public ConfiguredKind configure(CommonSettings c, AbstractConfig config) {
        int window = config.getInt(MODEL_WINDOW);
        if (window < 2) {
            throw new ConfigException(MODEL_WINDOW, window, "model.kind " + name()
                    + " needs a window of at least 2 timesteps");
        }
        if (c.hidden().length == 0) {
            throw new ConfigException("model.hidden", "", "model.kind " + name() + " needs at least one LSTM layer size");
        }
        // Windows are updated and scored as each record is accepted: a micro-batch would have to
        // carry each object's window as of its own timestep.
        if (c.batchTimesteps() != 1) {
            throw new ConfigException("batch.timesteps", c.batchTimesteps(), "model.kind " + name()
                    + " runs every record at once; batch.timesteps must be 1");
        }
        if (!ModelSpec.INPUT_AUTO.equals(c.input())) {
            throw new ConfigException("model.input", c.input(), "sequence models take their windows dense");
        }
        FeatureScaling.refuse(config, name(), "takes its windows as they arrived");
        SequenceOptions options = new SequenceOptions(window, config.getBoolean(MODEL_LSTM_BIDIRECTIONAL),
                config.getBoolean(MODEL_LSTM_REVERSE), config.getBoolean(MODEL_LSTM_DIFFERENCE),
                config.getString(MODEL_LSTM_ACTIVATION), config.getString(MODEL_LSTM_RECURRENT_ACTIVATION));
        return new Configured(this, spec(c, options), config.getInt(MODEL_WINDOW_STRIDE), windowed(config));
    }

    private record Configured(ModelKind kind, ModelSpec spec, int stride, Windowed windowed)
            implements ConfiguredKind {

        @Override
        public Supervision supervision() {
            return UNIQUE_IDS;
        }

        @Override
        public Set<Outputs.Sink> sinks() {
            Set<Outputs.Sink> sinks = EnumSet.of(Outputs.Sink.OBJECT_PREDICTIONS, Outputs.Sink.SUM_PREDICTIONS);
            sinks.addAll(windowed.extraSinks());
            return sinks;
        }

        @Override
        public List<StoreBuilder<?>> stores() {
            return List.of(windowStore());
        }

        @Override
        public BatchLogic batchLogic(StoreLookup stores) {
            return new WindowedBatches(stores.store(Names.WINDOW_STORE), spec.sequence().window(), spec.features(),
                    stride, windowed.selfSupervised(), windowed.mapping());
        }

        @Override
        public ModelExtras newExtras() {
            return windowed.newExtras();
        }

        @Override
        public String backfillRefusal() {
            return "is a sequence model; backfill trains regressors and classifiers (a sequence model's windows "
                    + "live in the service's window store)";
        }
    }

    /** Regression supervision, and each object id at most once per record: two would append to one window. */
    static final Supervision UNIQUE_IDS = new Supervision() {
        @Override
        public Rejection checkObject(int i, Timestep.ObjectInput object) {
            return Supervision.TARGETS.checkObject(i, object);
        }

        @Override
        public Rejection checkSum(double[] sumTarget) {
            return Supervision.TARGETS.checkSum(sumTarget);
        }

        @Override
        public Rejection checkRecord(Timestep ts) {
            Map<String, Boolean> ids = new HashMap<>();
            for (Timestep.ObjectInput o : ts.objects()) {
                if (ids.put(o.id(), Boolean.TRUE) != null) {
                    return new Rejection(Rejection.DUPLICATE_OBJECT, "object id '" + o.id()
                            + "' occurs twice in timestep " + ts.timestep()
                            + "; a sequence model keeps one window per id");
                }
            }
            return null;
        }
    };

    /**
     * The logged store of every object's window: one entry per series and object, W * m floats
     * each; written in the same task as the model store, so both commit with the input.
     */
    static StoreBuilder<KeyValueStore<String, byte[]>> windowStore() {
        Map<String, String> changelog = new HashMap<>();
        changelog.put("cleanup.policy", "compact");
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.WINDOW_STORE), Serdes.String(),
                        Serdes.ByteArray())
                // The cache collapses the per-record rewrites of a window to one changelog write per commit.
                .withCachingEnabled()
                .withLoggingEnabled(changelog);
    }
}
