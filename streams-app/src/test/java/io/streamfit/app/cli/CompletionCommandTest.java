package io.streamfit.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code streamfit completion}: picocli's completion script of every command and option. */
class CompletionCommandTest {

    @Test
    void bashPrintsAScriptThatCompletesTheCommandsAndTheirOptions() {
        CliErrorsTest.Outcome o = CliErrorsTest.run("completion", "bash");
        assertThat(o.code()).isZero();
        assertThat(o.err()).isEmpty();
        assertThat(o.out().lines().findFirst()).hasValue("#!/usr/bin/env bash");
        // The script registers its function for the command's name ...
        assertThat(o.out()).contains("complete -F _complete_streamfit -o default streamfit");
        // ... and knows the subcommands and their options.
        assertThat(o.out()).contains("_picocli_streamfit_status()", "_picocli_streamfit_models()",
                "_picocli_streamfit_run()", "--dry-run", "--interval", "--after");
    }

    @Test
    void zshGetsTheSameScriptAndNoShellMeansBash() {
        String bash = CliErrorsTest.run("completion", "bash").out();
        assertThat(CliErrorsTest.run("completion", "zsh").out()).isEqualTo(bash);
        assertThat(CliErrorsTest.run("completion").out()).isEqualTo(bash);
    }

    @Test
    void anotherShellIsOneLineAndExit2() {
        CliErrorsTest.Outcome o = CliErrorsTest.run("completion", "fish");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.out()).isEmpty();
        assertThat(o.err().lines()).containsExactly("streamfit completion: Invalid value for positional parameter at "
                + "index 0 (SHELL): expected one of [bash, zsh] (case-sensitive) but was 'fish' "
                + "(see 'streamfit completion --help')");
    }
}
