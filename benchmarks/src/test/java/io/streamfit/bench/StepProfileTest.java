package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The profile runs a small shape and reports wall and CPU times and the traced ops by part and type. */
class StepProfileTest {

    @Test
    void reportsTimesAndTheTracedOpsOfTheGuardedFusedStep() throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            StepProfile.main(new String[] {"4x3x8x2", "--steps", "25"});
        } finally {
            System.setOut(out);
        }
        String report = captured.toString(StandardCharsets.UTF_8);

        assertThat(report).containsPattern("== tensorflow 4x3x8x2 \\(N=8 rows\\), 1 threads: step median \\d+\\.\\d us")
                .containsPattern("CPU time per step: calling thread \\d+\\.\\d us")
                .containsPattern("traced runs: 20, wall \\d+\\.\\d us/run");
        // Adam is the fused kernel, once per variable (2 layers x (W, b)), and the guard has ops.
        assertThat(report).containsPattern("\\n  ApplyAdam +\\d+\\.\\d +\\d+\\.\\d% +4\\n")
                .containsPattern("\\n  guard +\\d+\\.\\d +\\d+\\.\\d% +\\d*[1-9]\\d*\\n");
    }
}
