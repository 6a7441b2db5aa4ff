package io.streamfit.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.ConfigProto;

/** The spec's thread counts become the session's options. */
class SessionConfigTest {

    @ParameterizedTest(name = "intra {0}, inter {1}")
    @CsvSource({
        // 0 leaves TensorFlow's choice (the proto's 0); inter 1 is TensorFlow's "run in the caller" (-1).
        "0, 0, 0, 0",
        "1, 1, 1, -1",
        "2, 1, 2, -1",
        "1, 3, 1, 3"})
    void threadCountsMapToTheSessionOptions(int intra, int inter, int expectedIntra, int expectedInter) {
        ModelSpec spec = new ModelSpec(ModelSpec.KIND_REGRESSOR, 3, new int[] {4}, "relu", 0.5,
                ModelSpec.OptimizerSpec.of("adam", 0.01), 1, intra, inter);

        ConfigProto config = SessionConfig.of(spec);

        assertThat(config.getIntraOpParallelismThreads()).isEqualTo(expectedIntra);
        assertThat(config.getInterOpParallelismThreads()).isEqualTo(expectedInter);
    }
}
