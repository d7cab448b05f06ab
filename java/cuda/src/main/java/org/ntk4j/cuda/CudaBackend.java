package org.ntk4j.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;
import org.ntk4j.Implementation;
import org.ntk4j.KernelLayout;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;

/**
 * The CUDA backend: the kernels of {@code cuda/} driven through {@link CudaDriver}.
 *
 * <p>Work is split to fit a device memory budget (the configured memory budget, else the option
 * {@code memoryFraction}, default 0.8, of the free memory when the call starts): the NTK over tiles of x1 × x2
 * examples, the Jacobian and the Jacobian contraction also over column chunks of P, the forward pass and the gradient
 * over tiles of examples. Tiles are also capped so that every grid stays within the device's limits (δ has O rows per
 * example). Every device allocation of a call is freed when the call ends, normally or by an exception (best effort:
 * after a device fault each free is still attempted and the fault is what the caller sees); an allocation that does
 * not fit throws {@link CudaOutOfMemoryException} and the backend stays usable.
 *
 * <p>Precision: FP32 and FP64 run the SIMT kernels in that precision. In FP32 (and TF32) no fp32 sum runs over more
 * than {@code SLICE_K} terms: the Gram and structured kernels add their fp32 slices, the split-K partials, the P
 * chunks and the layers in fp64 (their outputs are fp64), and results are rounded to fp32 once, at the end, like the
 * CPU backend's. TF32 stores fp32 and uses the TF32 tensor-core Gram kernel for the Jacobian contraction; the
 * structured path has no TF32 variant and runs in fp32 (its Gram products are small), which is at least as accurate
 * as requested.
 *
 * <p>Prepared models ({@link #createPreparedModel}) keep W, Wᵀ, b, the starting parameters, the gradient and one
 * grow-only workspace on the device between calls; a gradient-descent step moves only the inputs in and the loss out.
 *
 * <p>Options (see {@link CudaProvider}): {@code gram=cublas} makes the Jacobian contraction use cuBLAS (found through
 * {@link Cublas}, or the file named by {@code cublasPath}) instead of the own Gram kernel, for comparison;
 * {@code poison=true} fills every output buffer with NaN before a kernel writes it (a testing aid).
 */
public final class CudaBackend extends Backend {
    static final int MODE_FULL = 0;
    static final int MODE_TRACE = 1;
    static final int MODE_DIAG = 2;
    /** Blocks of the MSE residual and squared-distance reductions (their partial sums then add up in fixed order). */
    private static final int REDUCE_BLOCKS = 64;

    private final CudaDevice dev;
    final KernelLaunches k;
    private final Precision precision;
    final KernelLaunches.Elem elem;
    private final boolean tf32;
    private final double memoryFraction;
    private long budgetOverride = -1;
    private boolean poison;
    private final boolean useCublas;
    private final String cublasPath;
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
        config.requireOnly("cuda", "device", "memoryFraction", "gram", "poison", "cublasPath");
        this.dev = dev;
        this.k = new KernelLaunches(dev);
        this.precision = config.precision();
        this.elem = precision == Precision.FP64 ? KernelLaunches.Elem.F64 : KernelLaunches.Elem.F32;
        this.tf32 = precision == Precision.TF32;
        this.memoryFraction = config.doubleOption("memoryFraction", 0.8, Double.MIN_VALUE, 1);
        this.useCublas = config.choiceOption("gram", "native", "native", "cublas").equals("cublas");
        this.poison = config.booleanOption("poison", false);
        String path = config.option("cublasPath", null);
        if (path != null && path.isBlank()) {
            throw new InvalidInputException("option cublasPath must name a file, got an empty value");
        }
        this.cublasPath = path;
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

    /** The cuBLAS library file named by the {@code cublasPath} option, or null (search the usual places). */
    String cublasPath() {
        return cublasPath;
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

    /**
     * Bytes a call may use for its work: the budget less the model's bytes when a budget is set; else the fraction
     * of the free memory (plus what the workspace already holds, which the call reuses), less the model's bytes when
     * the call has yet to allocate the model.
     */
    private long working(Workspace ws, long modelBytes, boolean modelResident) {
        if (budgetOverride >= 0) {
            return budgetOverride - modelBytes;
        }
        long free = dev.memoryInfo()[0] + ws.bytes();
        return (long) (free * memoryFraction) - (modelResident ? 0 : modelBytes);
    }

    private long budgetForMessages(long modelBytes) {
        return budgetOverride >= 0 ? budgetOverride : modelBytes + Math.max(0, working(new Workspace(), modelBytes,
                false));
    }

    private NtkException tooBig(String what, long need, long modelBytes) {
        return new NtkException(what + " needs at least " + need + " bytes of device memory but the budget is "
                + budgetForMessages(modelBytes) + " bytes (the memory budget, or the memoryFraction option)");
    }

    /**
     * Device buffers by role, grow-only: a slot is reallocated only when a call needs more than it holds. A call of
     * the backend uses a workspace for that call alone; a prepared model keeps one between calls.
     */
    final class Workspace implements AutoCloseable {
        private final Map<String, DeviceBuffer> slots = new HashMap<>();

        /** The slot's buffer with room for {@code elements} values of {@code elementBytes} (contents undefined). */
        DeviceBuffer get(String slot, long elements, int elementBytes) {
            long need = Math.max(1, elements) * elementBytes;
            DeviceBuffer b = slots.get(slot);
            if (b != null && b.bytes() >= need && b.elementBytes() == elementBytes) {
                return b;
            }
            if (b != null) {
                slots.remove(slot);
                b.close();
            }
            b = dev.allocate(Math.max(1, elements), elementBytes);
            slots.put(slot, b);
            return b;
        }

        /** In the backend's element type. */
        DeviceBuffer elems(String slot, long elements) {
            return get(slot, elements, elem.bytes);
        }

        /** fp64. */
        DeviceBuffer f64(String slot, long elements) {
            return get(slot, elements, 8);
        }

        /** In the element type, poisoned when the poison option is on (a kernel must overwrite every value). */
        DeviceBuffer output(String slot, long elements) {
            DeviceBuffer b = elems(slot, elements);
            poison(b);
            return b;
        }

        /** fp64, poisoned when the option is on. */
        DeviceBuffer output64(String slot, long elements) {
            DeviceBuffer b = f64(slot, elements);
            poison(b);
            return b;
        }

        long bytes() {
            long s = 0;
            for (DeviceBuffer b : slots.values()) {
                s += b.bytes();
            }
            return s;
        }

        @Override
        public void close() {
            Release r = new Release();
            r.close(new ArrayList<>(slots.values()));
            slots.clear();
            r.rethrow();
        }
    }

    private void poison(DeviceBuffer b) {
        if (poison) {
            k.fill(b.elementBytes() == 8 ? KernelLaunches.Elem.F64 : KernelLaunches.Elem.F32, b.address(), b.elements(), Double.NaN);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Parameters on the device
    // ---------------------------------------------------------------------------------------------------

    /** Device elements of W, Wᵀ and b (and, without Wᵀ, of W and b). */
    static long netElements(Architecture a, boolean transposes) {
        long n = 0;
        for (int l = 0; l < a.layers(); l++) {
            n += (transposes ? 2 : 1) * a.weightCount(l) + a.biasCount(l);
        }
        return n;
    }

    /** W^l, b^l and (optionally) (W^l)ᵀ in the backend's precision. */
    final class Net implements AutoCloseable {
        final Architecture a;
        final DeviceBuffer[] w;
        final DeviceBuffer[] wt;
        final DeviceBuffer[] b;

        /** Allocates (values undefined until an upload). */
        Net(Architecture a, boolean transposes) {
            this.a = a;
            int layers = a.layers();
            w = new DeviceBuffer[layers];
            wt = new DeviceBuffer[layers];
            b = new DeviceBuffer[layers];
            try {
                for (int l = 0; l < layers; l++) {
                    w[l] = dev.allocate(a.weightCount(l), elem.bytes);
                    if (transposes) {
                        wt[l] = dev.allocate(a.weightCount(l), elem.bytes);
                    }
                    if (a.bias()) {
                        b[l] = dev.allocate(a.width(l + 1), elem.bytes);
                    }
                }
            } catch (RuntimeException e) {
                Release r = new Release(e);
                r.run(this::close);
                r.rethrow();
            }
        }

        /** Uploads these parameters (and forms the transposes). */
        Net load(Parameters p) {
            for (int l = 0; l < a.layers(); l++) {
                dev.upload(w[l], 0, p.weights(l), 0, p.weights(l).length);
                if (a.bias()) {
                    dev.upload(b[l], 0, p.bias(l), 0, a.width(l + 1));
                }
            }
            transposeAll();
            return this;
        }

        /** Forms (W^l)ᵀ from W^l for every layer (after an upload or a gradient step). */
        void transposeAll() {
            if (wt[0] == null) {
                return;
            }
            for (int l = 0; l < a.layers(); l++) {
                k.transpose(elem, a.width(l + 1), a.width(l), w[l].address(), a.width(l), wt[l].address(),
                        a.width(l + 1));
            }
        }

        long bias(int l) {
            return b[l] == null ? 0L : b[l].address();
        }

        long bytes() {
            return netElements(a, wt[0] != null) * elem.bytes;
        }

        @Override
        public void close() {
            Release r = new Release();
            r.close(Arrays.asList(w));
            r.close(Arrays.asList(wt));
            r.close(Arrays.asList(b));
            r.rethrow();
        }
    }

    /** Host rows generated per upload when parameters are streamed from their seed (8 MiB of doubles). */
    private static final int STREAM_VALUES = 1 << 20;

    /**
     * Writes {@code Parameters.init(a, seed)} into each of {@code nets} (W, b; then their transposes) without ever
     * holding a layer on the host: rows of W^l are generated with {@link Parameters#initialRow} in blocks of about
     * {@value #STREAM_VALUES} values and uploaded block by block.
     */
    void loadInitial(long seed, Net... nets) {
        Architecture a = nets[0].a;
        for (int l = 0; l < a.layers(); l++) {
            int in = a.width(l);
            int out = a.width(l + 1);
            int rowsPer = Math.max(1, STREAM_VALUES / in);
            double[] row = new double[in];
            double[] block = new double[(int) Math.min((long) rowsPer * in, (long) out * in)];
            double[] bias = a.bias() ? new double[out] : null;
            for (int i0 = 0; i0 < out; i0 += rowsPer) {
                int rows = Math.min(rowsPer, out - i0);
                for (int i = 0; i < rows; i++) {
                    double bi = Parameters.initialRow(a, seed, l, i0 + i, row);
                    System.arraycopy(row, 0, block, i * in, in);
                    if (bias != null) {
                        bias[i0 + i] = bi;
                    }
                }
                for (Net n : nets) {
                    dev.upload(n.w[l], (long) i0 * in, block, 0, rows * in);
                }
            }
            if (bias != null) {
                for (Net n : nets) {
                    dev.upload(n.b[l], 0, bias, 0, out);
                }
            }
        }
        for (Net n : nets) {
            n.transposeAll();
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Activations
    // ---------------------------------------------------------------------------------------------------

    /** Device elements per example for the activations (h, z) and, with {@code rpe} rows per example, the deltas. */
    private static long actsPerExample(Architecture a, int rpe) {
        long s = 0;
        for (int l = 0; l < a.layers(); l++) {
            s += a.width(l) + a.width(l + 1);
            s += (long) rpe * a.width(l + 1);
        }
        return s;
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

    /** The forward pass of a tile whose inputs are already in {@code h0}; buffers from slots {@code side}…. */
    private Acts forwardFrom(Net net, Workspace ws, String side, DeviceBuffer h0, int rows) {
        Architecture a = net.a;
        int layers = a.layers();
        int act = KernelLaunches.activationCode(a.activation());
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
                    a.biasScale(l), hidden ? act : KernelLaunches.ACT_IDENTITY, t.z[l + 1].address(),
                    hidden ? t.h[l + 1].address() : 0L);
        }
        return t;
    }

    /** Uploads rows [row0, row0 + rows) of x and runs the forward pass. */
    private Acts forwardTile(Net net, Workspace ws, String side, Matrix x, int row0, int rows) {
        int d = net.a.inputDim();
        DeviceBuffer h0 = ws.elems(side + "h0", (long) rows * d);
        dev.upload(h0, 0, x.data(), row0 * d, rows * d);
        return forwardFrom(net, ws, side, h0, rows);
    }

    /** δ^l for all (n, a) rows of the tile, seeded with e_a. */
    private void ntkDeltas(Net net, Workspace ws, String side, Acts t) {
        Architecture a = net.a;
        int layers = a.layers();
        int o = a.outputDim();
        int r = t.rows * o;
        int act = KernelLaunches.activationCode(a.activation());
        t.d[layers] = ws.output(side + "d" + layers, (long) r * o);
        k.deltaSeedIdentity(elem, t.rows, o, t.d[layers].address());
        for (int l = layers - 1; l >= 1; l--) {
            t.d[l] = ws.output(side + "d" + l, (long) r * a.width(l));
            k.backwardDelta(elem, r, a.width(l), a.width(l + 1), t.d[l + 1].address(), net.wt[l].address(),
                    t.z[l].address(), o, a.weightScale(l), act, t.d[l].address());
        }
    }

    /** Largest tile of examples (≤ n, ≤ cap) for which {@code cost(tile)} bytes fit, or 0. */
    private static int fitTile(int n, long cap, long avail, IntToLongFunction cost) {
        int t = (int) Math.min(n, Math.max(1, cap));
        while (t > 1 && cost.applyAsLong(t) > avail) {
            t = (t + 1) / 2;
        }
        return cost.applyAsLong(t) <= avail ? t : 0;
    }

    /**
     * Most examples per tile when each has {@code rowsPerExample} rows in some launch: every grid y counts row blocks
     * of at least 32 rows (the mirror pass's; the GEMM tiles are 64 or 128), and y is at most
     * {@link KernelLaunches#MAX_GRID_YZ}.
     */
    static long gridCap(int rowsPerExample) {
        return (long) KernelLaunches.MAX_GRID_YZ * 32 / Math.max(1, rowsPerExample);
    }

    // ---------------------------------------------------------------------------------------------------
    // The computations, on a model already on the device (shared by the backend's calls and prepared models)
    // ---------------------------------------------------------------------------------------------------

    Matrix forwardOn(Net net, Workspace ws, long avail, long modelBytes, Matrix x) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        long per = actsPerExample(a, 0) * elem.bytes;
        int tile = fitTile(n, gridCap(1), avail, t -> t * per);
        if (tile == 0) {
            throw tooBig("the forward pass", modelBytes + per, modelBytes);
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

    private static long maxLayerParams(Architecture a) {
        long m = 0;
        for (int l = 0; l < a.layers(); l++) {
            m = Math.max(m, a.weightCount(l) + a.biasCount(l));
        }
        return m;
    }

    /**
     * The MSE loss at the model's parameters, with the gradient summed over tiles of examples into {@code g}, all
     * on the device; with {@code stepRate > 0} also the step θ ← θ − stepRate·g. Inputs go up without a wait when
     * they fit the staging buffer; the loss comes back with the only wait of the call (after the step, so a fault in
     * it shows in this call).
     */
    double gradientOn(Net net, Workspace ws, long avail, long modelBytes, Grad g, Matrix x, Matrix y,
                      double stepRate) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        int d = a.inputDim();
        int layers = a.layers();
        int act = KernelLaunches.activationCode(a.activation());
        long per = (actsPerExample(a, 1) + o + d) * elem.bytes;
        int tile = fitTile(n, gridCap(1), avail - 2048, t -> t * per);
        if (tile == 0) {
            throw tooBig("the MSE gradient", modelBytes + per + 2048, modelBytes);
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
                if (a.bias()) {
                    k.biasGrad(elem, rows, out, t.d[l + 1].address(), a.biasScale(l), acc, g.b[l].address());
                }
                if (l >= 1) {
                    t.d[l] = ws.output("ad" + l, (long) rows * in);
                    k.backwardDelta(elem, rows, in, out, t.d[l + 1].address(), net.wt[l].address(), t.z[l].address(), 1,
                            a.weightScale(l), act, t.d[l].address());
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
            if (a.bias()) {
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
            if (a.bias()) {
                dev.download(g.b[l], 0, grad, (int) a.biasOffset(l), a.width(l + 1));
            }
        }
        return grad;
    }

    /** θ ← θ − lr·g on the device, then the transposes. */
    void applyStep(Net net, Grad g, double lr) {
        Architecture a = net.a;
        for (int l = 0; l < a.layers(); l++) {
            k.sgdUpdate(elem, net.w[l].address(), g.w[l].address(), a.weightCount(l), lr);
            if (a.bias()) {
                k.sgdUpdate(elem, net.b[l].address(), g.b[l].address(), a.width(l + 1), lr);
            }
        }
        net.transposeAll();
    }

    /** ‖θ_l − θ_l(start)‖₂ per layer, reduced on the device in fp64; one download. */
    double[] layerDistancesOn(Net net, Net start, Workspace ws) {
        Architecture a = net.a;
        int layers = a.layers();
        DeviceBuffer partials = ws.f64("dpartials", 2L * REDUCE_BLOCKS);
        DeviceBuffer sums = ws.output64("dsums", 2L * layers);
        for (int l = 0; l < layers; l++) {
            int nb = k.sqDistPartials(elem, net.w[l].address(), start.w[l].address(), a.weightCount(l),
                    partials.address(), REDUCE_BLOCKS);
            k.sumPartials(partials.address(), nb, 1.0, sums.address(2L * l));
            if (a.bias()) {
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

    Matrix jacobianOn(Net net, Workspace ws, long avail, long modelBytes, Matrix x) {
        Architecture a = net.a;
        int n = x.rows();
        int o = a.outputDim();
        long p = a.parameterCount();
        long total = (long) n * o * p;
        if (total > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the Jacobian has " + total + " entries, more than one array holds; use the"
                    + " NTK methods, which never materialise it");
        }
        long per = actsPerExample(a, o) * elem.bytes;
        // Half the budget for activations and deltas, the rest for J column chunks.
        int tile = fitTile(n, gridCap(o), avail / 2, t -> t * per);
        if (tile == 0) {
            throw tooBig("the Jacobian", modelBytes + 2 * per, modelBytes);
        }
        double[] out = new double[(int) total];
        for (int r0 = 0; r0 < n; r0 += tile) {
            int rows = Math.min(tile, n - r0);
            int r = rows * o;
            long left = avail - (long) rows * per;
            if (left < (long) r * elem.bytes * KernelLaunches.J_LD_ALIGN) {
                throw tooBig("the Jacobian", modelBytes + (long) rows * per + (long) r * elem.bytes * KernelLaunches.J_LD_ALIGN,
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

    Tensor ntkOn(Net net, Workspace ws, long avail, long modelBytes, Matrix x1, Matrix x2r, boolean symmetric,
                 NtkMode mode, Implementation impl) {
        Architecture a = net.a;
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
        long per = actsPerExample(a, o) * elem.bytes;
        // Tile of examples per side: activations of two tiles, the fp64 outputs (Θ, the h-Gram and a workspace of
        // each, which an fp32 reduction longer than one slice needs), for JC also G, its workspace and the full
        // layout, plus a quarter for split-K partials and J column chunks.
        IntToLongFunction cost = t -> {
            long tt = (long) t * t;
            long c = 2L * t * per + tt * (2L * vpp + 2) * 8;
            if (jc) {
                c += tt * o * o * 8 * 3 + 2L * t * o * elem.bytes * KernelLaunches.J_LD_ALIGN;
            }
            return c + c / 3;
        };
        int tile = fitTile(Math.max(n1, n2), gridCap(o), avail, cost);
        if (tile == 0) {
            throw tooBig("the NTK", modelBytes + cost.applyAsLong(1), modelBytes);
        }
        int t1max = Math.min(tile, n1);
        int t2max = Math.min(tile, n2);
        for (int i0 = 0; i0 < n1; i0 += t1max) {
            int t1 = Math.min(t1max, n1 - i0);
            Acts a1 = forwardTile(net, ws, "a", x1, i0, t1);
            ntkDeltas(net, ws, "a", a1);
            for (int j0 = symmetric ? i0 : 0; j0 < n2; j0 += t2max) {
                int t2 = Math.min(t2max, n2 - j0);
                boolean same = symmetric && j0 == i0;
                Acts a2 = a1;
                if (!same) {
                    a2 = forwardTile(net, ws, "b", x2r, j0, t2);
                    ntkDeltas(net, ws, "b", a2);
                }
                long left = avail - 2L * tile * per;
                double[] tileOut = jc ? jcTile(net, ws, a1, a2, same, m, left, modelBytes)
                        : structuredTile(net, ws, a1, a2, same, m, left);
                KernelLayout.copyPairs(tileOut, t2, 0, 0, t1, t2, vpp, out, n2, i0, j0);
                if (symmetric && !same) {
                    KernelLayout.transposePairs(tileOut, t2, 0, 0, t1, t2, mode, o, out, n2, j0, i0);
                }
            }
        }
        if (symmetric) {
            KernelLayout.mirrorUpperPairs(out, n1, mode, o);
        }
        return new Tensor(mode.shape(n1, n2, o), out);
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

    private double[] structuredTile(Net net, Workspace ws, Acts a1, Acts a2, boolean same, int mode, long availBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
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

    /**
     * Columns of P per Jacobian chunk: what fits {@code elements} for {@code rows} rows, a multiple of
     * {@link KernelLaunches#J_LD_ALIGN}; with cuBLAS also at most what its 32-bit sizes and leading dimensions take.
     */
    static long jcChunk(long p, long rows, long elements, boolean cublas) {
        long pc = Math.min(p, elements / Math.max(1, rows));
        if (cublas) {
            pc = Math.min(pc, (Integer.MAX_VALUE / KernelLaunches.J_LD_ALIGN) * (long) KernelLaunches.J_LD_ALIGN);
        }
        if (pc < p) {
            pc = pc / KernelLaunches.J_LD_ALIGN * KernelLaunches.J_LD_ALIGN;
        }
        return pc;
    }

    private double[] jcTile(Net net, Workspace ws, Acts a1, Acts a2, boolean same, int mode, long availBytes,
                            long modelBytes) {
        Architecture a = net.a;
        int t1 = a1.rows;
        int t2 = a2.rows;
        int o = a.outputDim();
        int r1 = t1 * o;
        int r2 = t2 * o;
        int vpp = mode == MODE_FULL ? o * o : mode == MODE_DIAG ? o : 1;
        long p = a.parameterCount();
        long es = elem.bytes;
        boolean fp32 = elem == KernelLaunches.Elem.F32;
        // fp64: G, one slice sum per G value, the full layout and the result; cuBLAS in fp32 adds an fp32 G.
        long fixedBytes = ((long) r1 * r2 * 3 + (long) t1 * t2 * vpp) * 8 + (useCublas && fp32 ? (long) r1 * r2 * 4 : 0);
        long left = availBytes - fixedBytes;
        long rowsJ = same ? r1 : (long) r1 + r2;
        long wsCap = Math.max(0, left / 4) / 8;
        long pc = jcChunk(p, rowsJ, (left - wsCap * 8) / es, useCublas);
        if (pc < 1) {
            throw tooBig("the Jacobian contraction", modelBytes + fixedBytes + (rowsJ * KernelLaunches.J_LD_ALIGN + 1) * es,
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
        if (mode != MODE_FULL) {
            res = ws.output64("res", (long) t1 * t2 * vpp);
            if (mode == MODE_TRACE) {
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

    // ---------------------------------------------------------------------------------------------------
    // Backend: each call uploads the parameters and works in a workspace of its own
    // ---------------------------------------------------------------------------------------------------

    /** A call's work on its own copy of the parameters and its own workspace. */
    private interface Work<R> {
        R run(Net net, Workspace ws, long avail, long modelBytes);
    }

    private <R> R withModel(Parameters params, Work<R> work) {
        Architecture a = params.architecture();
        long modelBytes = netElements(a, true) * elem.bytes;
        Workspace ws = new Workspace();
        long avail = working(ws, modelBytes, false);
        if (avail <= 0) { // refused before anything is allocated or uploaded
            throw tooBig("the model's parameters (W, Wᵀ, b)", modelBytes, modelBytes);
        }
        Net net = null;
        Throwable failure = null;
        try {
            net = new Net(a, true).load(params);
            return work.run(net, ws, avail, modelBytes);
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            Release r = new Release(failure);
            r.close(List.of(ws));
            if (net != null) {
                r.close(List.of(net));
            }
            if (failure == null) {
                r.rethrow();
            }
        }
    }

    @Override
    protected synchronized Matrix computeForward(Parameters params, Matrix x) {
        return withModel(params, (net, ws, avail, mb) -> forwardOn(net, ws, avail, mb, x));
    }

    @Override
    protected synchronized LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
        Architecture a = params.architecture();
        if (a.parameterCount() > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the gradient has " + a.parameterCount()
                    + " entries, more than one array holds");
        }
        return withModel(params, (net, ws, avail, mb) -> {
            Grad g = gradBuffers(ws, a);
            long gradBytes = a.parameterCount() * elem.bytes;
            double loss = gradientOn(net, ws, avail - gradBytes, mb + gradBytes, g, x, y, 0);
            return new LossGradient(loss, downloadGradient(a, g));
        });
    }

    @Override
    protected synchronized Matrix computeJacobian(Parameters params, Matrix x) {
        return withModel(params, (net, ws, avail, mb) -> jacobianOn(net, ws, avail, mb, x));
    }

    @Override
    protected synchronized Tensor computeNtk(Parameters params, Matrix x1, Matrix x2r, boolean symmetric, NtkMode mode,
                                             Implementation impl) {
        return withModel(params, (net, ws, avail, mb) -> ntkOn(net, ws, avail, mb, x1, x2r, symmetric, mode, impl));
    }

    @Override
    protected PreparedModel createPreparedModel(Parameters params) {
        return CudaPreparedModel.of(this, params);
    }

    @Override
    protected PreparedModel createPreparedModel(Architecture arch, long seed) {
        return CudaPreparedModel.initial(this, arch, seed);
    }

    /** For prepared models: the working bytes of a call on a resident model of {@code residentBytes}. */
    synchronized long workingForResident(Workspace ws, long residentBytes) {
        return working(ws, residentBytes, true);
    }

    /** Wraps a prepared model's call: the backend's open check and call accounting, and its lock. */
    <R> R call(java.util.function.Supplier<R> body) {
        enter();
        try {
            synchronized (this) {
                return body.get();
            }
        } finally {
            exit();
        }
    }

    @Override
    protected synchronized void release() {
        Release r = new Release();
        if (cublas != null) {
            r.run(cublas::close);
        }
        r.run(dev::close);
        r.rethrow();
    }
}
