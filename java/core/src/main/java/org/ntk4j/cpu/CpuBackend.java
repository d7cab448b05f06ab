package org.ntk4j.cpu;

import org.ntk4j.BackendUnavailableException;
import org.ntk4j.Blas;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.Validation;
import org.ntk4j.model.Parameters;

/**
 * The CPU backend: batched fp32 (default) or fp64 arithmetic on a pool of worker threads, matrix products through
 * BLAS (dev.ludovic.netlib through JNI: the system's or the bundled OpenBLAS, whichever {@link BlasSelection}
 * measured faster, else pure Java), elementwise loops through
 * the Vector API when the {@code jdk.incubator.vector} module is present (plain loops otherwise, or with
 * {@code -Dntk4j.cpu.vector=false}).
 *
 * <h2>Algorithms</h2>
 * Both NTK implementations of {@link Implementation} are here, in every {@link NtkMode}, for every layer kind
 * (dense, activations, conv, avgpool, gap, flatten; one {@code CpuLayer} class each). {@link Implementation#AUTO} is
 * {@link Implementation#STRUCTURED} unless the network's convolutions make it dearer per pair of examples than
 * {@link Implementation#JACOBIAN_CONTRACTION}: a convolution's structured term costs (H'·W')²·(C_in·kh·kw + O·C_out)
 * per pair, its Jacobian contraction O·C_out·(C_in·kh·kw + 1) (O² in FULL mode) — at 28×28 the contraction wins. See {@link NtkCompute} for the block structure: for Θ(x, x) only the upper
 * triangle is formed (symmetric rank-k updates) and mirrored, so the result is exactly symmetric.
 *
 * <h2>Memory</h2>
 * Work is cut into chunks of B examples and, for Jacobian contraction, of C Jacobian columns, so that the working
 * memory stays within the budget M (default: the smaller of 1 GiB and a quarter of the maximum heap). With e the
 * element size (4 or 8 bytes), A = Σ_{l<L} n_l + Σ_{0<l<L} n_l + O the forward state per example and W = max n_l
 * (l ≥ 1), the planner ({@code ChunkPlan}) guarantees
 * <ul>
 *   <li>structured: e·[2B·(A + 2·O·W) + B² + G] + 8·B² + 8·T·B·O ≤ M (T threads), with G = (B·O)² in FULL mode and
 *       B² otherwise — that is O(N·O·width), never O(P);</li>
 *   <li>Jacobian contraction: when the whole Jacobian fits M/2 — e·[N·O·P (twice for a cross kernel) + G_N + N·h̃]
 *       with G_N the Gram product of all N (N² or (N·O)²) — it is materialised: each example's J formed once, from
 *       chunks planned as the structured form within the rest of M, then contracted in column chunks of at most
 *       C = {@link Builder#maxParameterChunk} (default 8192). Otherwise the same as structured plus
 *       2B·(max_{l<L} n_l + 1)·e for h̃ must fit M/2, and the two Jacobian chunks, 2·e·(B·O + O)·C, the rest — J
 *       (N·O·P) never exists whole;</li>
 *   <li>outside M: the result and its fp64 accumulator, N1·N2·(values per pair) doubles each.</li>
 * </ul>
 * Example (d = 64, hidden 512·512, O = 10, N = 128, fp32, TRACE): structured ≈ 13 MB, Jacobian contraction
 * ≈ 13 MB + 42 MB per Jacobian chunk (one for Θ(x, x), two for a cross kernel), against 1.5 GB for the whole J.
 * When the examples do not fit one chunk (B &lt; N), blocks of chunk pairs are computed and each chunk's
 * backpropagation is repeated for every block it takes part in (that part's time grows by about N/B; results are
 * unchanged). {@link #forward}, {@link #jacobian} and {@link #mseLossGradient} chunk the examples the same way.
 *
 * <h2>Accuracy (fp32)</h2>
 * Every Gram product is formed in fp32 over at most one chunk — structured: one layer's width (O·width in TRACE);
 * Jacobian contraction: C columns (O·C in TRACE) — and added into an fp64 accumulator, so the error is set by the
 * chunk, not by P: a block's relative error is about √K·u for a reduction of length K (K·u worst case), u = 6·10⁻⁸,
 * and the fp64 sum over P/C chunks adds nothing measurable. Measured against fp64 (d = 64, two hidden layers of w,
 * O = 10, N = 8): structured 5·10⁻⁸–1.2·10⁻⁷ and chunked Jacobian contraction 3·10⁻⁸–8·10⁻⁸ for every P from 9·10³
 * to 1.7·10⁷ (w = 64 … 4096), while one fp32 reduction per layer (no chunking) already reaches 2.7·10⁻⁷ at
 * P = 1.1·10⁶ and grows with P. fp64 agrees with the reference to ~10⁻¹⁵. Results are rounded to fp32 at
 * the end, so the values returned are exactly representable floats.
 *
 * <h2>Prepared models</h2>
 * {@link #prepare} gives a {@code CpuPreparedModel}: the working-precision weights stay converted between calls and
 * {@link PreparedModel#step} updates them in place next to an fp64 master copy, without allocating or converting P
 * values per step; its trajectory is bit for bit the one of the stateless calls.
 *
 * <h2>Threads</h2>
 * Calls on one instance may come from several threads. One level of parallelism owns the cores: the native BLAS
 * runs single-threaded ({@link BlasSelection} sets it so) and the backend's pool runs both the elementwise work and
 * the products, cut into one piece per thread (see {@code MatrixProducts}). Letting OpenBLAS thread its own products as well
 * had its idle threads spin against the pool's between calls. {@link #lastProfile()} reports the most recent call.
 */
public final class CpuBackend extends Backend {
    /** Default cap on the Jacobian columns per chunk (see the class comment). */
    public static final int DEFAULT_MAX_PARAMETER_CHUNK = org.ntk4j.CpuOptions.DEFAULT_MAX_PARAMETER_CHUNK;

    private final Precision precision;
    private final Pool pool;
    private final MatrixProducts la;
    private final ElementwiseOps kernels;
    private final Arith<?> ar;
    private final long budget;
    private final int maxParameterChunk;
    private volatile CpuProfile last;

    private CpuBackend(Builder b) {
        this.precision = b.precision;
        this.pool = new Pool(b.threads);
        try {
            this.la = MatrixProducts.open(b.blas != null ? b.blas : BlasSelection.current().requested(), pool);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        this.kernels = ElementwiseOps.best(b.vectorApi);
        this.ar = precision == Precision.FP64 ? new Arith64(la, kernels, pool) : new Arith32(la, kernels, pool);
        this.budget = b.memoryBudget;
        this.maxParameterChunk = b.maxParameterChunk;
    }

    /** A builder with the defaults: fp32, AUTO BLAS, all cores, Vector API when present. */
    public static Builder builder() {
        return new Builder();
    }

    /** A backend with the defaults in this precision. */
    public static CpuBackend open(Precision precision) {
        return builder().precision(precision).build();
    }

    /** Whether this process has a native BLAS (system or bundled; see {@link BlasSelection}). */
    public static boolean nativeBlasAvailable() {
        return MatrixProducts.nativeAvailable();
    }

    /**
     * GFLOP/s of an n×n×n product in fp32 or fp64 through this backend's BLAS and thread split, best of 3 after a
     * warm-up (for {@code ntk devices} and benchmarks).
     */
    public double gemmGflops(boolean fp64, int n) {
        if (n < 1) {
            throw new InvalidInputException("product size must be positive, got " + n);
        }
        enter();
        try {
            return la.gemmGflops(fp64, n);
        } finally {
            exit();
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu " + precision.name().toLowerCase() + " (" + la.description() + ", " + kernels.description() + ", "
                + pool.threads() + (pool.threads() == 1 ? " thread)" : " threads)");
    }

    @Override
    public Precision precision() {
        return precision;
    }

    /** Whether products go to the system BLAS (true) or the pure-Java one. */
    public boolean nativeBlas() {
        return la.isNative();
    }

    /** Whether the elementwise loops use the Vector API. */
    public boolean vectorApi() {
        return kernels.vectorized();
    }

    /** Worker threads. */
    public int threads() {
        return pool.threads();
    }

    /** The working-memory budget in bytes. */
    public long memoryBudget() {
        return budget;
    }

    /** Timings of the most recent call on this instance, or null before the first. */
    public CpuProfile lastProfile() {
        return last;
    }

    @Override
    protected Matrix computeForward(Parameters params, Matrix x) {
        CpuProfile.Timer timer = begin("forward");
        Matrix out = derivatives(ar, params, timer).forward(x);
        end(timer);
        return out;
    }

    @Override
    protected LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
        CpuProfile.Timer timer = begin("mse-gradient");
        LossGradient g = derivatives(ar, params, timer).mseLossGradient(x, y);
        end(timer);
        return g;
    }

    @Override
    protected Matrix computeJacobian(Parameters params, Matrix x) {
        CpuProfile.Timer timer = begin("jacobian");
        Matrix j = derivatives(ar, params, timer).jacobian(x);
        end(timer);
        return j;
    }

    @Override
    protected Tensor computeKernel(Parameters params, Matrix x1, Matrix x2r, boolean symmetric, NtkMode mode,
                                   Implementation implementation) {
        return runKernel(new Network<>(ar, params), x1, x2r, symmetric, mode, implementation);
    }

    /** The FULL kernel straight from the Gram layout the products come out in: no reordering. */
    @Override
    protected Matrix computeKernelMatrix(Parameters params, Matrix x1, Matrix x2r, boolean symmetric,
                                         Implementation implementation) {
        return runKernelMatrix(new Network<>(ar, params), x1, x2r, symmetric, implementation);
    }

    /**
     * The Gram product J1·J2ᵀ of two row-major matrices with the same number of columns — the Jacobian-contraction
     * kernel for Jacobians that come from elsewhere (any model; rows (n, a) as {@link #jacobian} lays them out).
     * Columns are converted to the working precision in chunks that fit the memory budget and each chunk's product
     * is added into an fp64 accumulator. With {@code j2} the same instance as j1 only the upper triangle is formed
     * and then mirrored, so the result is exactly symmetric.
     */
    public Matrix gram(Matrix j1, Matrix j2) {
        enter();
        try {
            return checkedGram(j1, j2);
        } finally {
            exit();
        }
    }

    private Matrix checkedGram(Matrix j1, Matrix j2) {
        requireMatrix(j1, "j1");
        if (j2 != j1) {
            requireMatrix(j2, "j2");
            if (j2.cols() != j1.cols()) {
                throw new InvalidInputException("j1 has " + j1.cols() + " columns but j2 has " + j2.cols()
                        + "; a Gram product contracts over equal column counts");
            }
        }
        CpuProfile.Timer timer = begin("gram");
        Matrix g = gram(ar, j1, j2, timer);
        end(timer);
        return g;
    }

    private static void requireMatrix(Matrix m, String name) {
        if (m == null) {
            throw new InvalidInputException(name + " is missing");
        }
        if (m.rows() == 0 || m.cols() == 0) {
            throw new InvalidInputException(name + " is empty (" + m.rows() + " × " + m.cols() + ")");
        }
        Validation.requireFinite(m, name);
    }

    private <A> Matrix gram(Arith<A> arith, Matrix j1, Matrix j2, CpuProfile.Timer timer) {
        boolean symmetric = j1 == j2;
        int r1 = j1.rows();
        int r2 = j2.rows();
        int cols = j1.cols();
        long perColumn = (long) arith.bytes() * (r1 + (symmetric ? 0 : r2) + 2);
        int chunk = (int) Math.max(1, Math.min(cols, Math.min(budget / perColumn, (Integer.MAX_VALUE - 64) / (r1 + r2 + 2))));
        timer.parameterChunk = chunk;
        KernelSum sum = new KernelSum(NtkMode.TRACE, r1, r2, 1, symmetric);
        A a = arith.matrix(r1, chunk);
        A b = symmetric ? a : arith.matrix(r2, chunk);
        A g = arith.matrix(r1, r2);
        for (int c0 = 0; c0 < cols; c0 += chunk) {
            int w = Math.min(chunk, cols - c0);
            long t = System.nanoTime();
            copyColumns(arith, j1, c0, w, a);
            if (!symmetric) {
                copyColumns(arith, j2, c0, w, b);
            }
            timer.fill += System.nanoTime() - t;
            t = System.nanoTime();
            if (symmetric) {
                arith.gramUpper(r1, w, 1.0, a, 0, w, g, 0, r2);
            } else {
                arith.gemmABt(r1, r2, w, 1.0, a, 0, w, b, 0, w, 0.0, g, 0, r2);
            }
            timer.gram += System.nanoTime() - t;
            t = System.nanoTime();
            pool.parallelFor(r1, r2, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int start = symmetric ? i : 0;
                    arith.accumulate(sum.acc, i * r2 + start, g, i * r2 + start, r2 - start);
                }
            });
            timer.accumulate += System.nanoTime() - t;
            timer.parameterChunks++;
        }
        return sum.finish(arith).asMatrix();
    }

    private <A> void copyColumns(Arith<A> arith, Matrix m, int c0, int w, A dst) {
        int cols = m.cols();
        double[] src = m.data();
        pool.parallelFor(m.rows(), w, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                arith.fromDouble(src, i * cols + c0, dst, i * w, w);
            }
        });
    }

    @Override
    protected PreparedModel createPreparedModel(Parameters params) {
        return new CpuPreparedModel<>(this, ar, params);
    }

    // ---- the calls of a prepared model: its own network, this backend's planning, pool and profile ----

    <A> Matrix preparedForward(Network<A> net, Matrix x) {
        enter();
        try {
            CpuProfile.Timer timer = begin("forward");
            Matrix out = new Derivatives<>(net, timer, budget).forward(x);
            end(timer);
            return out;
        } finally {
            exit();
        }
    }

    /** The loss; the gradient (rounded to the working precision) into {@code grad}. */
    <A> double preparedGradient(Network<A> net, Matrix x, Matrix y, double[] grad) {
        enter();
        try {
            CpuProfile.Timer timer = begin("mse-gradient");
            double loss = new Derivatives<>(net, timer, budget).mseLossGradient(x, y, grad);
            end(timer);
            return loss;
        } finally {
            exit();
        }
    }

    <A> Tensor preparedNtk(Network<A> net, Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                           Implementation implementation) {
        enter();
        try {
            return runKernel(net, x1, x2, symmetric, mode, implementation);
        } finally {
            exit();
        }
    }

    /** The network of these parameters in this backend's precision (for planning in tests). */
    Network<?> network(Parameters params) {
        return new Network<>(ar, params);
    }

    /** Runs body over [0, n) on this backend's pool (for a prepared model's in-place update). */
    void parallelFor(int n, long costPerIndex, Pool.RangeBody body) {
        pool.parallelFor(n, costPerIndex, body);
    }

    private static boolean structured(Network<?> net, NtkMode mode, Implementation implementation) {
        return implementation == Implementation.AUTO ? net.autoStructured(mode)
                : implementation == Implementation.STRUCTURED;
    }

    private <A> Tensor runKernel(Network<A> net, Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                           Implementation implementation) {
        boolean structured = structured(net, mode, implementation);
        ChunkPlan plan = ChunkPlan.forNtk(net, x1.rows(), x2.rows(), symmetric, mode, structured, budget, ar.bytes(),
                maxParameterChunk, pool.threads());
        CpuProfile.Timer timer = begin("ntk " + (structured ? "structured" : "jacobian_contraction") + " "
                + mode.name().toLowerCase());
        Tensor t = new NtkCompute<>(net, timer).compute(x1, x2, symmetric, mode, structured, plan);
        end(timer);
        return t;
    }

    private <A> Matrix runKernelMatrix(Network<A> net, Matrix x1, Matrix x2, boolean symmetric,
                                 Implementation implementation) {
        boolean structured = structured(net, NtkMode.FULL, implementation);
        ChunkPlan plan = ChunkPlan.forNtk(net, x1.rows(), x2.rows(), symmetric, NtkMode.FULL, structured, budget, ar.bytes(),
                maxParameterChunk, pool.threads());
        CpuProfile.Timer timer = begin("ntk-matrix " + (structured ? "structured" : "jacobian_contraction"));
        Matrix m = new NtkCompute<>(net, timer).computeMatrix(x1, x2, symmetric, structured, plan);
        end(timer);
        return m;
    }

    private <A> Derivatives<A> derivatives(Arith<A> arith, Parameters params, CpuProfile.Timer timer) {
        return new Derivatives<>(new Network<>(arith, params), timer, budget);
    }

    private CpuProfile.Timer begin(String operation) {
        la.resetCounters();
        return new CpuProfile.Timer(operation);
    }

    private void end(CpuProfile.Timer timer) {
        last = timer.finish(la);
    }

    @Override
    protected void release() {
        pool.close();
    }

    /** Options of a {@link CpuBackend}. */
    public static final class Builder {
        private Precision precision = Precision.FP32;
        private Blas blas; // null: the process's choice, ntk4j.blas
        private int threads = Runtime.getRuntime().availableProcessors();
        private long memoryBudget = Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
        private int maxParameterChunk = DEFAULT_MAX_PARAMETER_CHUNK;
        private boolean vectorApi = true;

        private Builder() {
        }

        /** FP32 (default) or FP64; TF32 exists only on CUDA. */
        public Builder precision(Precision p) {
            if (p == null) {
                throw new InvalidInputException("precision must be given");
            }
            if (p == Precision.TF32) {
                throw new BackendUnavailableException("the cpu backend computes in fp32 or fp64; tf32 is CUDA only");
            }
            this.precision = p;
            return this;
        }

        /** Which BLAS (default: the process's choice, {@value Blas#PROPERTY}). */
        public Builder blas(Blas choice) {
            if (choice == null) {
                throw new InvalidInputException("BLAS choice must be given");
            }
            this.blas = choice;
            return this;
        }

        /** Worker threads (default: available processors). */
        public Builder threads(int n) {
            this.threads = org.ntk4j.spi.BackendConfig.requireThreads(n);
            return this;
        }

        /** Working-memory budget in bytes (see the class comment); tiny values force many small chunks. */
        public Builder memoryBudget(long bytes) {
            if (bytes < 1) {
                throw new InvalidInputException("memory budget must be positive, got " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /** Largest number of Jacobian columns per chunk in Jacobian contraction. */
        public Builder maxParameterChunk(int columns) {
            if (columns < 1) {
                throw new InvalidInputException("parameter chunk must be at least 1 column, got " + columns);
            }
            this.maxParameterChunk = columns;
            return this;
        }

        /** Use the Vector API when its module is present (default true); false forces the plain loops. */
        public Builder vectorApi(boolean use) {
            this.vectorApi = use;
            return this;
        }

        public CpuBackend build() {
            return new CpuBackend(this);
        }
    }
}
