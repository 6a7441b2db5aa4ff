package io.streamfit.app.kind;

import io.streamfit.model.LossOptions;
import io.streamfit.model.ModelSpec;

/**
 * The model settings that every kind shares, parsed and validated by the configuration before a
 * kind sees them. A kind builds its {@link ModelSpec} from these and its own keys.
 *
 * @param features       m, features per object (>= 1)
 * @param hidden         hidden layer sizes (or LSTM layer sizes for the sequence kinds)
 * @param activation     hidden activation
 * @param lossWeight     w in [0, 1]
 * @param optimizer      the optimizer with its parameters
 * @param seed           weight initialisation seed
 * @param intraOpThreads TensorFlow intra-op threads (0 = TensorFlow's choice)
 * @param interOpThreads TensorFlow inter-op threads (0 = TensorFlow's choice)
 * @param input          {@code model.input}: dense, sparse or auto
 * @param batchTimesteps {@code batch.timesteps}, timesteps per micro-batch (>= 1)
 * @param loss           {@code loss.*}: the regression kinds' loss function and sum normalisation
 */
public record CommonSettings(int features, int[] hidden, String activation, double lossWeight,
                             ModelSpec.OptimizerSpec optimizer, long seed, int intraOpThreads, int interOpThreads,
                             String input, int batchTimesteps, LossOptions loss) {

    public CommonSettings {
        hidden = hidden.clone();
        loss = loss == null ? LossOptions.DEFAULT : loss;
    }

    /** Settings with the default loss options. */
    public CommonSettings(int features, int[] hidden, String activation, double lossWeight,
                          ModelSpec.OptimizerSpec optimizer, long seed, int intraOpThreads, int interOpThreads,
                          String input, int batchTimesteps) {
        this(features, hidden, activation, lossWeight, optimizer, seed, intraOpThreads, interOpThreads, input,
                batchTimesteps, LossOptions.DEFAULT);
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }
}
