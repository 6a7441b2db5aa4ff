package io.streamfit.model;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;

/**
 * The TensorFlow session options of a model: its intra-op and inter-op thread counts
 * ({@link ModelSpec#intraOpThreads()}, {@link ModelSpec#interOpThreads()}).
 *
 * <p>TensorFlow keeps ONE intra-op thread pool per process (the CPU device's Eigen pool), sized
 * by the options of whatever first creates a CPU device: a session, or the eager context that
 * tensorflow-framework's weight initializers open while a graph is built. Left to the
 * initializers, that pool gets one thread per core whatever a model's spec says, and every
 * MatMul and fused optimizer kernel is handed to it and back, which on a shared 2-core machine
 * costs more than it saves (and made "1 thread" measurements use 3). So
 * {@link #sizeThreadPools} opens a session with the spec's options before anything else
 * touches TensorFlow; the first model of the process decides, and later specs cannot resize it
 * (TensorFlow offers no way to).
 */
final class SessionConfig {

    private static boolean sized;

    private SessionConfig() {
    }

    /**
     * The session options of {@code spec}: intra-op threads as given (0 = TensorFlow's choice,
     * about one per core); inter-op 1 runs the ops one after another in the calling thread.
     */
    static ConfigProto of(ModelSpec spec) {
        ConfigProto.Builder config = ConfigProto.newBuilder();
        if (spec.intraOpThreads() > 0) {
            config.setIntraOpParallelismThreads(spec.intraOpThreads());
        }
        if (spec.interOpThreads() == 1) {
            // TensorFlow's -1 runs the ops one after another in the calling thread: sequential like
            // a single inter-op thread, without handing every run to another thread and back,
            // which costs more than the ops of a small network.
            config.setInterOpParallelismThreads(-1);
        } else if (spec.interOpThreads() > 1) {
            config.setInterOpParallelismThreads(spec.interOpThreads());
        }
        return config.build();
    }

    /**
     * Whether a model of {@code spec} should use fused optimizer kernels
     * ({@link Optimizers#create(ModelSpec.OptimizerSpec, boolean)}): only with one intra-op thread.
     * TensorFlow's {@code ApplyAdam} CPU kernel shards even a 1,000-element update over the
     * intra-op pool; on the 2-core development VM (loaded) 4 such ops took about 2 ms per step with
     * 2 threads against about 20 us inline with 1, while the element-wise ops stay inline.
     */
    static boolean fusedKernels(ModelSpec spec) {
        return spec.intraOpThreads() == 1;
    }

    /**
     * Creates the process's CPU device, and so its intra-op pool, with {@code spec}'s options,
     * unless this or anything else did already. Call before building any graph.
     */
    static synchronized void sizeThreadPools(ModelSpec spec) {
        if (sized) {
            return;
        }
        // A session on an empty graph creates the devices at once; it runs nothing.
        try (Graph empty = new Graph(); Session ignored = new Session(empty, of(spec))) {
            sized = true;
        }
    }
}
