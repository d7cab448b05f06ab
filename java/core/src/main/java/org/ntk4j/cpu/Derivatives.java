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
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample(), rows, budget, ar.bytes());
        timer.exampleChunk = plan.exampleChunk();
        Network<A>.Acts acts = net.newActs(plan.exampleChunk());
        double[] out = new double[rows * o];
        for (int from = 0; from < rows; from += plan.exampleChunk()) {
            int to = Math.min(rows, from + plan.exampleChunk());
            long t = System.nanoTime();
            net.forward(x, from, to, acts);
            ar.toDouble(acts.out, 0, out, from * o, (to - from) * o);
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
        int maxAug = 0;
        for (int l = 0; l < net.layers; l++) {
            maxAug = Math.max(maxAug, net.augmentedWidth(l));
        }
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample() + 2L * o * net.maxDeltaWidth + maxAug, rows,
                budget, ar.bytes());
        timer.exampleChunk = plan.exampleChunk();
        int b = plan.exampleChunk();
        Network<A>.Acts acts = net.newActs(b);
        Network<A>.Backprop bp = net.newBackprop(acts);
        A hAug = ar.matrix(b, maxAug);
        double[] out = new double[rows * o * (int) p];
        int pi = (int) p;
        for (int from = 0; from < rows; from += b) {
            int to = Math.min(rows, from + b);
            long t = System.nanoTime();
            net.forward(x, from, to, acts);
            timer.forward += System.nanoTime() - t;
            t = System.nanoTime();
            bp.start();
            timer.backward += System.nanoTime() - t;
            int chunkRows = to - from;
            int base = from * o;
            do {
                t = System.nanoTime();
                int l = bp.layer();
                int in = net.n[l];
                int width = net.n[l + 1];
                int wa = net.augmentedWidth(l);
                int wOff = (int) net.arch.weightOffset(l);
                int bOff = (int) net.arch.biasOffset(l);
                A delta = bp.delta();
                net.augment(l, bp.h(), chunkRows, hAug);
                ar.pool.parallelFor(chunkRows * o, (long) width * wa, (q0, q1) -> {
                    for (int q = q0; q < q1; q++) {
                        int r = q / o;
                        long rowStart = (long) (base + q) * pi;
                        for (int i = 0; i < width; i++) {
                            double d = ar.get(delta, q * width + i);
                            ar.scaleToDouble(out, (int) (rowStart + wOff + (long) i * in), hAug, r * wa, in, d);
                            if (net.bias[l]) {
                                out[(int) (rowStart + bOff + i)] = ar.round(d * ar.get(hAug, r * wa + in));
                            }
                        }
                    }
                });
                timer.fill += System.nanoTime() - t;
                t = System.nanoTime();
                boolean more = bp.advance();
                timer.backward += System.nanoTime() - t;
                if (!more) {
                    break;
                }
            } while (true);
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
        int maxIn = 0;
        for (int l = 0; l < net.layers; l++) {
            maxIn = Math.max(maxIn, net.n[l]);
        }
        ChunkPlan plan = ChunkPlan.forRows(net.activationsPerExample() + 2L * net.maxDeltaWidth, rows, budget / 2,
                ar.bytes());
        int b = plan.exampleChunk();
        timer.exampleChunk = b;
        // the weight gradient of a layer is formed in row blocks of at most budget/2 bytes
        int blockRows = (int) Math.max(1, Math.min(net.maxDeltaWidth, budget / 2 / ((long) maxIn * ar.bytes())));
        A tmp = ar.matrix(blockRows, maxIn);
        Network<A>.Acts acts = net.newActs(b);
        A gCur = ar.matrix(b, net.maxDeltaWidth);
        A gNext = ar.matrix(b, net.maxDeltaWidth);
        double squares = 0;
        for (int from = 0; from < rows; from += b) {
            int to = Math.min(rows, from + b);
            int chunkRows = to - from;
            long t = System.nanoTime();
            net.forward(x, from, to, acts);
            timer.forward += System.nanoTime() - t;
            t = System.nanoTime();
            for (int r = 0; r < chunkRows; r++) {
                for (int a = 0; a < o; a++) {
                    double res = ar.get(acts.out, r * o + a) - y.data()[(from + r) * o + a];
                    squares += res * res;
                    ar.set(gCur, r * o + a, res / count);
                }
            }
            A g = gCur;
            A gn = gNext;
            for (int l = net.layers - 1; l >= 0; l--) {
                int in = net.n[l];
                int width = net.n[l + 1];
                int wOff = (int) net.arch.weightOffset(l);
                for (int i0 = 0; i0 < width; i0 += blockRows) {
                    int ti = Math.min(blockRows, width - i0);
                    ar.gemmAtB(ti, in, chunkRows, net.c[l], g, i0, width, acts.h[l], 0, in, 0.0, tmp, 0, in);
                    int dst = wOff + i0 * in;
                    ar.pool.parallelFor(ti, in, (q0, q1) -> ar.accumulate(grad, dst + q0 * in, tmp, q0 * in,
                            (q1 - q0) * in));
                }
                if (net.bias[l]) {
                    int bOff = (int) net.arch.biasOffset(l);
                    for (int i = 0; i < width; i++) {
                        double sum = 0;
                        for (int r = 0; r < chunkRows; r++) {
                            sum += ar.get(g, r * width + i);
                        }
                        grad[bOff + i] += net.s[l] * sum;
                    }
                }
                if (l > 0) {
                    ar.gemmAB(chunkRows, in, width, net.c[l], g, 0, width, net.weights(l), 0, in, 0.0, gn, 0, in);
                    A dl = acts.d[l];
                    A target = gn;
                    ar.pool.parallelFor(chunkRows, in, (r0, r1) -> ar.mul(target, r0 * in, dl, r0 * in, (r1 - r0) * in));
                    A swap = g;
                    g = gn;
                    gn = swap;
                }
            }
            timer.backward += System.nanoTime() - t;
            timer.blocks++;
        }
        for (int i = 0; i < grad.length; i++) {
            grad[i] = ar.round(grad[i]);
        }
        return ar.round(0.5 * squares / count);
    }
}
