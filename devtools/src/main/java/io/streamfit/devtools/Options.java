package io.streamfit.devtools;

import java.time.Duration;

import io.streamfit.app.cli.Durations;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Range checks of the dev tools' options: each failure names its option, in one line. */
final class Options {

    private Options() {
    }

    static void atLeast(CommandSpec spec, String option, long value, long min) {
        if (value < min) {
            throw new ParameterException(spec.commandLine(), option + " must be >= " + min + ", got " + value);
        }
    }

    static void positive(CommandSpec spec, String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new ParameterException(spec.commandLine(), option + " must be a number > 0, got " + value);
        }
    }

    /** A port to listen on: 0 (any free one) to 65535, or -1 where the option allows none. */
    static void port(CommandSpec spec, String option, int value, int min) {
        if (value < min || value > 65_535) {
            throw new ParameterException(spec.commandLine(), option + " must be a port in [" + min + ", 65535], got "
                    + value);
        }
    }

    static void positive(CommandSpec spec, String option, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw new ParameterException(spec.commandLine(), option + " must be longer than 0s, got "
                    + Durations.human(value));
        }
    }
}
