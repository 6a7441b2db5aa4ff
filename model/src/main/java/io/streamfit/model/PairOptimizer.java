package io.streamfit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * An optimizer that sees each layer's weights and bias together ({@link DenseParams}), so that an
 * update rule may mix them (see {@link NeuronMeanMomentum}); a framework optimizer only gets one
 * variable at a time and cannot know which bias belongs to which weight matrix.
 *
 * <p>An optimizer does not assign variables itself. It returns, for every variable it owns (the
 * layer parameters, its slots, its step counters), the value that variable should have after the
 * update ({@link Writes#set}), or an op that updates a variable in place and only runs when its
 * (gated) gradient input is live ({@link Writes#updated}). {@link GuardedUpdate} assigns the
 * values, and lets the in-place ops run, only when the loss and every gradient are finite. So
 * every read of the old state happens before any write (no update can see a half-updated model,
 * and step counters cannot race their updates), and a skipped update leaves the whole state
 * untouched.
 *
 * <p>Hooks, called once while the graph is built: {@link #createSlots} per layer and
 * {@link #createGlobals} (in the init scope), then {@link #prepare} with the run's learning rate,
 * {@link #update} per layer and {@link #finish}. Slots are named {@code <variable>-<slot>} like
 * tensorflow-framework names them, so checkpoints list them next to their variable.
 */
public abstract class PairOptimizer {

    /** The new value of a variable after an update. */
    public record Write(Variable<TFloat32> variable, Operand<TFloat32> value) {
    }

    /**
     * Collects the writes of one update: new values to assign ({@link #set}) and ops that update
     * variables in place ({@link #updated}, for TensorFlow's fused kernels such as
     * {@code ApplyAdam}).
     */
    public static final class Writes {
        private final List<Write> writes = new ArrayList<>();
        private final List<Op> inPlace = new ArrayList<>();
        private final List<Variable<TFloat32>> updated = new ArrayList<>();
        private final Ops inPlaceScope;

        /**
         * @param inPlaceScope ops that wait for every gradient and every old value the guard reads
         *                     (see {@link #inPlaceScope()})
         */
        Writes(Ops inPlaceScope) {
            this.inPlaceScope = inPlaceScope;
        }

        /** The update sets {@code variable} to {@code value} (computed from the old state only). */
        public void set(Variable<TFloat32> variable, Operand<TFloat32> value) {
            writes.add(new Write(variable, value));
        }

        /**
         * The scope to build in-place update ops in: they then run after every gradient, and so
         * after every read of the old weights by the forward and backward passes.
         */
        public Ops inPlaceScope() {
            return inPlaceScope;
        }

        /**
         * {@code op}, built in {@link #inPlaceScope()} from the gated gradients the optimizer was
         * given (so that it runs only when the update is finite), writes {@code variable} and its
         * own slots in place. It must not write anything a {@link #set} value reads; every
         * {@link #set} value is assigned after it ran. Decoupled weight decay is applied to
         * {@code variable} after it.
         */
        public void updated(Variable<TFloat32> variable, Op op) {
            updated.add(variable);
            inPlace.add(op);
        }

        List<Write> all() {
            return Collections.unmodifiableList(writes);
        }

        List<Op> inPlace() {
            return Collections.unmodifiableList(inPlace);
        }

        List<Variable<TFloat32>> updatedVariables() {
            return Collections.unmodifiableList(updated);
        }
    }

    /** The name of the optimizer, as the {@code optimizer} configuration key spells it. */
    public abstract String name();

    /** Creates the slot variables of one layer; {@code init} is the graph's init scope. */
    protected void createSlots(Ops init, DenseParams layer) {
    }

    /** Creates variables shared by all layers, such as step counters. */
    protected void createGlobals(Ops init) {
    }

    /**
     * Builds the values every layer's update shares (e.g. a bias-corrected step size) from this
     * run's learning rate (a float32 scalar, after the schedule).
     */
    protected void prepare(Ops tf, Operand<TFloat32> learningRate) {
    }

    /**
     * The new values of one layer's weights and bias and of their slots.
     *
     * @param weightGradient dL/dW [in, out], regularised and clipped; a dead tensor (nothing built
     *                       on it runs) when the update is not finite
     * @param biasGradient   dL/db [out], clipped (never regularised); gated the same way
     */
    protected abstract void update(Ops tf, Operand<TFloat32> learningRate, DenseParams layer,
                                   Operand<TFloat32> weightGradient, Operand<TFloat32> biasGradient, Writes writes);

    /** The new values of the global variables (step counters), if any. */
    protected void finish(Ops tf, Writes writes) {
    }

    /** A float32 slot {@code <variable>-<slot>} of the variable's shape, filled with {@code initial}. */
    protected static Variable<TFloat32> slot(Ops init, Variable<TFloat32> variable, String slot, Shape shape,
                                             float initial) {
        return init.withName(variable.op().name() + "-" + slot).variable(
                init.fill(init.constant(shape), init.constant(initial)));
    }
}
