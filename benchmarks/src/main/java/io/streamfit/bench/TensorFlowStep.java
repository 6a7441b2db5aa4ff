package io.streamfit.bench;

import java.util.Map;

import io.streamfit.model.LossOptions;
import io.streamfit.model.ModelSpec;
import io.streamfit.model.Optimizers;
import io.streamfit.model.Models;
import io.streamfit.model.ObjectBatch;
import io.streamfit.model.OnlineModel;
import io.streamfit.model.StepResult;

/** streamfit's own update step: {@link OnlineModel#step} of the shared-weight regressor, one session run. */
final class TensorFlowStep implements StepEngine {

    private final OnlineModel model;
    private final ObjectBatch batch;
    private float[] last = new float[0];

    TensorFlowStep(StepData data, int threads, long seed) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        StepShape shape = data.shape();
        // The same step as the PyTorch engine's: the raw sum residual and no gradient clip, so both
        // compute one loss and one update (streamfit's defaults normalise the sum and clip at 1).
        ModelSpec spec = new ModelSpec(ModelSpec.KIND_REGRESSOR, shape.features(), new int[] {shape.hidden()}, "relu",
                LOSS_WEIGHT, new ModelSpec.OptimizerSpec("adam", LEARNING_RATE,
                        Map.of(Optimizers.PARAM_CLIP_NORM, Optimizers.CLIP_NORM_LEGACY)), seed, threads, 1)
                .withLoss(LossOptions.LEGACY);
        this.model = Models.create(spec);
        this.batch = data.toObjectBatch();
    }

    @Override
    public double step() {
        StepResult r = model.step(batch, true);
        if (!r.updated()) {
            throw new IllegalStateException("the model did not update on a supervised batch");
        }
        last = r.objectPredictions();
        return r.loss();
    }

    @Override
    public float[] lastPredictions() {
        return last;
    }

    @Override
    public void close() {
        model.close();
    }
}
