package org.ntk4j.cuda;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The CUDA backend's operations on a model already on the device, shared by the backend's calls and prepared
 * models: the forward pass, the MSE loss and gradient (and a gradient step), the Jacobian, the distance from the
 * starting parameters, and one tile of the NTK by either algorithm. Each sizes its tiles of examples with the
 * {@link CudaMemoryPlanner}; {@link CudaTiler} cuts the NTK into its tiles.
 *
 * <p>In FP32 (and TF32) no fp32 sum runs over more than {@code SLICE_K} terms: the Gram and structured kernels add
 * their fp32 slices, the split-K partials, the P chunks and the layers in fp64 (their outputs are fp64), and results
 * are rounded to fp32 once, at the end ({@link #downloadResult}).
 */
final class CudaOperations implements AutoCloseable {
    /** Blocks of the MSE residual and squared-distance reductions (their partial sums then add up in fixed order). */
    private static final int REDUCE_BLOCKS = 64;

    private final CudaDevice dev;
    final KernelLaunches k;
    final KernelLaunches.Elem elem;
    private final boolean tf32;
    private final CudaMemoryPlanner memory;
    private final boolean useCublas;
    private final String cublasPath;
    private Cublas cublas;
    private boolean poison;

    CudaOperations(CudaDevice dev, KernelLaunches.Elem elem, boolean tf32, CudaMemoryPlanner memory,
                   boolean useCublas, String cublasPath, boolean poison) {
        this.dev = dev;
        this.k = new KernelLaunches(dev);
        this.elem = elem;
        this.tf32 = tf32;
        this.memory = memory;
        this.useCublas = useCublas;
        this.cublasPath = cublasPath;
        this.poison = poison;
    }

    /** Fills every output buffer with NaN before a kernel writes it (a testing aid; costs one pass per buffer). */
    void setPoisonOutputs(boolean on) {
        this.poison = on;
    }

    /** A new, empty workspace in this backend's element type. */
    Workspace newWorkspace() {
        return new Workspace(dev, elem, this::poison);
    }

    /** W, b and optionally Wᵀ of this architecture, allocated on the device (values undefined until loaded). */
    DeviceNet newNet(Architecture a, boolean transposes) {
        return new DeviceNet(dev, k, elem, a, transposes);
    }

    void poison(DeviceBuffer b) {
        if (poison) {
            k.fill(b.elementBytes() == 8 ? KernelLaunches.Elem.F64 : KernelLaunches.Elem.F32, b.address(), b.elements(), Double.NaN);
        }
    }

    /** h^l (l < L), z^l (l ≥ 1) and, once computed, δ^l (l ≥ 1) for a tile of examples; workspace buffers. */
    static final class Acts {
        final int rows;
        final DeviceBuffer[] h;
        final DeviceBuffer[] z;
        final DeviceBuffer[] d;

        Acts(int rows, int layers) {
            this.rows = rows;
            h = new DeviceBuffer[layers];
            z = new DeviceBuffer[layers + 1];
            d = new DeviceBuffer[layers + 1];
        }
    }

    /** The kernels' code of φ_l, the activation before dense layer l (l = 1 … L-1; entry 0 unused). */
    private static int[] activationCodes(Architecture a) {
        org.ntk4j.model.Activation[] phi = a.chainActivations("the cuda backend");
        int[] codes = new int[phi.length];
        for (int l = 1; l < phi.length; l++) {
            codes[l] = KernelLaunches.activationCode(phi[l]);
        }
        return codes;
    }

    /** The forward pass of a tile whose inputs are already in {@code h0}; buffers from slots {@code side}…. */
    private Acts forwardFrom(DeviceNet net, Workspace ws, String side, DeviceBuffer h0, int rows) {
        Architecture a = net.a;
        int layers = a.layers();
        int[] act = activationCodes(a);
        Acts t = new Acts(rows, layers);
        t.h[0] = h0;
        for (int l = 0; l < layers; l++) {
            int in = a.width(l);
            int out = a.width(l + 1);
            t.z[l + 1] = ws.output(side + "z" + (l + 1), (long) rows * out);
            boolean hidden = l + 1 < layers;
            if (hidden) {
                t.h[l + 1] = ws.output(side + "h" + (l + 1), (long) rows * out);
            }
            k.forward(elem, rows, out, in, t.h[l].address(), in, net.w[l].address(), net.bias(l), a.weightScale(l),
                    a.biasScale(l), hidden ? act[l + 1] : KernelLaunches.ACT_IDENTITY, t.z[l + 1].address(),
                    hidden ? t.h[l + 1].address() : 0L);
        }
        return t;
    }

    /** Uploads rows [row0, row0 + rows) of x and runs the forward pass. */
    Acts forwardTile(DeviceNet net, Workspace ws, String side, Matrix x, int row0, int rows) {
        int d = net.a.inputDim();
        DeviceBuffer h0 = ws.elems(side + "h0", (long) rows * d);
        dev.upload(h0, 0, x.data(), row0 * d, rows * d);
        return forwardFrom(net, ws, side, h0, rows);
    }

    /** δ^l for all (n, a) rows of the tile, seeded with e_a. */
    void ntkDeltas(DeviceNet net, Workspace ws, String side, Acts t) {
        Architecture a = net.a;
        int layers = a.layers();
        int o = a.outputDim();
        int r = t.rows * o;
        int[] act = activationCodes(a);
        t.d[layers] = ws.output(side + "d" + layers, (long) r * o);
        k.deltaSeedIdentity(elem, t.rows, o, t.d[layers].address());
        for (int l = layers - 1; l >= 1; l--) {
            t.d[l] = ws.output(side + "d" + l, (long) r * a.width(l));
            k.backwardDelta(elem, r, a.width(l), a.width(l + 1), t.d[l + 1].address(), net.wt[l].address(),
                    t.z[l].address(), o, a.weightScale(l), act[l], t.d[l].address());
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // The computations, on a model already on the device (shared by the backend's calls and prepared models)
    // ---------------------------------------------------------------------------------------------------

    Matrix forwardOn(DeviceNet net, Workspace ws, long avail, long modelBytes, Matrix x) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        long per = CudaMemoryPlanner.actsPerExample(a, 0) * elem.bytes;
        int tile = CudaMemoryPlanner.fitTile(n, CudaMemoryPlanner.gridCap(1), avail, t -> t * per);
        if (tile == 0) {
            throw memory.tooBig("the forward pass", modelBytes + per, modelBytes);
        }
        double[] out = new double[n * o];
        for (int r0 = 0; r0 < n; r0 += tile) {
            int rows = Math.min(tile, n - r0);
            Acts t = forwardTile(net, ws, "a", x, r0, rows);
            dev.download(t.z[a.layers()], 0, out, r0 * o, rows * o);
        }
        return new Matrix(n, o, out);
    }

    /** Per-layer gradient buffers, in the backend's element type. */
    static final class Grad {
        final DeviceBuffer[] w;
        final DeviceBuffer[] b;

        Grad(int layers) {
            w = new DeviceBuffer[layers];
            b = new DeviceBuffer[layers];
        }
    }

    /**
     * The MSE loss at the model's parameters, with the gradient summed over tiles of examples into {@code g}, all
     * on the device; with {@code stepRate > 0} also the step θ ← θ − stepRate·g. Inputs go up without a wait when
     * they fit the staging buffer; the loss comes back with the only wait of the call (after the step, so a fault in
     * it shows in this call).
     */
    double gradientOn(DeviceNet net, Workspace ws, long avail, long modelBytes, Grad g, Matrix x, Matrix y,
                      double stepRate) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        int d = a.inputDim();
        int layers = a.layers();
        int[] act = activationCodes(a);
        long per = (CudaMemoryPlanner.actsPerExample(a, 1) + o + d) * elem.bytes;
        int tile = CudaMemoryPlanner.fitTile(n, CudaMemoryPlanner.gridCap(1), avail - 2048, t -> t * per);
        if (tile == 0) {
            throw memory.tooBig("the MSE gradient", modelBytes + per + 2048, modelBytes);
        }
        int tiles = (n + tile - 1) / tile;
        double scale = 1.0 / ((double) n * o);
        DeviceBuffer partials = ws.f64("partials", REDUCE_BLOCKS);
        DeviceBuffer losses = ws.output64("losses", tiles);
        boolean whole = tiles == 1;
        DeviceBuffer xAll = null;
        DeviceBuffer yAll = null;
        if (whole) {
            xAll = ws.elems("ah0", (long) n * d);
            yAll = ws.elems("y", (long) n * o);
            dev.uploadQueued(new CudaDevice.Upload(xAll, x.data(), 0, n * d), new CudaDevice.Upload(yAll, y.data(), 0,
                    n * o));
        }
        for (int ti = 0; ti < tiles; ti++) {
            int r0 = ti * tile;
            int rows = Math.min(tile, n - r0);
            Acts t;
            DeviceBuffer yDev;
            if (whole) {
                t = forwardFrom(net, ws, "a", xAll, rows);
                yDev = yAll;
            } else {
                t = forwardTile(net, ws, "a", x, r0, rows);
                yDev = ws.elems("y", (long) rows * o);
                dev.upload(yDev, 0, y.data(), r0 * o, rows * o);
            }
            t.d[layers] = ws.output("ad" + layers, (long) rows * o);
            int nb = k.mseResidual(elem, (long) rows * o, t.z[layers].address(), yDev.address(), scale,
                    t.d[layers].address(), partials.address(), REDUCE_BLOCKS);
            k.sumPartials(partials.address(), nb, 0.5 * scale, losses.address(ti));
            boolean acc = ti > 0;
            for (int l = layers - 1; l >= 0; l--) {
                int in = a.width(l);
                int out = a.width(l + 1);
                k.weightGrad(elem, rows, out, in, t.d[l + 1].address(), t.h[l].address(), a.weightScale(l), acc,
                        g.w[l].address());
                if (a.hasBias(l)) {
                    k.biasGrad(elem, rows, out, t.d[l + 1].address(), a.biasScale(l), acc, g.b[l].address());
                }
                if (l >= 1) {
                    t.d[l] = ws.output("ad" + l, (long) rows * in);
                    k.backwardDelta(elem, rows, in, out, t.d[l + 1].address(), net.wt[l].address(), t.z[l].address(), 1,
                            a.weightScale(l), act[l], t.d[l].address());
                }
            }
        }
        if (stepRate > 0) {
            applyStep(net, g, stepRate);
        }
        double[] host = new double[tiles];
        dev.download(losses, 0, host, 0, tiles);
        double loss = 0;
        for (double v : host) {
            loss += v;
        }
        return loss;
    }

    /** The gradient buffers for a model of this architecture, as workspace slots. */
    Grad gradBuffers(Workspace ws, Architecture a) {
        Grad g = new Grad(a.layers());
        for (int l = 0; l < a.layers(); l++) {
            g.w[l] = ws.elems("gW" + l, a.weightCount(l));
            if (a.hasBias(l)) {
                g.b[l] = ws.elems("gb" + l, a.width(l + 1));
            }
        }
        return g;
    }

    /** Copies the gradient to a flat host vector in {@link Parameters}' order. */
    double[] downloadGradient(Architecture a, Grad g) {
        long p = a.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the gradient has " + p + " entries, more than one array holds");
        }
        double[] grad = new double[(int) p];
        for (int l = 0; l < a.layers(); l++) {
            dev.download(g.w[l], 0, grad, (int) a.weightOffset(l), (int) a.weightCount(l));
            if (a.hasBias(l)) {
                dev.download(g.b[l], 0, grad, (int) a.biasOffset(l), a.width(l + 1));
            }
        }
        return grad;
    }

    /** θ ← θ − lr·g on the device, then the transposes. */
    void applyStep(DeviceNet net, Grad g, double lr) {
        Architecture a = net.a;
        for (int l = 0; l < a.layers(); l++) {
            k.sgdUpdate(elem, net.w[l].address(), g.w[l].address(), a.weightCount(l), lr);
            if (a.hasBias(l)) {
                k.sgdUpdate(elem, net.b[l].address(), g.b[l].address(), a.width(l + 1), lr);
            }
        }
        net.transposeAll();
    }

    /** ‖θ_l − θ_l(start)‖₂ per layer, reduced on the device in fp64; one download. */
    double[] layerDistancesOn(DeviceNet net, DeviceNet start, Workspace ws) {
        Architecture a = net.a;
        int layers = a.layers();
        DeviceBuffer partials = ws.f64("dpartials", 2L * REDUCE_BLOCKS);
        DeviceBuffer sums = ws.output64("dsums", 2L * layers);
        for (int l = 0; l < layers; l++) {
            int nb = k.sqDistPartials(elem, net.w[l].address(), start.w[l].address(), a.weightCount(l),
                    partials.address(), REDUCE_BLOCKS);
            k.sumPartials(partials.address(), nb, 1.0, sums.address(2L * l));
            if (a.hasBias(l)) {
                nb = k.sqDistPartials(elem, net.b[l].address(), start.b[l].address(), a.width(l + 1),
                        partials.address(REDUCE_BLOCKS), REDUCE_BLOCKS);
                k.sumPartials(partials.address(REDUCE_BLOCKS), nb, 1.0, sums.address(2L * l + 1));
            } else {
                k.fill(KernelLaunches.Elem.F64, sums.address(2L * l + 1), 1, 0.0);
            }
        }
        double[] host = new double[2 * layers];
        dev.download(sums, 0, host, 0, host.length);
        double[] out = new double[layers];
        for (int l = 0; l < layers; l++) {
            out[l] = Math.sqrt(host[2 * l] + host[2 * l + 1]);
        }
        return out;
    }

    Matrix jacobianOn(DeviceNet net, Workspace ws, long avail, long modelBytes, Matrix x) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        long p = a.parameterCount();
        long total = (long) n * o * p;
        if (total > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the Jacobian has " + total + " entries, more than one array holds; use the"
                    + " NTK methods, which never materialise it");
        }
        long per = CudaMemoryPlanner.actsPerExample(a, o) * elem.bytes;
        // Half the budget for activations and deltas, the rest for J column chunks.
        int tile = CudaMemoryPlanner.fitTile(n, CudaMemoryPlanner.gridCap(o), avail / 2, t -> t * per);
        if (tile == 0) {
            throw memory.tooBig("the Jacobian", modelBytes + 2 * per, modelBytes);
        }
        double[] out = new double[(int) total];
        for (int r0 = 0; r0 < n; r0 += tile) {
            int rows = Math.min(tile, n - r0);
            int r = rows * o;
            long left = avail - (long) rows * per;
            if (left < (long) r * elem.bytes * KernelLaunches.J_LD_ALIGN) {
                throw memory.tooBig("the Jacobian", modelBytes + (long) rows * per + (long) r * elem.bytes * KernelLaunches.J_LD_ALIGN,
                        modelBytes);
            }
            long pc = Math.min(p, left / ((long) r * elem.bytes));
            pc = Math.min(pc, (Integer.MAX_VALUE - 8) / r);
            pc = Math.max(1, pc / KernelLaunches.J_LD_ALIGN * KernelLaunches.J_LD_ALIGN);
            Acts t = forwardTile(net, ws, "a", x, r0, rows);
            ntkDeltas(net, ws, "a", t);
            double[] chunk = new double[(int) (r * pc)];
            DeviceBuffer j = ws.elems("J1", (long) r * pc);
            for (long c0 = 0; c0 < p; c0 += pc) {
                long w = Math.min(pc, p - c0);
                poison(j);
                writeJacobian(net, t, j, w, c0, w);
                dev.download(j, 0, chunk, 0, (int) (r * w));
                for (int row = 0; row < r; row++) {
                    System.arraycopy(chunk, (int) (row * w), out, (int) ((long) (r0 * o + row) * p + c0), (int) w);
                }
            }
        }
        return new Matrix(n * o, (int) p, out);
    }

    /** Writes J columns [c0, c0 + w) of the tile's rows into {@code j} (leading dimension {@code ldj}). */
    private void writeJacobian(DeviceNet net, Acts t, DeviceBuffer j, long ldj, long c0, long w) {
        Architecture a = net.a;
        int o = a.outputDim();
        for (int l = 0; l < a.layers(); l++) {
            long off = a.weightOffset(l);
            long size = a.weightCount(l) + a.biasCount(l);
            long lo = Math.max(c0, off);
            long hi = Math.min(c0 + w, off + size);
            if (hi <= lo) {
                continue;
            }
            k.jacobianLayer(elem, t.rows * o, o, a.width(l + 1), a.width(l), t.d[l + 1].address(), t.h[l].address(),
                    a.weightScale(l), a.biasScale(l), a.hasBias(l), lo - off, hi - off, j.address(), ldj, lo - c0);
        }
    }
    /** Downloads an fp64 result; in FP32/TF32 rounds each value to fp32 once (the precision's result values). */
    private double[] downloadResult(DeviceBuffer b, int count) {
        double[] host = new double[count];
        dev.download(b, 0, host, 0, count);
        if (elem == KernelLaunches.Elem.F32) {
            for (int i = 0; i < count; i++) {
                host[i] = (float) host[i];
            }
        }
        return host;
    }

    double[] structuredTile(DeviceNet net, Workspace ws, Acts a1, Acts a2, boolean same, NtkMode mode, long availBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int vpp = mode.valuesPerPair(o);
        long outElems = (long) t1 * t2 * vpp;
        boolean fp32 = elem == KernelLaunches.Elem.F32;
        long wsCap = Math.max(0, availBytes / 8 - outElems - (long) t1 * t2) / 2;
        // The fp64 partials each layer needs: split-K by the heuristic (capped by what fits), and one slice sum per
        // output value whenever an fp32 reduction is longer than one slice.
        long wsNeed = 0;
        int[] sg = new int[a.layers()];
        int[] sp = new int[a.layers()];
        for (int l = 0; l < a.layers(); l++) {
            sg[l] = k.chooseSplits(t1, t2, 1, a.width(l), elem.bm, elem.bn, wsCap, same);
            sp[l] = k.structSplits(elem, mode, t1, t2, o, a.width(l + 1), wsCap);
            wsNeed = Math.max(wsNeed, Math.max(KernelLaunches.workspaceElements(fp32, a.width(l), sg[l], 1, t1, t2),
                    KernelLaunches.structWorkspaceElements(elem, mode, t1, t2, o, a.width(l + 1), sp[l])));
        }
        DeviceBuffer theta = ws.output64("theta", outElems);
        DeviceBuffer gh = ws.f64("gh", (long) t1 * t2);
        DeviceBuffer part = ws.f64("ws", wsNeed);
        for (int l = 0; l < a.layers(); l++) {
            int in = a.width(l);
            poison(gh);
            k.gram(elem, false, t1, t2, in, a1.h[l].address(), in, 0, a2.h[l].address(), in, 0, gh.address(), t2, 0,
                    1.0, 0.0, 1, sg[l], part.address(), same);
            double c = a.weightScale(l);
            double s = a.biasScale(l);
            k.structLayer(elem, mode, t1, t2, o, a.width(l + 1), a1.d[l + 1].address(), a2.d[l + 1].address(),
                    gh.address(), t2, c * c, s * s, l == 0 ? 0.0 : 1.0, theta.address(), sp[l], part.address());
        }
        return downloadResult(theta, (int) outElems);
    }

    double[] jcTile(DeviceNet net, Workspace ws, Acts a1, Acts a2, boolean same, NtkMode mode, long availBytes,
                            long modelBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int r1 = t1 * o;
        int r2 = t2 * o;
        int vpp = mode.valuesPerPair(o);
        long p = a.parameterCount();
        long es = elem.bytes;
        boolean fp32 = elem == KernelLaunches.Elem.F32;
        // fp64: G, one slice sum per G value, the full layout and the result; cuBLAS in fp32 adds an fp32 G.
        long fixedBytes = ((long) r1 * r2 * 3 + (long) t1 * t2 * vpp) * 8 + (useCublas && fp32 ? (long) r1 * r2 * 4 : 0);
        long left = availBytes - fixedBytes;
        long rowsJ = same ? r1 : (long) r1 + r2;
        long wsCap = Math.max(0, left / 4) / 8;
        long pc = CudaMemoryPlanner.jcChunk(p, rowsJ, (left - wsCap * 8) / es, useCublas);
        if (pc < 1) {
            throw memory.tooBig("the Jacobian contraction", modelBytes + fixedBytes + (rowsJ * KernelLaunches.J_LD_ALIGN + 1) * es,
                    modelBytes);
        }
        long ldj = KernelLaunches.jacobianLd(pc);
        int bm = tf32 ? KernelLaunches.TF32_BM : elem.bm;
        int bn = tf32 ? KernelLaunches.TF32_BN : elem.bn;
        int splits = useCublas ? 1 : k.chooseSplits(r1, r2, 1, pc, bm, bn, wsCap, same);
        DeviceBuffer j1 = ws.elems("J1", (long) r1 * ldj);
        DeviceBuffer j2 = same ? j1 : ws.elems("J2", (long) r2 * ldj);
        DeviceBuffer g = ws.output64("G", (long) r1 * r2);
        DeviceBuffer part = ws.f64("ws", KernelLaunches.workspaceElements(fp32, pc, splits, 1, r1, r2));
        DeviceBuffer g32 = useCublas && fp32 ? ws.output("G32", (long) r1 * r2) : null;
        for (long c0 = 0; c0 < p; c0 += pc) {
            long w = Math.min(pc, p - c0);
            poison(j1);
            writeJacobian(net, a1, j1, ldj, c0, w);
            if (!same) {
                poison(j2);
                writeJacobian(net, a2, j2, ldj, c0, w);
            }
            double beta = c0 == 0 ? 0.0 : 1.0;
            if (useCublas) {
                // cuBLAS accumulates the chunks in its output type (fp32 in FP32/TF32): a comparison mode.
                cublas().gemmNT(dev, elem, tf32, r1, r2, w, j1.address(), ldj, j2.address(), ldj,
                        g32 != null ? g32.address() : g.address(), r2, 1.0, beta);
            } else {
                k.gram(elem, tf32, r1, r2, w, j1.address(), ldj, 0, j2.address(), ldj, 0, g.address(), r2, 0, 1.0,
                        beta, 1, splits, part.address(), same);
            }
        }
        if (g32 != null) {
            k.convertF32ToF64(g32.address(), g.address(), (long) r1 * r2);
        }
        DeviceBuffer full = ws.output64("full", (long) t1 * t2 * o * o);
        k.jcToFull(t1, t2, o, g.address(), r2, full.address());
        DeviceBuffer res = full;
        if (mode != NtkMode.FULL) {
            res = ws.output64("res", (long) t1 * t2 * vpp);
            if (mode == NtkMode.TRACE) {
                k.fullToTrace(t1, t2, o, full.address(), res.address());
            } else {
                k.fullToDiag(t1, t2, o, full.address(), res.address());
            }
        }
        return downloadResult(res, t1 * t2 * vpp);
    }

    private Cublas cublas() {
        if (cublas == null) {
            cublas = Cublas.open(dev, cublasPath);
        }
        return cublas;
    }

    @Override
    public void close() {
        if (cublas != null) {
            cublas.close();
        }
    }
}
