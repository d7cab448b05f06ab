package org.ntk4j.cuda;

/**
 * Typed launchers for the kernels in {@code cuda/*.cu}: entry-point names, argument order and types, grids and
 * blocks, and the split-K heuristic, exactly as {@code cuda/README.md} documents them (native/kernels.h is the C++
 * twin of this class). Device pointers are passed as {@code long} addresses (0 for null).
 */
final class Kernels {

    /** Storage type of a kernel instantiation. */
    enum Elem {
        F32(4, "f32", 128, 128),
        F64(8, "f64", 64, 64);

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

    static final int BK = 16;
    static final int THREADS = 256;
    /** Activation codes of cuda/common.cuh. */
    static final int ACT_IDENTITY = 0;

    private final CudaDevice dev;
    private final int sms;

    Kernels(CudaDevice dev) {
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
     * Split-K count: 1 when the output tiles fill the GPU once; otherwise enough splits for about two blocks per SM,
     * keeping at least 16 k-tiles per split, at most 64 splits, and the partials within {@code maxWsElements}.
     */
    int chooseSplits(long m, long n, int batch, long k, int bm, int bn, long maxWsElements) {
        long tiles = (long) cdiv(m, bm) * cdiv(n, bn) * batch;
        if (tiles >= sms) {
            return 1;
        }
        long s = (2L * sms + tiles - 1) / tiles;
        s = Math.min(s, ((k + BK - 1) / BK) / 16);
        s = Math.min(s, 64);
        s = Math.min(s, 65535 / Math.max(1, batch));
        long per = m * n * batch;
        if (per > 0) {
            s = Math.min(s, maxWsElements / per);
        }
        return (int) Math.max(1, s);
    }

    // ---- gram.cu ----------------------------------------------------------------------------------------

    /** C = alpha·A·Bᵀ + beta·C per batch entry; {@code ws} holds batch·splits·M·N elements when splits > 1. */
    void gram(Elem e, boolean tf32, int m, int n, long k, long a, long lda, long sA, long b, long ldb, long sB, long c,
              long ldc, long sC, double alpha, double beta, int batch, int splits, long ws, boolean upper) {
        if (tf32 && e != Elem.F32) {
            throw new IllegalArgumentException("TF32 needs fp32 storage");
        }
        int bm = tf32 ? 128 : e.bm;
        int bn = tf32 ? 128 : e.bn;
        String name = tf32 ? "ntk_gram_nt_tf32" : "ntk_gram_nt_" + e.suffix;
        dev.launch(name, cdiv(n, bn), cdiv(m, bm), batch * splits, THREADS, 1, 1,
                m, n, k, a, lda, sA, b, ldb, sB, c, ldc, sC, e.scalar(alpha), e.scalar(beta), splits, ws, upper ? 1 : 0);
        if (splits > 1) {
            dev.launch("ntk_gram_splitk_reduce_" + e.suffix, strideGrid((long) batch * m * n), 1, 1, THREADS, 1, 1,
                    ws, batch, splits, m, n, upper ? 1 : 0, c, ldc, sC, e.scalar(alpha), e.scalar(beta));
        }
        if (upper) {
            dev.launch("ntk_gram_mirror_" + e.suffix, cdiv(n, 32), cdiv(n, 32), batch, 32, 8, 1, c, n, ldc, sC);
        }
    }

    // ---- structured.cu ----------------------------------------------------------------------------------

    /** {M, N, batch} of the delta-Gram for a structured mode (0 full, 1 trace, 2 diagonal). */
    static int[] structDims(int mode, int n1, int n2, int o) {
        return new int[] {mode == 0 ? n1 * o : n1, mode == 0 ? n2 * o : n2, mode == 2 ? o : 1};
    }

    int structSplits(Elem e, int mode, int n1, int n2, int o, int width, long maxWs) {
        int[] d = structDims(mode, n1, n2, o);
        long k = mode == 1 ? (long) width * o : width;
        return chooseSplits(d[0], d[1], d[2], k, e.bm, e.bn, maxWs);
    }

    void structLayer(Elem e, int mode, int n1, int n2, int o, int width, long d1, long d2, long gh, long ldgh, double c2,
                     double s2, double beta, long theta, int splits, long ws) {
        int[] d = structDims(mode, n1, n2, o);
        dev.launch("ntk_struct_layer_" + e.suffix, cdiv(d[1], e.bn), cdiv(d[0], e.bm), d[2] * splits, THREADS, 1, 1,
                mode, n1, n2, o, width, d1, d2, gh, ldgh, e.scalar(c2), e.scalar(s2), e.scalar(beta), theta, splits, ws);
        if (splits > 1) {
            dev.launch("ntk_struct_splitk_reduce_" + e.suffix, strideGrid((long) d[2] * d[0] * d[1]), 1, 1, THREADS, 1, 1,
                    ws, mode, n1, n2, o, width, gh, ldgh, e.scalar(c2), e.scalar(s2), e.scalar(beta), theta, splits);
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

    void weightGrad(Elem e, int n, int nOut, int nIn, long d, long h, double c, long dw) {
        dev.launch("ntk_weight_grad_" + e.suffix, cdiv(nIn, 64), cdiv(nOut, 64), 1, THREADS, 1, 1,
                n, nOut, nIn, d, h, e.scalar(c), dw);
    }

    void biasGrad(Elem e, int n, int nOut, long d, double s, long db) {
        dev.launch("ntk_bias_grad_" + e.suffix, strideGrid(nOut), 1, 1, THREADS, 1, 1, n, nOut, d, e.scalar(s), db);
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
        int gy = Math.min(65535, Math.max(1, (r + 7) / 8));
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

    void jcToFull(Elem e, int n1, int n2, int o, long g, long ldg, long full) {
        dev.launch("ntk_jc_to_full_" + e.suffix, strideGrid((long) n1 * n2 * o * o), 1, 1, THREADS, 1, 1,
                n1, n2, o, g, ldg, full);
    }

    void fullToTrace(Elem e, int n1, int n2, int o, long full, long out) {
        dev.launch("ntk_full_to_trace_" + e.suffix, strideGrid((long) n1 * n2), 1, 1, THREADS, 1, 1, n1, n2, o, full, out);
    }

    void fullToDiag(Elem e, int n1, int n2, int o, long full, long out) {
        dev.launch("ntk_full_to_diag_" + e.suffix, strideGrid((long) n1 * n2 * o), 1, 1, THREADS, 1, 1,
                n1, n2, o, full, out);
    }
}
