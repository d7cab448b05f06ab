package org.ntk4j.cpu;

import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;

/** Forward outputs, whole Jacobians and the MSE gradient, over chunks of examples, for both precisions. */
final class Derivatives<A> {
    private final Network<A> net;
    private final Arith<A> ar;
    private final CpuProfile.Timer timer;
    private final long budget;

    Derivatives(Network<A> net, CpuProfile.Timer timer, long budget) {
        this.net = net;
        this.ar = net.ar;
        this.timer = timer;
        this.budget = budget;
    }

    /** f(x), (N, O), rounded to the working precision. */
    Matrix forward(Matrix x) {
        int rows = x.rows();
        int o = net.outputs;
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample(), rows, budget, ar.bytes(), net.fixedScratch());
        timer.exampleChunk = plan.exampleChunk();
        Network<A>.Acts acts = net.newActs(plan.exampleChunk());
        double[] out = new double[rows * o];
        for (int from = 0; from < rows; from += plan.exampleChunk()) {
            int to = Math.min(rows, from + plan.exampleChunk());
            long t = System.nanoTime();
            net.forward(x, from, to, acts);
            ar.toDouble(acts.out(), 0, out, from * o, (to - from) * o);
            timer.forward += System.nanoTime() - t;
            timer.blocks++;
        }
        return new Matrix(rows, o, out);
    }

    /** J, (N·O) × P in the flat parameter order; N·O·P fits one array (checked by the caller's validation). */
    Matrix jacobian(Matrix x) {
        int rows = x.rows();
        int o = net.outputs;
        long p = net.arch.parameterCount();
        int scratchWidth = net.maxJacobianScratchWidth();
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample() + 2L * o * net.maxDeltaWidth + scratchWidth,
                rows, budget, ar.bytes(), net.fixedScratch());
        timer.exampleChunk = plan.exampleChunk();
        int b = plan.exampleChunk();
        Network<A>.Acts acts = net.newActs(b);
        Network<A>.Backprop bp = net.newBackprop(acts);
        A scratch = ar.matrix(b, scratchWidth);
        double[] out = new double[rows * o * (int) p];
        int pi = (int) p;
        for (int from = 0; from < rows; from += b) {
            int to = Math.min(rows, from + b);
            int base = from * o;
            net.walk(x, from, to, acts, bp, timer, layer -> layer.jacobianRows(bp, out, base, pi, scratch));
            timer.blocks++;
        }
        return new Matrix(rows * o, pi, out);
    }

    /** ½·mean((f − y)²) over N·O entries and its gradient, by one backpropagation of the residual. */
    LossGradient mseLossGradient(Matrix x, Matrix y) {
        long p = net.arch.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("P = " + p + " parameters do not fit one flat gradient array");
        }
        double[] grad = new double[(int) p];
        double loss = mseLossGradient(x, y, grad);
        return new LossGradient(loss, grad);
    }

    /**
     * As {@link #mseLossGradient(Matrix, Matrix)} into {@code grad} (P values, overwritten; each rounded to the
     * working precision); returns the loss.
     */
    double mseLossGradient(Matrix x, Matrix y, double[] grad) {
        int rows = x.rows();
        int o = net.outputs;
        java.util.Arrays.fill(grad, 0.0);
        double count = (double) rows * o;
        int maxIn = Math.max(1, net.maxGradientScratchWidth());
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample() + 2L * net.maxDeltaWidth, rows, budget / 2,
                ar.bytes(), net.fixedScratch());
        int b = plan.exampleChunk();
        timer.exampleChunk = b;
        // the weight gradient of a layer is formed in row blocks of at most budget/2 bytes
        int blockRows = (int) Math.max(1, Math.min(net.maxDeltaWidth, budget / 2 / ((long) maxIn * ar.bytes())));
        A tmp = ar.matrix(blockRows, maxIn);
        Network<A>.Acts acts = net.newActs(b);
        Network<A>.Backprop bp = net.newGradientBackprop(acts);
        double squares = 0;
        for (int from = 0; from < rows; from += b) {
            int to = Math.min(rows, from + b);
            int chunkRows = to - from;
            long t = System.nanoTime();
            net.forward(x, from, to, acts);
            timer.forward += System.nanoTime() - t;
            t = System.nanoTime();
            A residual = bp.delta();
            A f = acts.out();
            for (int r = 0; r < chunkRows; r++) {
                for (int a = 0; a < o; a++) {
                    double res = ar.get(f, r * o + a) - y.data()[(from + r) * o + a];
                    squares += res * res;
                    ar.set(residual, r * o + a, res / count);
                }
            }
            bp.startWritten();
            do {
                CpuLayer<A> layer = net.layers.get(bp.layer());
                if (layer.hasParameters()) {
                    layer.gradient(bp, grad, tmp, blockRows);
                }
            } while (bp.advance());
            timer.backward += System.nanoTime() - t;
            timer.blocks++;
        }
        for (int i = 0; i < grad.length; i++) {
            grad[i] = ar.round(grad[i]);
        }
        return ar.round(0.5 * squares / count);
    }
}
