package io.streamfit.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * The fetches of one kind of session run, declared once when the graph is built: each
 * {@link #add} returns a {@link Fetch} that knows its position in the run's {@link Result}, so
 * readers name what they read instead of counting positions. A run adds them all with
 * {@link #addTo}; the handles are the same objects in every run, so a step allocates nothing for
 * them.
 *
 * <p>A plan can be {@linkplain #extended() extended}: the extension fetches everything this one
 * does, at the same positions, and then its own, so a handle of this plan reads the same operand
 * from a run of either. That is how a training run fetches the predictions of a predicting run
 * and more. Once extended, a plan takes no more fetches, which would shift the extension's.
 */
final class Fetches {

    /** One fetched operand: where it is in the result of a run of its plan (or of an extension). */
    static final class Fetch {

        private final int index;

        private Fetch(int index) {
            this.index = index;
        }

        /** The fetched tensor; {@code result} owns it. */
        Tensor in(Result result) {
            return result.get(index);
        }

        /** The fetched float32 scalar. */
        float scalarFloat(Result result) {
            return ((TFloat32) result.get(index)).getFloat();
        }

        /** The fetched boolean scalar. */
        boolean scalarBoolean(Result result) {
            return ((TBool) result.get(index)).getBoolean();
        }

        /**
         * The first {@code length} floats of the fetched float32 tensor, in a new array; zeros when
         * there was no run ({@code result} null).
         */
        float[] floats(Result result, int length) {
            float[] out = new float[length];
            if (result != null) {
                ((TFloat32) result.get(index)).asRawTensor().data().asFloats().read(out, 0, length);
            }
            return out;
        }
    }

    private final List<Operand<?>> operands;
    private boolean extended;

    Fetches() {
        this.operands = new ArrayList<>();
    }

    private Fetches(List<Operand<?>> prefix) {
        this.operands = new ArrayList<>(prefix);
    }

    /** Adds {@code operand} to the run's fetches; returns where the result holds it. */
    Fetch add(Operand<?> operand) {
        if (extended) {
            throw new IllegalStateException("this plan has been extended: a fetch added now would shift the"
                    + " extension's");
        }
        operands.add(operand);
        return new Fetch(operands.size() - 1);
    }

    /** A new plan that starts with this one's fetches; this plan takes no more. */
    Fetches extended() {
        extended = true;
        return new Fetches(operands);
    }

    /** Adds every fetch of this plan, in order, to {@code runner}. */
    Session.Runner addTo(Session.Runner runner) {
        // An indexed loop: the step path allocates no iterator.
        for (int i = 0; i < operands.size(); i++) {
            runner.fetch(operands.get(i));
        }
        return runner;
    }
}
