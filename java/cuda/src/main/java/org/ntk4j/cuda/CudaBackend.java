package org.ntk4j.cuda;

import java.util.ArrayList;
import java.util.List;
import org.ntk4j.spi.Backend;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The CUDA backend: the kernels of {@code cuda/} driven through {@link CudaDriver}.
 *
 * <p>Work is split to fit a device memory budget (the configured memory budget, else the option
 * {@code memoryFraction}, default 0.8, of the free memory when the call starts): the NTK over tiles of x1 × x2 examples, the Jacobian and the Jacobian contraction also over
 * column chunks of P, the forward pass and the gradient over tiles of examples. Every device allocation of a call is
 * freed when the call ends, normally or by an exception; an allocation that does not fit throws
 * {@link CudaOutOfMemoryException} and the backend stays usable.
 *
 * <p>Precision: FP32 and FP64 run the SIMT kernels in that precision. TF32 stores fp32 and uses the TF32 tensor-core
 * Gram kernel for the Jacobian contraction; the structured path has no TF32 variant and runs in fp32 (its Gram
 * products are small), which is at least as accurate as requested.
 *
 * <p>Options (see {@link CudaProvider}): {@code gram=cublas} makes the Jacobian contraction use cuBLAS (found through
 * {@link Cublas}) instead of the own Gram kernel, for comparison; {@code poison=true} fills every output buffer with NaN
 * before a kernel writes it (a testing aid).
 */
public final class CudaBackend extends Backend {
    private static final int MODE_FULL = 0;
    private static final int MODE_TRACE = 1;
    private static final int MODE_DIAG = 2;

    private final CudaDevice dev;
    private final Kernels k;
    private final Precision precision;
    private final Kernels.Elem elem;
    private final boolean tf32;
    private final double memoryFraction;
    private long budgetOverride = -1;
    private boolean poison;
    private final boolean useCublas;
    private Cublas cublas;

    /** Opens the device found by the availability probe with the defaults in this precision. */
    public CudaBackend(Precision precision) {
        this(CudaDevice.open(), BackendConfig.of(precision));
    }

    CudaBackend(CudaDevice dev, Precision precision) {
        this(dev, BackendConfig.of(precision));
    }

    /** On this device, with the options of {@link CudaProvider}; the device is closed with the backend. */
    CudaBackend(CudaDevice dev, BackendConfig config) {
        config.requireOnly("cuda", "memoryFraction", "gram", "poison");
        this.dev = dev;
        this.k = new Kernels(dev);
        this.precision = config.precision();
        this.elem = precision == Precision.FP64 ? Kernels.Elem.F64 : Kernels.Elem.F32;
        this.tf32 = precision == Precision.TF32;
        this.memoryFraction = config.doubleOption("memoryFraction", 0.8, Double.MIN_VALUE, 1);
        this.useCublas = config.choiceOption("gram", "native", "native", "cublas").equals("cublas");
        this.poison = config.booleanOption("poison", false);
        this.budgetOverride = config.memoryBudget() > 0 ? config.memoryBudget() : -1;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "cuda " + precision.name().toLowerCase() + " (" + dev.describe() + ", " + dev.driver().description() + ")";
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** The device, for benchmarks and tests. */
    public CudaDevice device() {
        return dev;
    }

    /** Caps the device memory one call may use (bytes; negative: the default fraction of free memory). */
    synchronized void setMemoryBudget(long bytes) {
        this.budgetOverride = bytes;
    }

    /** Fills every output buffer with NaN before a kernel writes it (a testing aid; costs one pass per buffer). */
    synchronized void setPoisonOutputs(boolean on) {
        this.poison = on;
    }

    // ---------------------------------------------------------------------------------------------------
    // Memory
    // ---------------------------------------------------------------------------------------------------

    private long budget() {
        if (budgetOverride >= 0) {
            return budgetOverride;
        }
        return (long) (dev.memoryInfo()[0] * memoryFraction);
    }

    private DeviceBuffer alloc(long elements) {
        return dev.allocate(Math.max(elements, 1), elem.bytes);
    }

    private DeviceBuffer output(long elements) {
        DeviceBuffer b = alloc(elements);
        if (poison) {
            k.fill(elem, b.address(), b.elements(), Double.NaN);
        }
        return b;
    }

    private void poisonBuffer(DeviceBuffer b) {
        if (poison) {
            k.fill(elem, b.address(), b.elements(), Double.NaN);
        }
    }

    private static NtkException tooBig(String what, long need, long budget) {
        return new NtkException(what + " needs at least " + need + " bytes of device memory but the budget is " + budget
                + " bytes (the memory budget, or the memoryFraction option)");
    }

    // ---------------------------------------------------------------------------------------------------
    // Parameters and activations on the device
    // ---------------------------------------------------------------------------------------------------

    private static long netElements(Architecture a) {
        long n = 0;
        for (int l = 0; l < a.layers(); l++) {
            n += 2 * a.weightCount(l) + a.biasCount(l);
        }
        return n;
    }

    /** W^l, (W^l)ᵀ and b^l in the backend's precision. */
    private final class Net implements AutoCloseable {
        final Architecture a;
        final DeviceBuffer[] w;
        final DeviceBuffer[] wt;
        final DeviceBuffer[] b;

        Net(Parameters p) {
            a = p.architecture();
            int layers = a.layers();
            w = new DeviceBuffer[layers];
            wt = new DeviceBuffer[layers];
            b = new DeviceBuffer[layers];
            try {
                for (int l = 0; l < layers; l++) {
                    int in = a.width(l);
                    int out = a.width(l + 1);
                    w[l] = alloc(a.weightCount(l));
                    dev.upload(w[l], 0, p.weights(l), 0, p.weights(l).length);
                    wt[l] = output(a.weightCount(l));
                    k.transpose(elem, out, in, w[l].address(), in, wt[l].address(), out);
                    if (a.bias()) {
                        b[l] = alloc(out);
                        dev.upload(b[l], 0, p.bias(l), 0, out);
                    }
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        long bias(int l) {
            return b[l] == null ? 0L : b[l].address();
        }

        @Override
        public void close() {
            for (DeviceBuffer[] arr : List.of(w, wt, b)) {
                for (DeviceBuffer x : arr) {
                    if (x != null) {
                        x.close();
                    }
                }
            }
        }
    }

    /** Device elements per example for the activations (h, z) and, with {@code rpe} rows per example, the deltas. */
    private static long actsPerExample(Architecture a, int rpe) {
        long s = 0;
        for (int l = 0; l < a.layers(); l++) {
            s += a.width(l) + a.width(l + 1);
            s += (long) rpe * a.width(l + 1);
        }
        return s;
    }

    /** h^l (l < L), z^l (l ≥ 1) and, once computed, δ^l (l ≥ 1) for a tile of examples. */
    private final class Acts implements AutoCloseable {
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

        @Override
        public void close() {
            for (DeviceBuffer[] arr : List.of(h, z, d)) {
                for (DeviceBuffer x : arr) {
                    if (x != null) {
                        x.close();
                    }
                }
            }
        }
    }

    private Acts forwardTile(Net net, Matrix x, int row0, int rows) {
        Architecture a = net.a;
        int layers = a.layers();
        int act = Kernels.activationCode(a.activation());
        Acts t = new Acts(rows, layers);
        try {
            t.h[0] = alloc((long) rows * a.inputDim());
            dev.upload(t.h[0], 0, x.data(), row0 * a.inputDim(), rows * a.inputDim());
            for (int l = 0; l < layers; l++) {
                int in = a.width(l);
                int out = a.width(l + 1);
                t.z[l + 1] = output((long) rows * out);
                boolean hidden = l + 1 < layers;
                if (hidden) {
                    t.h[l + 1] = output((long) rows * out);
                }
                k.forward(elem, rows, out, in, t.h[l].address(), in, net.w[l].address(), net.bias(l),
                        a.weightScale(l), a.biasScale(l), hidden ? act : Kernels.ACT_IDENTITY, t.z[l + 1].address(),
                        hidden ? t.h[l + 1].address() : 0L);
            }
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** δ^l for all (n, a) rows of the tile, seeded with e_a. */
    private void ntkDeltas(Net net, Acts t) {
        Architecture a = net.a;
        int layers = a.layers();
        int o = a.outputDim();
        int r = t.rows * o;
        int act = Kernels.activationCode(a.activation());
        t.d[layers] = output((long) r * o);
        k.deltaSeedIdentity(elem, t.rows, o, t.d[layers].address());
        for (int l = layers - 1; l >= 1; l--) {
            t.d[l] = output((long) r * a.width(l));
            k.backwardDelta(elem, r, a.width(l), a.width(l + 1), t.d[l + 1].address(), net.wt[l].address(),
                    t.z[l].address(), o, a.weightScale(l), act, t.d[l].address());
        }
    }

    /** Largest tile of examples (≤ n) for which {@code cost(tile)} bytes fit, or 0. */
    private static int fitTile(int n, long avail, java.util.function.IntToLongFunction cost) {
        int t = n;
        while (t > 1 && cost.applyAsLong(t) > avail) {
            t = (t + 1) / 2;
        }
        return cost.applyAsLong(t) <= avail ? t : 0;
    }

    // ---------------------------------------------------------------------------------------------------
    // Backend
    // ---------------------------------------------------------------------------------------------------

    @Override
    protected synchronized Matrix computeForward(Parameters params, Matrix x) {
        Architecture a = params.architecture();
        int n = x.rows();
        int o = a.outputDim();
        long budget = budget();
        long avail = budget - netElements(a) * elem.bytes;
        long per = actsPerExample(a, 0) * elem.bytes;
        int tile = fitTile(n, avail, t -> t * per);
        if (tile == 0) {
            throw tooBig("the forward pass", netElements(a) * elem.bytes + per, budget);
        }
        double[] out = new double[n * o];
        try (Net net = new Net(params)) {
            for (int r0 = 0; r0 < n; r0 += tile) {
                int rows = Math.min(tile, n - r0);
                try (Acts t = forwardTile(net, x, r0, rows)) {
                    dev.download(t.z[a.layers()], 0, out, r0 * o, rows * o);
                }
            }
        }
        return new Matrix(n, o, out);
    }

    @Override
    protected synchronized LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
        Architecture a = params.architecture();
        long p = a.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the gradient has " + p + " entries, more than one array holds");
        }
        int n = x.rows();
        int o = a.outputDim();
        int layers = a.layers();
        int act = Kernels.activationCode(a.activation());
        long budget = budget();
        long maxW = 0;
        for (int l = 0; l < layers; l++) {
            maxW = Math.max(maxW, a.weightCount(l) + a.width(l + 1));
        }
        long fixed = (netElements(a) + maxW) * elem.bytes + 1024;
        long per = (actsPerExample(a, 1) + o) * elem.bytes;
        int tile = fitTile(n, budget - fixed, t -> t * per);
        if (tile == 0) {
            throw tooBig("the MSE gradient", fixed + per, budget);
        }
        double scale = 1.0 / ((double) n * o);
        double[] grad = new double[(int) p];
        double loss = 0;
        double[] tmp = new double[(int) maxW];
        double[] lossHost = new double[1];
        try (Net net = new Net(params);
             DeviceBuffer partials = dev.allocate(64, 8);
             DeviceBuffer lossDev = dev.allocate(1, 8)) {
            for (int r0 = 0; r0 < n; r0 += tile) {
                int rows = Math.min(tile, n - r0);
                try (Acts t = forwardTile(net, x, r0, rows); DeviceBuffer yDev = alloc((long) rows * o)) {
                    dev.upload(yDev, 0, y.data(), r0 * o, rows * o);
                    t.d[layers] = output((long) rows * o);
                    int nb = k.mseResidual(elem, (long) rows * o, t.z[layers].address(), yDev.address(), scale,
                            t.d[layers].address(), partials.address(), 64);
                    k.sumPartials(partials.address(), nb, 0.5 * scale, lossDev.address());
                    dev.download(lossDev, 0, lossHost, 0, 1);
                    loss += lossHost[0];
                    for (int l = layers - 1; l >= 0; l--) {
                        int in = a.width(l);
                        int out = a.width(l + 1);
                        try (DeviceBuffer dw = output(a.weightCount(l))) {
                            k.weightGrad(elem, rows, out, in, t.d[l + 1].address(), t.h[l].address(), a.weightScale(l),
                                    dw.address());
                            int cnt = (int) a.weightCount(l);
                            dev.download(dw, 0, tmp, 0, cnt);
                            int off = (int) a.weightOffset(l);
                            for (int i = 0; i < cnt; i++) {
                                grad[off + i] += tmp[i];
                            }
                        }
                        if (a.bias()) {
                            try (DeviceBuffer db = output(out)) {
                                k.biasGrad(elem, rows, out, t.d[l + 1].address(), a.biasScale(l), db.address());
                                dev.download(db, 0, tmp, 0, out);
                                int off = (int) a.biasOffset(l);
                                for (int i = 0; i < out; i++) {
                                    grad[off + i] += tmp[i];
                                }
                            }
                        }
                        if (l >= 1) {
                            t.d[l] = output((long) rows * in);
                            k.backwardDelta(elem, rows, in, out, t.d[l + 1].address(), net.wt[l].address(),
                                    t.z[l].address(), 1, a.weightScale(l), act, t.d[l].address());
                        }
                    }
                }
            }
        }
        return new LossGradient(loss, grad);
    }

    @Override
    protected synchronized Matrix computeJacobian(Parameters params, Matrix x) {
        Architecture a = params.architecture();
        int n = x.rows();
        int o = a.outputDim();
        long p = a.parameterCount();
        long total = (long) n * o * p;
        if (total > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the Jacobian has " + total + " entries, more than one array holds; use the"
                    + " NTK methods, which never materialise it");
        }
        long budget = budget();
        long avail = budget - netElements(a) * elem.bytes;
        long per = actsPerExample(a, o) * elem.bytes;
        // Half the budget for activations and deltas, the rest for J column chunks.
        int tile = fitTile(n, avail / 2, t -> t * per);
        if (tile == 0) {
            throw tooBig("the Jacobian", netElements(a) * elem.bytes + 2 * per, budget);
        }
        double[] out = new double[(int) total];
        try (Net net = new Net(params)) {
            for (int r0 = 0; r0 < n; r0 += tile) {
                int rows = Math.min(tile, n - r0);
                int r = rows * o;
                long pc = Math.min(p, Math.max(1, (avail - (long) rows * per) / ((long) r * elem.bytes)));
                if ((avail - (long) rows * per) < (long) r * elem.bytes) {
                    throw tooBig("the Jacobian", netElements(a) * elem.bytes + (long) rows * per + (long) r * elem.bytes,
                            budget);
                }
                try (Acts t = forwardTile(net, x, r0, rows)) {
                    ntkDeltas(net, t);
                    double[] chunk = new double[(int) Math.min((long) r * pc, Integer.MAX_VALUE - 8)];
                    pc = Math.min(pc, chunk.length / r);
                    try (DeviceBuffer j = alloc((long) r * pc)) {
                        for (long c0 = 0; c0 < p; c0 += pc) {
                            long w = Math.min(pc, p - c0);
                            poisonBuffer(j);
                            writeJacobian(net, t, j, w, c0, w);
                            dev.download(j, 0, chunk, 0, (int) (r * w));
                            for (int row = 0; row < r; row++) {
                                System.arraycopy(chunk, (int) (row * w), out, (int) ((long) (r0 * o + row) * p + c0),
                                        (int) w);
                            }
                        }
                    }
                }
            }
        }
        return new Matrix(n * o, (int) p, out);
    }

    /** Writes J columns [c0, c0 + w) of the tile's rows into {@code j} (leading dimension {@code ldj}). */
    private void writeJacobian(Net net, Acts t, DeviceBuffer j, long ldj, long c0, long w) {
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
                    a.weightScale(l), a.biasScale(l), a.bias(), lo - off, hi - off, j.address(), ldj, lo - c0);
        }
    }

    @Override
    protected synchronized Tensor computeNtk(Parameters params, Matrix x1, Matrix x2r, boolean symmetric, NtkMode mode,
                                             Implementation impl) {
        Architecture a = params.architecture();
        int n1 = x1.rows();
        int n2 = x2r.rows();
        int o = a.outputDim();
        int m = switch (mode) {
            case FULL -> MODE_FULL;
            case TRACE -> MODE_TRACE;
            case DIAGONAL -> MODE_DIAG;
        };
        int vpp = mode.valuesPerPair(o);
        double[] out = new double[n1 * n2 * vpp];
        boolean jc = impl == Implementation.JACOBIAN_CONTRACTION;
        long budget = budget();
        long avail = budget - netElements(a) * elem.bytes;
        long per = actsPerExample(a, o) * elem.bytes;
        long es = elem.bytes;
        long p = a.parameterCount();
        // Tile of examples per side: activations of two tiles plus the tile's outputs (and for JC, G and one J column
        // per row), with a quarter of the budget left for split-K partials and J column chunks.
        java.util.function.IntToLongFunction cost = t -> {
            long tt = (long) t * t;
            long c = 2L * t * per + tt * (vpp + 1) * es;
            if (jc) {
                c += tt * o * o * es * 2 + 2L * t * o * es;
            }
            return c + c / 3;
        };
        int tile = fitTile(Math.max(n1, n2), avail, cost);
        if (tile == 0) {
            throw tooBig("the NTK", netElements(a) * es + cost.applyAsLong(1), budget);
        }
        int t1max = Math.min(tile, n1);
        int t2max = Math.min(tile, n2);
        try (Net net = new Net(params)) {
            for (int i0 = 0; i0 < n1; i0 += t1max) {
                int t1 = Math.min(t1max, n1 - i0);
                try (Acts a1 = forwardTile(net, x1, i0, t1)) {
                    ntkDeltas(net, a1);
                    for (int j0 = symmetric ? i0 : 0; j0 < n2; j0 += t2max) {
                        int t2 = Math.min(t2max, n2 - j0);
                        boolean same = symmetric && j0 == i0;
                        Acts a2 = same ? a1 : forwardTile(net, x2r, j0, t2);
                        try {
                            if (!same) {
                                ntkDeltas(net, a2);
                            }
                            long left = avail - 2L * tile * per;
                            double[] tileOut = jc ? jcTile(net, a1, a2, same, m, left) : structuredTile(net, a1, a2, same,
                                    m, left);
                            scatter(tileOut, out, i0, j0, t1, t2, n2, m, o, false);
                            if (symmetric && !same) {
                                scatter(tileOut, out, i0, j0, t1, t2, n2, m, o, true);
                            }
                        } finally {
                            if (!same) {
                                a2.close();
                            }
                        }
                    }
                }
            }
        }
        if (symmetric) {
            symmetrize(out, n1, o, m);
        }
        return new Tensor(mode.shape(n1, n2, o), out);
    }

    /** Copies a (t1, t2, values) tile to (i0.., j0..) of the output, or transposed (Θ_ab(x,x') = Θ_ba(x',x)). */
    private static void scatter(double[] tile, double[] out, int i0, int j0, int t1, int t2, int n2, int mode, int o,
                                boolean transposed) {
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
        for (int i = 0; i < t1; i++) {
            for (int j = 0; j < t2; j++) {
                int src = (i * t2 + j) * vpp;
                if (!transposed) {
                    System.arraycopy(tile, src, out, ((i0 + i) * n2 + j0 + j) * vpp, vpp);
                } else {
                    int dst = ((j0 + j) * n2 + i0 + i) * vpp;
                    if (mode == MODE_FULL) {
                        for (int a = 0; a < o; a++) {
                            for (int b = 0; b < o; b++) {
                                out[dst + b * o + a] = tile[src + a * o + b];
                            }
                        }
                    } else {
                        System.arraycopy(tile, src, out, dst, vpp);
                    }
                }
            }
        }
    }

    /** Makes Θ(x, x) exactly symmetric: Θ[j][i][b][a] := Θ[i][j][a][b] for i < j, and within i = j for a < b. */
    private static void symmetrize(double[] out, int n, int o, int mode) {
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                int src = (i * n + j) * vpp;
                int dst = (j * n + i) * vpp;
                if (mode == MODE_FULL) {
                    for (int a = 0; a < o; a++) {
                        for (int b = (i == j ? a + 1 : 0); b < o; b++) {
                            out[dst + b * o + a] = out[src + a * o + b];
                        }
                    }
                } else if (i != j) {
                    System.arraycopy(out, src, out, dst, vpp);
                }
            }
        }
    }

    private double[] structuredTile(Net net, Acts a1, Acts a2, boolean same, int mode, long availBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
        long outElems = (long) t1 * t2 * vpp;
        long wsCap = Math.max(0, availBytes / elem.bytes - outElems - (long) t1 * t2) / 2;
        // The partials each layer needs with the heuristic, capped by what fits.
        long wsNeed = 0;
        int[] sg = new int[a.layers()];
        int[] sp = new int[a.layers()];
        int[] d = Kernels.structDims(mode, t1, t2, o);
        for (int l = 0; l < a.layers(); l++) {
            sg[l] = k.chooseSplits(t1, t2, 1, a.width(l), elem.bm, elem.bn, wsCap);
            sp[l] = k.structSplits(elem, mode, t1, t2, o, a.width(l + 1), wsCap);
            wsNeed = Math.max(wsNeed, Math.max(sg[l] > 1 ? (long) sg[l] * t1 * t2 : 0,
                    sp[l] > 1 ? (long) sp[l] * d[0] * d[1] * d[2] : 0));
        }
        try (DeviceBuffer theta = output(outElems); DeviceBuffer gh = alloc((long) t1 * t2);
             DeviceBuffer ws = alloc(wsNeed)) {
            for (int l = 0; l < a.layers(); l++) {
                int in = a.width(l);
                poisonBuffer(gh);
                k.gram(elem, false, t1, t2, in, a1.h[l].address(), in, 0, a2.h[l].address(), in, 0, gh.address(), t2, 0,
                        1.0, 0.0, 1, sg[l], ws.address(), same);
                double c = a.weightScale(l);
                double s = a.biasScale(l);
                k.structLayer(elem, mode, t1, t2, o, a.width(l + 1), a1.d[l + 1].address(), a2.d[l + 1].address(),
                        gh.address(), t2, c * c, s * s, l == 0 ? 0.0 : 1.0, theta.address(), sp[l], ws.address());
            }
            double[] host = new double[(int) outElems];
            dev.download(theta, 0, host, 0, host.length);
            return host;
        }
    }

    private double[] jcTile(Net net, Acts a1, Acts a2, boolean same, int mode, long availBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int r1 = t1 * o;
        int r2 = t2 * o;
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
        long p = a.parameterCount();
        long es = elem.bytes;
        long fixed = (long) r1 * r2 * 2 + (long) t1 * t2 * vpp;
        long left = availBytes / es - fixed;
        long rowsJ = same ? r1 : (long) r1 + r2;
        long wsCap = left / 4;
        long pc = Math.min(p, (left - wsCap) / rowsJ);
        if (pc < 1) {
            throw tooBig("the Jacobian contraction", (fixed + rowsJ + 1) * es, availBytes);
        }
        int splits = useCublas ? 1 : k.chooseSplits(r1, r2, 1, pc, tf32 ? 128 : elem.bm, tf32 ? 128 : elem.bn, wsCap);
        List<DeviceBuffer> bufs = new ArrayList<>();
        try {
            DeviceBuffer j1 = alloc((long) r1 * pc);
            bufs.add(j1);
            DeviceBuffer j2 = j1;
            if (!same) {
                j2 = alloc((long) r2 * pc);
                bufs.add(j2);
            }
            DeviceBuffer g = output((long) r1 * r2);
            bufs.add(g);
            DeviceBuffer ws = alloc(splits > 1 ? (long) splits * r1 * r2 : 0);
            bufs.add(ws);
            for (long c0 = 0; c0 < p; c0 += pc) {
                long w = Math.min(pc, p - c0);
                poisonBuffer(j1);
                writeJacobian(net, a1, j1, pc, c0, w);
                if (!same) {
                    poisonBuffer(j2);
                    writeJacobian(net, a2, j2, pc, c0, w);
                }
                double beta = c0 == 0 ? 0.0 : 1.0;
                if (useCublas) {
                    cublas().gemmNT(dev, elem, tf32, r1, r2, w, j1.address(), pc, j2.address(), pc, g.address(), r2,
                            1.0, beta);
                } else {
                    k.gram(elem, tf32, r1, r2, w, j1.address(), pc, 0, j2.address(), pc, 0, g.address(), r2, 0, 1.0,
                            beta, 1, splits, ws.address(), same);
                }
            }
            DeviceBuffer full = output((long) t1 * t2 * o * o);
            bufs.add(full);
            k.jcToFull(elem, t1, t2, o, g.address(), r2, full.address());
            DeviceBuffer res = full;
            if (mode != MODE_FULL) {
                res = output((long) t1 * t2 * vpp);
                bufs.add(res);
                if (mode == MODE_TRACE) {
                    k.fullToTrace(elem, t1, t2, o, full.address(), res.address());
                } else {
                    k.fullToDiag(elem, t1, t2, o, full.address(), res.address());
                }
            }
            double[] host = new double[t1 * t2 * vpp];
            dev.download(res, 0, host, 0, host.length);
            return host;
        } finally {
            for (DeviceBuffer b : bufs) {
                b.close();
            }
        }
    }

    private Cublas cublas() {
        if (cublas == null) {
            cublas = Cublas.open(dev);
        }
        return cublas;
    }

    @Override
    protected synchronized void release() {
        try {
            if (cublas != null) {
                cublas.close();
            }
        } finally {
            dev.close();
        }
    }
}
