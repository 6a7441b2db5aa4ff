package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** The JMH harness runs both engines (each in its own fork) for a moment and yields positive times. */
class StepBenchSmokeTest {

    @Test
    void bothEnginesProduceAPositiveStepTime() throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(StepBenchmark.class.getName() + ".step")
                .param("shape", "4x3x8x2")
                .warmupIterations(0)
                .measurementIterations(2)
                .measurementTime(TimeValue.milliseconds(200))
                .forks(1)
                .shouldFailOnError(true)
                .build()).run();
        assertThat(results).hasSize(2);
        for (RunResult r : results) {
            assertThat(r.getPrimaryResult().getScore()).as(r.getParams().getParam("engine")).isPositive();
        }
        String table = StepBench.table(results);
        assertThat(table).contains("4x3x8x2 threads=1").containsPattern("\\d+\\.\\d\\dx");
    }
}
