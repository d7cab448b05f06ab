package org.ntk4j.cuda;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.cuda.DeviceLayer.Acts;
import org.ntk4j.cuda.DeviceLayer.Grad;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The CUDA backend's operations on a model already on the device, shared by the backend's calls and prepared
 * models: the forward pass, the MSE loss and gradient (and a gradient step), the Jacobian, the distance from the
 * starting parameters, and one tile of the NTK by either algorithm. Each walks the model's {@link DeviceLayer}s (what
 * a layer launches is its class's) and sizes its tiles of examples with the {@link CudaMemoryPlanner};
 * {@link CudaTiler} cuts the NTK into its tiles.
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

    /** This architecture's layers and their parameters on the device (values undefined until loaded). */
    DeviceNet newNet(Architecture a, boolean transposes) {
        return new DeviceNet(dev, this, a, transposes);
    }

    void poison(DeviceBuffer b) {
        if (poison) {
            k.fill(b.elementBytes() == 8 ? KernelLaunches.Elem.F64 : KernelLaunches.Elem.F32, b.address(), b.elements(), Double.NaN);
        }
    }

    /** The forward pass of a tile whose inputs are already in {@code in}; buffers from slots {@code side}…. */
    private Acts forwardFrom(DeviceNet net, Workspace ws, String side, DeviceBuffer in, int rows) {
        Acts t = new Acts(rows, net.layers.size());
        t.out[0] = in;
        for (DeviceLayer layer : net.layers) {
            layer.forward(this, net, ws, side, t);
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

    /**
     * The δ rows of every layer's output back to the first layer with parameters, from those of the network's output
     * in {@code t.delta}'s last entry.
     */
    private void backward(DeviceNet net, Workspace ws, String side, Acts t, int rpe) {
        for (int i = net.layers.size() - 1; i > net.firstWithParameters; i--) {
            net.layers.get(i).backward(this, net, ws, side, t, rpe);
        }
    }

    /** δ rows for all (n, a) of the tile, seeded with e_a. */
    void ntkDeltas(DeviceNet net, Workspace ws, String side, Acts t) {
        int o = net.a.outputDim();
        int last = net.layers.size();
        t.delta[last] = ws.output(side + "d" + net.a.layers(), (long) t.rows * o * o);
        k.deltaSeedIdentity(elem, t.rows, o, t.delta[last].address());
        backward(net, ws, side, t, o);
    }

    // ---------------------------------------------------------------------------------------------------
    // The computations, on a model already on the device (shared by the backend's calls and prepared models)
    // ---------------------------------------------------------------------------------------------------

    Matrix forwardOn(DeviceNet net, Workspace ws, long avail, long modelBytes, Matrix x) {
        int n = x.rows();
        int o = net.a.outputDim();
        long per = CudaMemoryPlanner.actsPerExample(net.layers, 0) * elem.bytes;
        int tile = CudaMemoryPlanner.fitTile(n, CudaMemoryPlanner.gridCap(1), avail, t -> t * per);
        if (tile == 0) {
            throw memory.tooBig("the forward pass", modelBytes + per, modelBytes);
        }
        double[] out = new double[n * o];
        for (int r0 = 0; r0 < n; r0 += tile) {
            int rows = Math.min(tile, n - r0);
            Acts t = forwardTile(net, ws, "a", x, r0, rows);
            dev.download(t.out[net.layers.size()], 0, out, r0 * o, rows * o);
        }
        return new Matrix(n, o, out);
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
        int last = net.layers.size();
        long per = (CudaMemoryPlanner.actsPerExample(net.layers, 1) + o + d) * elem.bytes;
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
            t.delta[last] = ws.output("ad" + a.layers(), (long) rows * o);
            int nb = k.mseResidual(elem, (long) rows * o, t.out[last].address(), yDev.address(), scale,
                    t.delta[last].address(), partials.address(), REDUCE_BLOCKS);
            k.sumPartials(partials.address(), nb, 0.5 * scale, losses.address(ti));
            boolean acc = ti > 0;
            // each layer's gradient as soon as the δ rows of its output are known, then the δs of its input
            for (int i = last - 1; i >= net.firstWithParameters; i--) {
                DeviceLayer layer = net.layers.get(i);
                layer.gradient(this, t, acc, g);
                if (i > net.firstWithParameters) {
                    layer.backward(this, net, ws, "a", t, 1);
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

    /** The gradient buffers for a model of this net's architecture, as workspace slots. */
    Grad gradBuffers(Workspace ws, DeviceNet net) {
        Grad g = new Grad(net.layers.size());
        for (DeviceLayer layer : net.layers) {
            DeviceParameters p = net.parameters(layer.index());
            if (p != null) {
                g.w[layer.index()] = ws.elems("gW" + p.l, p.w.elements());
                if (p.b != null) {
                    g.b[layer.index()] = ws.elems("gb" + p.l, p.b.elements());
                }
            }
        }
        return g;
    }

    /** Copies the gradient to a flat host vector in {@link Parameters}' order. */
    double[] downloadGradient(DeviceNet net, Grad g) {
        Architecture a = net.a;
        long p = a.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the gradient has " + p + " entries, more than one array holds");
        }
        double[] grad = new double[(int) p];
        for (DeviceLayer layer : net.layers) {
            DeviceParameters q = net.parameters(layer.index());
            if (q != null) {
                dev.download(g.w[layer.index()], 0, grad, (int) a.weightOffset(q.l), (int) a.weightCount(q.l));
                if (q.b != null) {
                    dev.download(g.b[layer.index()], 0, grad, (int) a.biasOffset(q.l), a.biasCount(q.l));
                }
            }
        }
        return grad;
    }

    /** θ ← θ − lr·g on the device, then what the layers derive from θ. */
    void applyStep(DeviceNet net, Grad g, double lr) {
        for (DeviceLayer layer : net.layers) {
            DeviceParameters p = net.parameters(layer.index());
            if (p != null) {
                k.sgdUpdate(elem, p.w.address(), g.w[layer.index()].address(), p.w.elements(), lr);
                if (p.b != null) {
                    k.sgdUpdate(elem, p.b.address(), g.b[layer.index()].address(), p.b.elements(), lr);
                }
            }
        }
        net.refresh();
    }

    /** ‖θ_l − θ_l(start)‖₂ per layer with parameters, reduced on the device in fp64; one download. */
    double[] layerDistancesOn(DeviceNet net, DeviceNet start, Workspace ws) {
        int layers = net.a.layers();
        DeviceBuffer partials = ws.f64("dpartials", 2L * REDUCE_BLOCKS);
        DeviceBuffer sums = ws.output64("dsums", 2L * layers);
        for (DeviceLayer layer : net.layers) {
            DeviceParameters p = net.parameters(layer.index());
            if (p == null) {
                continue;
            }
            DeviceParameters p0 = start.parameters(layer.index());
            int l = p.l;
            int nb = k.sqDistPartials(elem, p.w.address(), p0.w.address(), p.w.elements(), partials.address(),
                    REDUCE_BLOCKS);
            k.sumPartials(partials.address(), nb, 1.0, sums.address(2L * l));
            if (p.b != null) {
                nb = k.sqDistPartials(elem, p.b.address(), p0.b.address(), p.b.elements(),
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
        long per = CudaMemoryPlanner.actsPerExample(net.layers, o) * elem.bytes;
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
        for (DeviceLayer layer : net.layers) {
            DeviceParameters p = net.parameters(layer.index());
            if (p == null) {
                continue;
            }
            long off = a.weightOffset(p.l);
            long size = a.weightCount(p.l) + a.biasCount(p.l);
            long lo = Math.max(c0, off);
            long hi = Math.min(c0 + w, off + size);
            if (hi > lo) {
                layer.jacobianBlock(this, t, o, lo - off, hi - off, j, ldj, lo - c0);
            }
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
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = net.a.outputDim();
        int vpp = mode.valuesPerPair(o);
        long outElems = (long) t1 * t2 * vpp;
        long wsCap = Math.max(0, availBytes / 8 - outElems - (long) t1 * t2) / 2;
        // The fp64 partials each layer needs: split-K by the heuristic (capped by what fits), and one slice sum per
        // output value whenever an fp32 reduction is longer than one slice.
        DeviceLayer.StructuredPlan[] plans = new DeviceLayer.StructuredPlan[net.layers.size()];
        long wsNeed = 0;
        for (DeviceLayer layer : net.layers) {
            plans[layer.index()] = layer.planStructured(this, t1, t2, o, mode, wsCap, same);
            wsNeed = Math.max(wsNeed, plans[layer.index()].workspace());
        }
        DeviceBuffer theta = ws.output64("theta", outElems);
        DeviceBuffer gh = ws.f64("gh", (long) t1 * t2);
        DeviceBuffer part = ws.f64("ws", wsNeed);
        boolean first = true;
        for (DeviceLayer layer : net.layers) {
            if (net.parameters(layer.index()) != null) {
                layer.structured(this, plans[layer.index()], a1, a2, same, mode, o, theta, gh, part, first);
                first = false;
            }
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
