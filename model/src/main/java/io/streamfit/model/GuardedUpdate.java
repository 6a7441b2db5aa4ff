package io.streamfit.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.SwitchCond;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * The training step of a model, built once into its graph: gradients of the loss by every layer's
 * (W, b), regularisation and clipping ({@link Regularization}), the scheduled learning rate, the
 * optimizer's new values for every variable it owns, and the divergence guard.
 *
 * <p>The guard: the loss and every gradient are checked for NaN and infinity in the same session
 * run, and the optimizer only ever sees the gradients through a {@code Switch} on that check (the
 * graph form of {@code if}): when something is not finite, the gated gradients are dead tensors,
 * so no update op runs and no write happens at all (weights, slots, step counters), which is what
 * rolling back to the last good state means. Every value an optimizer returns through
 * {@link PairOptimizer.Writes#set} is gated the same way before it is assigned, so step counters
 * that do not depend on the gradients stay put too. A {@code Switch} only forwards a tensor; the
 * former {@code select(allFinite, new, old)} per variable computed and allocated a whole copy of
 * every variable on every step.
 *
 * <p>Order within one run: every in-place update op ({@link PairOptimizer.Writes#updated}, e.g.
 * the fused {@code ApplyAdam}) runs after all gradients (so after the forward pass, the loss and
 * every read of the old weights by the backward pass) and after any value it must not overwrite
 * early; every assign runs after every new value and every in-place op. So every read sees the
 * state before the update (TF1's GATE_GRAPH, which tensorflow-framework does not do).
 */
final class GuardedUpdate {

    /** Reduction axes of a weight matrix (even positions of the gradient list) and of a bias. */
    private static final int[] ALL_OF_2D = {0, 1};
    private static final int[] ALL_OF_1D = {0};

    /** Runs the update (a no-op on the state when the guard fails). */
    final Op train;
    /** Whether the loss was finite. */
    final Operand<TBool> lossFinite;
    /** Whether every gradient element was finite. */
    final Operand<TBool> gradientsFinite;
    /** Whether clipping scaled the gradients down (always false when clipping is off). */
    final Operand<TBool> clipped;
    /**
     * Runs after the update in every run that runs {@link #train}, whether the guard let it write or
     * not: what waits for it reads the state the run leaves. Unlike {@link #train} it is never dead,
     * so tensors that wait for it can be fetched.
     */
    final Op settled;

    /**
     * @param tf           ops of the graph (root scope: slot variables get their exact names)
     * @param loss         the float32 scalar loss
     * @param layers       every layer's parameters, input to output
     * @param optimizer    the update rule
     * @param regularization l1/l2/weight decay/clipping
     * @param learningRate this run's learning rate (float32 scalar, after the schedule)
     */
    GuardedUpdate(Ops tf, Operand<TFloat32> loss, List<DenseParams> layers, PairOptimizer optimizer,
                  Regularization regularization, Operand<TFloat32> learningRate) {
        Ops init = tf.withInitScope();
        for (DenseParams layer : layers) {
            optimizer.createSlots(init, layer);
        }
        optimizer.createGlobals(init);

        Ops u = tf.withSubScope("update");
        List<Operand<?>> parameters = new ArrayList<>();
        for (DenseParams layer : layers) {
            parameters.add(layer.weights());
            parameters.add(layer.bias());
        }
        Gradients gradients = u.gradients(loss, parameters);
        List<Operand<TFloat32>> grads = new ArrayList<>();
        // sum_i sum(0 * g_i) is 0 when every element is finite and NaN otherwise (0 * inf = NaN),
        // and unlike a sum of the gradients it cannot overflow: one check in few ops per run.
        Ops p = u.withSubScope("finite_probe");
        Operand<TFloat32> zero = p.constant(0f);
        Operand<TFloat32> probe = zero;
        for (int i = 0; i < parameters.size(); i++) {
            Output<TFloat32> g = gradients.dy(i);
            probe = p.math.add(probe, p.reduceSum(p.math.mul(g, zero), p.constant(i % 2 == 0 ? ALL_OF_2D : ALL_OF_1D)));
            grads.add(g);
        }
        gradientsFinite = u.withName("gradients_finite").math.isFinite(probe);
        lossFinite = u.withName("loss_finite").math.isFinite(loss);
        Operand<TBool> ok = u.withName("all_finite").math.logicalAnd(lossFinite, gradientsFinite);

        for (int l = 0; l < layers.size(); l++) {
            grads.set(2 * l, regularize(u, regularization, layers.get(l).weights(), grads.get(2 * l)));
        }
        if (regularization.clipNorm() > 0) {
            Operand<TFloat32> squares = u.constant(0f);
            for (int i = 0; i < grads.size(); i++) {
                squares = u.math.add(squares, u.reduceSum(u.math.square(grads.get(i)),
                        u.constant(i % 2 == 0 ? ALL_OF_2D : ALL_OF_1D)));
            }
            Operand<TFloat32> norm = u.math.sqrt(squares);
            Operand<TFloat32> limit = u.constant((float) regularization.clipNorm());
            // clip / max(norm, clip) is exactly 1 when the norm is within the limit.
            Operand<TFloat32> scale = u.math.div(limit, u.math.maximum(norm, limit));
            grads.replaceAll(g -> u.math.mul(g, scale));
            clipped = u.withName("clipped").math.greater(norm, limit);
        } else {
            clipped = u.withName("clipped").constant(false);
        }

        // Decoupled weight decay subtracts lr * decay * W_old: read W_old before anything writes W.
        Map<Variable<TFloat32>, Operand<TFloat32>> decay = new HashMap<>();
        if (regularization.weightDecay() > 0) {
            Operand<TFloat32> rate = u.math.mul(learningRate, u.constant((float) regularization.weightDecay()));
            layers.forEach(layer -> decay.put(layer.weights(), u.math.mul(rate, layer.weights())));
        }

        Ops guard = u.withSubScope("guard");
        List<Operation> gated = new ArrayList<>();
        for (int i = 0; i < grads.size(); i++) {
            Output<TFloat32> live = guard.switchCond(grads.get(i), ok).outputTrue();
            grads.set(i, live);
            gated.add(live.op());
        }
        List<Operation> oldReads = new ArrayList<>(gated);
        decay.values().forEach(d -> oldReads.add(d.op()));
        PairOptimizer.Writes writes = new PairOptimizer.Writes(u.withControlDependencyOps(oldReads));
        optimizer.prepare(u, learningRate);
        for (int l = 0; l < layers.size(); l++) {
            optimizer.update(u, learningRate, layers.get(l), grads.get(2 * l), grads.get(2 * l + 1), writes);
        }
        optimizer.finish(u, writes);

        List<Operation> beforeWrites = new ArrayList<>();
        writes.inPlace().forEach(op -> beforeWrites.add(op.op()));
        List<Operand<TFloat32>> values = new ArrayList<>();
        for (PairOptimizer.Write w : writes.all()) {
            Operand<TFloat32> value = w.value();
            Operand<TFloat32> d = decay.get(w.variable());
            if (d != null) {
                value = u.math.sub(value, d);
            }
            values.add(value);
            beforeWrites.add(value.op());
        }
        Ops after = guard.withControlDependencyOps(beforeWrites);
        List<Op> assigns = new ArrayList<>(writes.inPlace());
        for (int i = 0; i < values.size(); i++) {
            assigns.add(after.assign(writes.all().get(i).variable(),
                    after.switchCond(values.get(i), ok).outputTrue()));
        }
        for (Variable<TFloat32> updated : writes.updatedVariables()) {
            Operand<TFloat32> d = decay.get(updated);
            if (d != null) {
                assigns.add(after.assignSub(updated, after.switchCond(d, ok).outputTrue()));
            }
        }
        train = tf.withControlDependencies(assigns).withName("train").noOp();

        // train is dead when the guard fails (its control inputs are), and so is anything that
        // waits for it; a Merge is live when one input is: the applied branch after every write, or
        // the skipped branch as soon as the check is known (nothing writes then).
        SwitchCond<TBool> decided = guard.withName("decided").switchCond(ok, ok);
        Operand<TBool> applied = guard.withControlDependencies(List.of(train)).withName("applied")
                .identity(decided.outputTrue());
        settled = guard.withName("settled").merge(List.of(applied, decided.outputFalse()));
    }

    private static Operand<TFloat32> regularize(Ops u, Regularization r, Variable<TFloat32> w, Operand<TFloat32> g) {
        Operand<TFloat32> out = g;
        if (r.l2() > 0) {
            out = u.math.add(out, u.math.mul(u.constant((float) r.l2()), w));
        }
        if (r.l1() > 0) {
            out = u.math.add(out, u.math.mul(u.constant((float) r.l1()), u.math.sign(w)));
        }
        return out;
    }


}
