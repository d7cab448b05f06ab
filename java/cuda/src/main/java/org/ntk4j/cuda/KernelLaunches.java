package org.ntk4j.cuda;

import org.ntk4j.NtkMode;

/**
 * Typed launchers for the kernels in {@code cuda/*.cu}: entry-point names, argument order and types, grids and
 * blocks, and the split-K heuristic, exactly as {@code cuda/README.md} documents them (native/kernels.h is the C++
 * twin of this class). Device pointers are passed as {@code long} addresses (0 for null).
 *
 * <p>The launch constants below mirror {@code cuda/launch_config.h}, which the kernels and the native host include;
 * {@code LaunchConfigTest} fails when they differ.
 */
final class KernelLaunches {
    /** Threads per block of every GEMM-shaped kernel. */
    static final int THREADS = 256;
    static final int F32_BM = 128;
    static final int F32_BN = 128;
    static final int F64_BM = 64;
    static final int F64_BN = 64;
    static final int TF32_BM = 128;
    static final int TF32_BN = 128;
    static final int BK = 16;
    /** Longest fp32 accumulation chain; beyond it slices are summed in fp64 (through the workspace). */
    static final int SLICE_K = 8192;
    static final int SPLIT_BLOCKS_PER_SM = 2;
    static final int SPLIT_MIN_KTILES = 16;
    static final int SPLIT_MAX = 64;
    /** Largest grid y and z. */
    static final int MAX_GRID_YZ = 65535;
    /** A Jacobian chunk's leading dimension is a multiple of this many elements (16-byte rows for cp.async). */
    static final int J_LD_ALIGN = 32;

    /** Storage type of a kernel instantiation. */
    enum Elem {
        F32(4, "f32", F32_BM, F32_BN),
        F64(8, "f64", F64_BM, F64_BN);

        final int bytes;
        final String suffix;
        final int bm;
        final int bn;

        Elem(int bytes, String suffix, int bm, int bn) {
            this.bytes = bytes;
            this.suffix = suffix;
            this.bm = bm;
            this.bn = bn;
        }

        /** The scalar boxed as the kernel's T. */
        Object scalar(double v) {
            return this == F32 ? (Object) (float) v : (Object) v;
        }
    }

    /** Activation codes of cuda/common.cuh. */
    static final int ACT_IDENTITY = 0;

    private final CudaDevice dev;
    private final int sms;

    KernelLaunches(CudaDevice dev) {
        this.dev = dev;
        this.sms = dev.info().multiprocessors();
    }

    static int cdiv(long a, long b) {
        long q = (a + b - 1) / b;
        if (q > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid dimension " + q + " too large");
        }
        return (int) q;
    }

    static int strideGrid(long n) {
        return (int) Math.max(1, Math.min(65536, (n + 255) / 256));
    }

    /** The fp64 scalar argument of the Gram and structured kernels (fp64 for every input type). */
    private static Object f64(double v) {
        return v;
    }

    /**
     * Whether a Gram or structured launch sums into the fp64 workspace and needs the reduce pass: with split-K, and
     * when an fp32 (or TF32) product is longer than one slice. Mirrors {@code uses_workspace} in gemm_nt.cuh.
     */
    static boolean usesWorkspace(boolean fp32, long k, int splits) {
        return splits > 1 || (fp32 && k > SLICE_K);
    }

    /** fp64 workspace elements such a launch needs (0: none). */
    static long workspaceElements(boolean fp32, long k, int splits, long batch, long m, long n) {
        return usesWorkspace(fp32, k, splits) ? (long) splits * batch * m * n : 0;
    }

    /** A Jacobian chunk's leading dimension for {@code width} columns: rounded up to {@link #J_LD_ALIGN}. */
    static long jacobianLd(long width) {
        return (width + J_LD_ALIGN - 1) / J_LD_ALIGN * J_LD_ALIGN;
    }

    static int activationCode(org.ntk4j.model.Activation a) {
        return switch (a) {
            case IDENTITY -> 0;
            case RELU -> 1;
            case ERF -> 2;
            case TANH -> 3;
            case GELU -> 4;
        };
    }

    /**
     * Split-K count: 1 when the output tiles fill the GPU once (in the upper-triangle mode only the T(T+1)/2 tiles on
     * or above the diagonal run); otherwise about {@link #SPLIT_BLOCKS_PER_SM} blocks per SM, keeping at least
     * {@link #SPLIT_MIN_KTILES} k-tiles per split, at most {@link #SPLIT_MAX} splits, and the partials within
     * {@code maxWsElements}.
     */
    int chooseSplits(long m, long n, int batch, long k, int bm, int bn, long maxWsElements, boolean upper) {
        return chooseSplits(sms, m, n, batch, k, bm, bn, maxWsElements, upper);
    }

    static int chooseSplits(int sms, long m, long n, int batch, long k, int bm, int bn, long maxWsElements,
                            boolean upper) {
        long tm = cdiv(m, bm);
        long tn = cdiv(n, bn);
        long tiles = (upper ? tm * (tm + 1) / 2 : tm * tn) * batch;
        if (tiles >= sms) {
            return 1;
        }
        long s = ((long) SPLIT_BLOCKS_PER_SM * sms + tiles - 1) / tiles;
        s = Math.min(s, ((k + BK - 1) / BK) / SPLIT_MIN_KTILES);
        s = Math.min(s, SPLIT_MAX);
        s = Math.min(s, MAX_GRID_YZ / Math.max(1, batch));
        long per = m * n * batch;
        if (per > 0) {
            s = Math.min(s, maxWsElements / per);
        }
        return (int) Math.max(1, s);
    }

    // ---- gram.cu ----------------------------------------------------------------------------------------

    /**
     * C (fp64) = alpha·A·Bᵀ + beta·C per batch entry, A and B of type {@code e}; {@code ws} (fp64) holds
     * {@link #workspaceElements} elements. With {@code upper} (B is A) and beta ≠ 0 the incoming C must be symmetric.
     */
    void gram(Elem e, boolean tf32, int m, int n, long k, long a, long lda, long sA, long b, long ldb, long sB, long c,
              long ldc, long sC, double alpha, double beta, int batch, int splits, long ws, boolean upper) {
        if (tf32 && e != Elem.F32) {
            throw new IllegalArgumentException("TF32 needs fp32 storage");
        }
        int bm = tf32 ? TF32_BM : e.bm;
        int bn = tf32 ? TF32_BN : e.bn;
        String name = tf32 ? "ntk_gram_nt_tf32" : "ntk_gram_nt_" + e.suffix;
        dev.launch(name, cdiv(n, bn), cdiv(m, bm), batch * splits, THREADS, 1, 1,
                m, n, k, a, lda, sA, b, ldb, sB, c, ldc, sC, f64(alpha), f64(beta), splits, ws, upper ? 1 : 0);
        if (usesWorkspace(e == Elem.F32, k, splits)) {
            dev.launch("ntk_gram_splitk_reduce", strideGrid((long) batch * m * n), 1, 1, THREADS, 1, 1,
                    ws, batch, splits, m, n, upper ? 1 : 0, c, ldc, sC, f64(alpha), f64(beta));
        }
        if (upper) {
            dev.launch("ntk_gram_mirror", cdiv(n, 32), cdiv(n, 32), batch, 32, 8, 1, c, n, ldc, sC);
        }
    }

    // ---- structured.cu ----------------------------------------------------------------------------------

    /** The kernels' code of a mode (structured.cu: 0 full, 1 trace, 2 diagonal); the only place it is spelled out. */
    static int modeCode(NtkMode mode) {
        return switch (mode) {
            case FULL -> 0;
            case TRACE -> 1;
            case DIAGONAL -> 2;
        };
    }

    /** {M, N, batch} of the delta-Gram for a structured mode. */
    static int[] structDims(NtkMode mode, int n1, int n2, int o) {
        boolean full = mode == NtkMode.FULL;
        return new int[] {full ? n1 * o : n1, full ? n2 * o : n2, mode == NtkMode.DIAGONAL ? o : 1};
    }

    /** The reduction length of the structured δ-Gram: O·width in trace mode, width otherwise. */
    static long structK(NtkMode mode, int o, int width) {
        return mode == NtkMode.TRACE ? (long) width * o : width;
    }

    int structSplits(Elem e, NtkMode mode, int n1, int n2, int o, int width, long maxWs) {
        int[] d = structDims(mode, n1, n2, o);
        return chooseSplits(d[0], d[1], d[2], structK(mode, o, width), e.bm, e.bn, maxWs, false);
    }

    static long structWorkspaceElements(Elem e, NtkMode mode, int n1, int n2, int o, int width, int splits) {
        int[] d = structDims(mode, n1, n2, o);
        return workspaceElements(e == Elem.F32, structK(mode, o, width), splits, d[2], d[0], d[1]);
    }

    /** Θ (fp64) = beta·Θ + (c2·Gh + s2) ⊙ δ-Gram, Gh fp64, δ of type {@code e}; ws as {@link #structWorkspaceElements}. */
    void structLayer(Elem e, NtkMode mode, int n1, int n2, int o, int width, long d1, long d2, long gh, long ldgh, double c2,
                     double s2, double beta, long theta, int splits, long ws) {
        int[] d = structDims(mode, n1, n2, o);
        dev.launch("ntk_struct_layer_" + e.suffix, cdiv(d[1], e.bn), cdiv(d[0], e.bm), d[2] * splits, THREADS, 1, 1,
                modeCode(mode), n1, n2, o, width, d1, d2, gh, ldgh, f64(c2), f64(s2), f64(beta), theta, splits, ws);
        if (usesWorkspace(e == Elem.F32, structK(mode, o, width), splits)) {
            dev.launch("ntk_struct_splitk_reduce", strideGrid((long) d[2] * d[0] * d[1]), 1, 1, THREADS, 1, 1,
                    ws, modeCode(mode), n1, n2, o, width, gh, ldgh, f64(c2), f64(s2), f64(beta), theta, splits);
        }
    }

    // ---- forward.cu / backward.cu / jacobian.cu ---------------------------------------------------------

    void forward(Elem e, int n, int nOut, int nIn, long h, long ldh, long w, long b, double c, double s, int act, long z,
                 long hn) {
        dev.launch("ntk_forward_" + e.suffix, cdiv(nOut, e.bn), cdiv(n, e.bm), 1, THREADS, 1, 1,
                n, nOut, nIn, h, ldh, w, b, e.scalar(c), e.scalar(s), act, z, hn);
    }

    void backwardDelta(Elem e, int r, int nIn, int nOut, long dNext, long wt, long z, int rpe, double c, int act,
                       long dOut) {
        dev.launch("ntk_backward_delta_" + e.suffix, cdiv(nIn, e.bn), cdiv(r, e.bm), 1, THREADS, 1, 1,
                r, nIn, nOut, dNext, wt, z, rpe, e.scalar(c), act, dOut);
    }

    /** dW = c·Dᵀ·H, or dW += c·Dᵀ·H with {@code accumulate} (tiles of examples). */
    void weightGrad(Elem e, int n, int nOut, int nIn, long d, long h, double c, boolean accumulate, long dw) {
        dev.launch("ntk_weight_grad_" + e.suffix, cdiv(nIn, 64), cdiv(nOut, 64), 1, THREADS, 1, 1,
                n, nOut, nIn, d, h, e.scalar(c), accumulate ? 1 : 0, dw);
    }

    void biasGrad(Elem e, int n, int nOut, long d, double s, boolean accumulate, long db) {
        dev.launch("ntk_bias_grad_" + e.suffix, strideGrid(nOut), 1, 1, THREADS, 1, 1, n, nOut, d, e.scalar(s),
                accumulate ? 1 : 0, db);
    }

    void deltaSeedIdentity(Elem e, int n, int o, long d) {
        dev.launch("ntk_delta_seed_identity_" + e.suffix, strideGrid((long) n * o * o), 1, 1, THREADS, 1, 1, n, o, d);
    }

    /** Returns the number of partial sums written (one per block, at most {@code maxBlocks}). */
    int mseResidual(Elem e, long count, long f, long y, double scale, long d, long partials, int maxBlocks) {
        int blocks = (int) Math.max(1, Math.min(maxBlocks, (count + 255) / 256));
        dev.launch("ntk_mse_residual_" + e.suffix, blocks, 1, 1, THREADS, 1, 1, count, f, y, e.scalar(scale), d,
                partials);
        return blocks;
    }

    void sumPartials(long partials, int n, double scale, long out) {
        dev.launch("ntk_sum_partials", 1, 1, 1, THREADS, 1, 1, partials, n, scale, out);
    }

    void jacobianLayer(Elem e, int r, int rpe, int nOut, int nIn, long d, long h, double c, double s, boolean bias,
                       long q0, long q1, long j, long ldj, long jcol0) {
        if (q1 <= q0) {
            return;
        }
        int gy = Math.min(MAX_GRID_YZ, Math.max(1, (r + 7) / 8));
        dev.launch("ntk_jacobian_layer_" + e.suffix, cdiv(q1 - q0, 256), gy, 1, THREADS, 1, 1,
                r, rpe, nOut, nIn, d, h, e.scalar(c), e.scalar(s), bias ? 1 : 0, q0, q1, j, ldj, jcol0);
    }

    // ---- helpers.cu -------------------------------------------------------------------------------------

    void fill(Elem e, long x, long n, double v) {
        dev.launch("ntk_fill_" + e.suffix, strideGrid(n), 1, 1, THREADS, 1, 1, x, n, e.scalar(v));
    }

    void fillRandom(Elem e, long x, long n, long seed, double lo, double hi) {
        dev.launch("ntk_fill_random_" + e.suffix, strideGrid(n), 1, 1, THREADS, 1, 1, x, n, seed, e.scalar(lo),
                e.scalar(hi));
    }

    void transpose(Elem e, int rows, int cols, long x, long ldx, long y, long ldy) {
        dev.launch("ntk_transpose_" + e.suffix, cdiv(cols, 32), cdiv(rows, 32), 1, 32, 8, 1, rows, cols, x, ldx, y, ldy);
    }

    // Layout helpers on the fp64 Gram / NTK outputs.

    void jcToFull(int n1, int n2, int o, long g, long ldg, long full) {
        dev.launch("ntk_jc_to_full_f64", strideGrid((long) n1 * n2 * o * o), 1, 1, THREADS, 1, 1,
                n1, n2, o, g, ldg, full);
    }

    void fullToTrace(int n1, int n2, int o, long full, long out) {
        dev.launch("ntk_full_to_trace_f64", strideGrid((long) n1 * n2), 1, 1, THREADS, 1, 1, n1, n2, o, full, out);
    }

    void fullToDiag(int n1, int n2, int o, long full, long out) {
        dev.launch("ntk_full_to_diag_f64", strideGrid((long) n1 * n2 * o), 1, 1, THREADS, 1, 1,
                n1, n2, o, full, out);
    }

    void convertF32ToF64(long x, long y, long n) {
        dev.launch("ntk_convert_f32_to_f64", strideGrid(n), 1, 1, THREADS, 1, 1, x, y, n);
    }

    /** θ ← θ − lr·g elementwise (the update formed in fp64, rounded once to the storage type). */
    void sgdUpdate(Elem e, long x, long g, long n, double lr) {
        dev.launch("ntk_sgd_update_" + e.suffix, strideGrid(n), 1, 1, THREADS, 1, 1, x, g, n, lr);
    }

    /** Writes per-block fp64 partial sums of (x − x0)² to {@code partials}; returns how many (≤ maxBlocks). */
    int sqDistPartials(Elem e, long x, long x0, long n, long partials, int maxBlocks) {
        int blocks = (int) Math.max(1, Math.min(maxBlocks, (n + 255) / 256));
        dev.launch("ntk_sq_dist_partials_" + e.suffix, blocks, 1, 1, THREADS, 1, 1, x, x0, n, partials);
        return blocks;
    }
}
