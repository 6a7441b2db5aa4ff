package io.streamfit.devtools;

import io.streamfit.devkit.demo.SyntheticStream;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of the synthetic stream, shared by {@code demo}, {@code produce} and
 * {@code optimizers-bench}: the same seed and sizes give the same data in all three, so their
 * numbers can be put side by side.
 */
final class SyntheticData {

    @Option(names = "--series", defaultValue = "4", description = "Number of series, >= 1 (default ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--features", defaultValue = "8",
            description = "m, features per object; must match the app's model.features (default ${DEFAULT-VALUE}).")
    int features;

    @Option(names = "--noise", defaultValue = "0.2",
            description = "Standard deviation sigma of the target noise, >= 0 (default ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the synthetic data (default ${DEFAULT-VALUE}).")
    long seed;

    /** A new stream of these options with {@code features} per object (the model's, where a config can set it). */
    SyntheticStream stream(int features) {
        return new SyntheticStream(series, features, noise, seed, 1);
    }

    SyntheticStream stream() {
        return stream(features);
    }

    /**
     * Refuses sizes no stream can have, naming the option.
     *
     * @throws ParameterException for {@code --series} or {@code --features} below 1, or {@code --noise} below 0
     */
    void check(CommandSpec spec) {
        Options.atLeast(spec, "--series", series, 1);
        Options.atLeast(spec, "--features", features, 1);
        if (!(noise >= 0) || Double.isInfinite(noise)) {
            throw new ParameterException(spec.commandLine(), "--noise must be a number >= 0, got " + noise);
        }
    }
}
