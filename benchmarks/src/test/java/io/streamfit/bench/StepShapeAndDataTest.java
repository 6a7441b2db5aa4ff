package io.streamfit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamfit.model.ObjectBatch;
import org.junit.jupiter.api.Test;

class StepShapeAndDataTest {

    @Test
    void parsesShapesAndRejectsOthers() {
        StepShape s = StepShape.parse("1024x64x256x1");
        assertThat(s).isEqualTo(new StepShape(1024, 64, 256, 1));
        assertThat(s.rows()).isEqualTo(1024);
        assertThat(StepShape.parse(s.toString())).isEqualTo(s);
        assertThatThrownBy(() -> StepShape.parse("32x16x64")).hasMessageContaining("KxMxHxT");
        assertThatThrownBy(() -> StepShape.parse("32x16x0x1")).hasMessageContaining(">= 1");
    }

    @Test
    void theModelSeesTheSameDataAsThePeer() {
        StepData data = StepData.random(new StepShape(3, 2, 4, 2), 5);
        assertThat(data).usingRecursiveComparison().isEqualTo(StepData.random(new StepShape(3, 2, 4, 2), 5));
        ObjectBatch b = data.toObjectBatch();
        assertThat(b.timesteps()).isEqualTo(2);
        assertThat(b.objects()).isEqualTo(6);
        for (int i = 0; i < 12; i++) {
            assertThat(b.x()[i]).isEqualTo(data.x()[i]);
        }
        for (int t = 0; t < 2; t++) {
            float s = 0;
            for (int j = 0; j < 3; j++) {
                s += data.objectTarget()[t * 3 + j];
            }
            assertThat(data.sumTarget()[t]).isEqualTo(s);
            assertThat(b.sumTarget()[t]).isEqualTo(s);
        }
    }
}
