package io.streamfit.app.kind;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

import io.streamfit.app.config.StreamfitConfig;
import io.streamfit.app.kind.registry.ModelKinds;
import io.streamfit.model.ModelSpec;

/**
 * Tests that think in model specs get the configured kind of a spec, through the kind's own
 * configuration path; a spec the kind cannot build fails.
 */
public final class SpecKinds {

    private SpecKinds() {
    }

    /** The configuration keys of {@code spec}. */
    public static Map<String, String> configOf(ModelSpec spec) {
        Map<String, String> m = new HashMap<>();
        m.put("model.kind", spec.kind());
        m.put("model.features", String.valueOf(spec.features()));
        m.put("model.hidden", Arrays.stream(spec.hidden()).mapToObj(String::valueOf).collect(Collectors.joining(",")));
        m.put("model.activation", spec.isSequence() ? "relu" : spec.activation());
        m.put("loss.weight", String.valueOf(spec.lossWeight()));
        m.put("loss.function", spec.loss().function());
        m.put("loss.huber.delta", String.valueOf(spec.loss().huberDelta()));
        m.put("loss.sum.normalization", spec.loss().sumNormalization());
        m.put("model.seed", String.valueOf(spec.seed()));
        m.put("model.input", spec.input());
        m.put("tf.intra.op.threads", String.valueOf(spec.intraOpThreads()));
        m.put("tf.inter.op.threads", String.valueOf(spec.interOpThreads()));
        m.put("optimizer", spec.optimizer().name());
        m.put("optimizer.learning.rate", String.valueOf(spec.optimizer().learningRate()));
        m.put("optimizer.schedule", spec.optimizer().schedule());
        spec.optimizer().params().forEach((k, v) -> m.put("optimizer." + k, String.valueOf(v)));
        if (spec.classes() > 0) {
            m.put("model.classes", String.valueOf(spec.classes()));
        }
        if (spec.isSequence()) {
            m.put("model.window", String.valueOf(spec.sequence().window()));
            m.put("model.lstm.bidirectional", String.valueOf(spec.sequence().bidirectional()));
            m.put("model.lstm.reverse", String.valueOf(spec.sequence().reverse()));
            m.put("model.lstm.difference", String.valueOf(spec.sequence().difference()));
            m.put("model.lstm.activation", spec.sequence().activation());
            m.put("model.lstm.recurrent.activation", spec.sequence().recurrentActivation());
        }
        return m;
    }

    /**
     * The configured kind of {@code spec}: its kind's own keys from the configuration, the common
     * settings (the optimizer exactly as given, defaults left implicit or not) from the spec.
     *
     * @throws IllegalArgumentException when the kind builds another spec
     */
    public static ConfiguredKind of(ModelSpec spec) {
        StreamfitConfig config = new StreamfitConfig(configOf(spec));
        CommonSettings common = new CommonSettings(spec.features(), spec.hidden(), spec.activation(),
                spec.lossWeight(), spec.optimizer(), spec.seed(), spec.intraOpThreads(), spec.interOpThreads(),
                spec.input(), 1, spec.loss());
        ConfiguredKind kind = ModelKinds.configure(spec.kind(), common, config);
        if (!kind.spec().equals(spec)) {
            throw new IllegalArgumentException("the configuration " + configOf(spec) + " builds " + kind.spec()
                    + ", not " + spec);
        }
        return kind;
    }
}
