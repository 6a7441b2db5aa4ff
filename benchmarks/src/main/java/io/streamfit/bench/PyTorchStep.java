package io.streamfit.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/**
 * The peer: the same network, loss, optimizer and data in DJL on the PyTorch engine (CPU). The
 * objects are the batch dimension exactly as in streamfit: x is [N, m], N = k * timesteps.
 *
 * <p>PyTorch reads its thread counts when the engine starts, so they are set here as the system
 * properties {@code ai.djl.pytorch.num_threads} and {@code ai.djl.pytorch.num_interop_threads}
 * unless the JVM was started with them. Run with {@code -Dai.djl.offline=true}: the native
 * library then comes from the {@code pytorch-native-cpu} jar on the class path, never a download.
 */
final class PyTorchStep implements StepEngine {

    static final String ENGINE = "PyTorch";

    private final StepShape shape;
    private final StepData data;
    private final Model model;
    private final Trainer trainer;
    private final NDManager manager;
    private float[] last = new float[0];

    PyTorchStep(StepData data, int threads, long seed) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        System.setProperty("ai.djl.pytorch.num_threads",
                System.getProperty("ai.djl.pytorch.num_threads", String.valueOf(threads)));
        System.setProperty("ai.djl.pytorch.num_interop_threads",
                System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        this.shape = data.shape();
        this.data = data;
        Engine engine = Engine.getEngine(ENGINE);
        engine.setRandomSeed((int) seed);
        this.model = Model.newInstance("shared-weight-regressor", Device.cpu(), ENGINE);
        model.setBlock(new SequentialBlock()
                .add(Linear.builder().setUnits(shape.hidden()).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(1).build()));
        DefaultTrainingConfig config = new DefaultTrainingConfig(new CombinedLoss(shape, LOSS_WEIGHT))
                .optDevices(new Device[] {Device.cpu()})
                .optOptimizer(Optimizer.adam()
                        .optLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                        .optBeta1(0.9f).optBeta2(0.999f).optEpsilon(1e-8f)
                        .build());
        this.trainer = model.newTrainer(config);
        trainer.initialize(new Shape(shape.rows(), shape.features()));
        this.manager = model.getNDManager();
    }

    @Override
    public double step() {
        // Per-step arrays live in a sub-manager so that every intermediate is freed at once.
        try (NDManager step = manager.newSubManager()) {
            NDArray x = step.create(data.x(), new Shape(shape.rows(), shape.features()));
            NDList labels = new NDList(step.create(data.objectTarget()), step.create(data.sumTarget()));
            NDArray prediction;
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                prediction = trainer.forward(new NDList(x)).singletonOrThrow();
                NDArray value = trainer.getLoss().evaluate(labels, new NDList(prediction));
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            // streamfit hands both the object predictions and the per-timestep sums on; so does the peer.
            last = prediction.toFloatArray();
            float[] sums = prediction.reshape(shape.timesteps(), shape.objects()).sum(new int[] {1}).toFloatArray();
            if (sums.length != shape.timesteps()) {
                throw new IllegalStateException("expected " + shape.timesteps() + " sums, got " + sums.length);
            }
            return loss;
        }
    }

    @Override
    public float[] lastPredictions() {
        return last;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }

    /**
     * streamfit's loss for timesteps of equal k: {@code w * mean_i (p_i - y_i)^2 + (1 - w) *
     * mean_t (sum_{i in t} p_i - S_t)^2}; labels are (object targets [N], sum targets [T]).
     */
    static final class CombinedLoss extends Loss {
        private final StepShape shape;
        private final float weight;

        CombinedLoss(StepShape shape, float weight) {
            super("combined");
            this.shape = shape;
            this.weight = weight;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray p = predictions.singletonOrThrow().reshape(shape.timesteps(), shape.objects());
            NDArray y = labels.get(0).reshape(shape.timesteps(), shape.objects());
            NDArray objectTerm = p.sub(y).square().mean();
            NDArray sumTerm = p.sum(new int[] {1}).sub(labels.get(1)).square().mean();
            return objectTerm.mul(weight).add(sumTerm.mul(1f - weight));
        }
    }
}
