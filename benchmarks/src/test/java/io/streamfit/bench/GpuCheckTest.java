package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** The placement check reads real step statistics of a TensorFlow run. */
class GpuCheckTest {

    @Test
    void reportsTheDeviceThatRanEachMatMul() {
        Map<String, String> placement = GpuCheck.placement();
        assertThat(placement).containsKeys("MatMul", "MatMul_1");
        boolean cpu = GpuCheck.matMulsOn(placement, "cpu");
        boolean gpu = GpuCheck.matMulsOn(placement, "gpu");
        // The build under test has the CPU natives unless -Pgpu; either way exactly one holds.
        assertThat(cpu ^ gpu).as("MatMuls on exactly one device kind: %s", placement).isTrue();
        assertThat(placement.get("MatMul")).matches(".*device:(CPU|GPU):\\d+");
    }

    @Test
    void noMatMulMeansNoPass() {
        assertThat(GpuCheck.matMulsOn(Map.of("Relu", "/device:GPU:0"), "gpu")).isFalse();
        assertThat(GpuCheck.matMulsOn(Map.of("MatMul", "/device:CPU:0"), "gpu")).isFalse();
    }
}
