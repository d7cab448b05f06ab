package org.ntk4j.cpu;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.LongAdder;
import org.ntk4j.BackendUnavailableException;

/**
 * Row-major matrix products on top of a column-major BLAS (dev.ludovic.netlib), in fp32 and fp64, with the
 * work split the way each BLAS needs it:
 * <ul>
 *   <li>native (OpenBLAS): one call per product, OpenBLAS threads it; except Gram products with a small output and
 *       a long reduction (e.g. the trace-mode Jacobian Gram, 128×128 over 10⁵ columns), which OpenBLAS runs on one
 *       thread: those are split along the reduction over the pool and the partial Grams summed;</li>
 *   <li>pure Java: single-threaded and unblocked, so products are cut into 256-wide tiles and reduction panels
 *       (it falls off a cliff on large operands otherwise) and the tiles spread over the pool.</li>
 * </ul>
 * netlib checks operand bounds conservatively (offset + columns·ld must lie inside the array), so every array
 * handed here must carry one leading dimension of slack past its last row; {@link Arith} allocates that way.
 * Gram products define only the upper triangle (row-major i ≤ j); the other triangle is scratch.
 */
final class Linalg {
    private static final int TILE = 256;
    private static final int PANEL = 256;
    /** Below this output size OpenBLAS runs a symmetric rank-k update on one thread. */
    private static final int SMALL_GRAM = 384;
    private static final int SPLIT_MIN_K = 4096;

    private final BLAS blas;
    private final boolean nativeBlas;
    private final String description;
    private final Pool pool;
    private final LongAdder nanos = new LongAdder();
    private final LongAdder flops = new LongAdder();

    private Linalg(BLAS blas, boolean nativeBlas, String description, Pool pool) {
        this.blas = blas;
        this.nativeBlas = nativeBlas;
        this.description = description;
        this.pool = pool;
    }

    static Linalg open(BlasChoice choice, Pool pool) {
        if (choice != BlasChoice.JAVA) {
            BLAS nat = loadNative();
            if (nat != null) {
                return new Linalg(nat, true, nativeDescription(), pool);
            }
            if (choice == BlasChoice.NATIVE) {
                throw new BackendUnavailableException("the system BLAS (" + nativeLibraryName() + ") did not load through"
                        + " JNI; install OpenBLAS (e.g. libopenblas0-pthread) or choose the pure-Java BLAS");
            }
        }
        BLAS java = JavaBLAS.getInstance();
        return new Linalg(java, false, "pure-Java BLAS (" + java.getClass().getSimpleName() + ")", pool);
    }

    /** What {@link BlasChoice#AUTO} would use here. */
    static String describeAvailable() {
        return nativeAvailable() ? nativeDescription() : "pure-Java BLAS (" + JavaBLAS.getInstance().getClass().getSimpleName() + ")";
    }

    /** Whether the system BLAS loads here. */
    static boolean nativeAvailable() {
        return loadNative() != null;
    }

    private static BLAS loadNative() {
        try {
            return NativeBLAS.getInstance();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static String nativeLibraryName() {
        return System.getProperty("dev.ludovic.netlib.blas.nativeLib", "libblas.so.3");
    }

    /** "OpenBLAS 0.3.21 …" when the loaded library is OpenBLAS (asked through FFM), else the library's name. */
    @SuppressWarnings("restricted")
    private static String nativeDescription() {
        String lib = nativeLibraryName();
        if (!Linalg.class.getModule().isNativeAccessEnabled()) {
            return "native BLAS " + lib + " (JNI)";
        }
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            var fn = lookup.find("openblas_get_config");
            if (fn.isPresent()) {
                MemorySegment s = (MemorySegment) Linker.nativeLinker()
                        .downcallHandle(fn.get(), FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
                String[] config = s.reinterpret(256).getString(0).trim().split("\\s+");
                return config.length > 1 && config[0].equals("OpenBLAS") ? "OpenBLAS " + config[1] + " (JNI)"
                        : "OpenBLAS (JNI)";
            }
        } catch (Throwable e) {
            // native access disabled or symbol missing: describe by library name only
        }
        return "native BLAS " + lib + " (JNI)";
    }

    boolean isNative() {
        return nativeBlas;
    }

    String description() {
        return description;
    }

    /** BLAS time and useful floating-point operations since the last reset. */
    long nanos() {
        return nanos.sum();
    }

    long flops() {
        return flops.sum();
    }

    void resetCounters() {
        nanos.reset();
        flops.reset();
    }

    // ---- row-major products, fp32 ----

    /** C(m×n) = α·A(m×k)·B(n×k)ᵀ + β·C. */
    void gemmABt(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 float beta, float[] c, int cOff, int ldc) {
        timedGemm(F, "T", "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    /** C(m×n) = α·A(m×k)·B(k×n) + β·C. */
    void gemmAB(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float beta, float[] c, int cOff, int ldc) {
        timedGemm(F, "N", "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    /** C(m×n) = α·A(k×m)ᵀ·B(k×n) + β·C. */
    void gemmAtB(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 float beta, float[] c, int cOff, int ldc) {
        timedGemm(F, "N", "T", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    /** Upper triangle (i ≤ j) of C(n×n) = α·A(n×k)·A(n×k)ᵀ. */
    void gramUpper(int n, int k, float alpha, float[] a, int aOff, int lda, float[] c, int cOff, int ldc) {
        timedGram(F, n, k, alpha, a, aOff, lda, c, cOff, ldc);
    }

    // ---- row-major products, fp64 ----

    void gemmABt(int m, int n, int k, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                 double beta, double[] c, int cOff, int ldc) {
        timedGemm(D, "T", "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    void gemmAB(int m, int n, int k, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                double beta, double[] c, int cOff, int ldc) {
        timedGemm(D, "N", "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    void gemmAtB(int m, int n, int k, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                 double beta, double[] c, int cOff, int ldc) {
        timedGemm(D, "N", "T", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    void gramUpper(int n, int k, double alpha, double[] a, int aOff, int lda, double[] c, int cOff, int ldc) {
        timedGram(D, n, k, alpha, a, aOff, lda, c, cOff, ldc);
    }

    // ---- column-major machinery shared by both precisions ----

    /** The raw BLAS calls of one precision, column-major. */
    private interface Raw<A> {
        void gemm(BLAS blas, String ta, String tb, int m, int n, int k, double alpha, A a, int aOff, int lda, A b,
                  int bOff, int ldb, double beta, A c, int cOff, int ldc);

        /** Lower triangle of C = α·Aᵀ·A + β·C, A (k×n) column-major. */
        void syrk(BLAS blas, int n, int k, double alpha, A a, int aOff, int lda, double beta, A c, int cOff, int ldc);

        A alloc(int n);

        /** dst's lower triangle (column-major) += src's. */
        void addLower(A dst, int dOff, A src, int n, int ldd);
    }

    private static final Raw<float[]> F = new Raw<>() {
        @Override
        public void gemm(BLAS blas, String ta, String tb, int m, int n, int k, double alpha, float[] a, int aOff,
                         int lda, float[] b, int bOff, int ldb, double beta, float[] c, int cOff, int ldc) {
            blas.sgemm(ta, tb, m, n, k, (float) alpha, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
        }

        @Override
        public void syrk(BLAS blas, int n, int k, double alpha, float[] a, int aOff, int lda, double beta, float[] c,
                         int cOff, int ldc) {
            blas.ssyrk("L", "T", n, k, (float) alpha, a, aOff, lda, (float) beta, c, cOff, ldc);
        }

        @Override
        public float[] alloc(int n) {
            return new float[n];
        }

        @Override
        public void addLower(float[] dst, int dOff, float[] src, int n, int ldd) {
            for (int j = 0; j < n; j++) {
                for (int i = j; i < n; i++) {
                    dst[dOff + i + j * ldd] += src[i + j * n];
                }
            }
        }
    };

    private static final Raw<double[]> D = new Raw<>() {
        @Override
        public void gemm(BLAS blas, String ta, String tb, int m, int n, int k, double alpha, double[] a, int aOff,
                         int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
            blas.dgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }

        @Override
        public void syrk(BLAS blas, int n, int k, double alpha, double[] a, int aOff, int lda, double beta,
                         double[] c, int cOff, int ldc) {
            blas.dsyrk("L", "T", n, k, alpha, a, aOff, lda, beta, c, cOff, ldc);
        }

        @Override
        public double[] alloc(int n) {
            return new double[n];
        }

        @Override
        public void addLower(double[] dst, int dOff, double[] src, int n, int ldd) {
            for (int j = 0; j < n; j++) {
                for (int i = j; i < n; i++) {
                    dst[dOff + i + j * ldd] += src[i + j * n];
                }
            }
        }
    };

    private <A> void timedGemm(Raw<A> raw, String ta, String tb, int m, int n, int k, double alpha, A a, int aOff,
                               int lda, A b, int bOff, int ldb, double beta, A c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        long t0 = System.nanoTime();
        if (nativeBlas) {
            raw.gemm(blas, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            tiledGemm(raw, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
        nanos.add(System.nanoTime() - t0);
        flops.add(2L * m * n * k);
    }

    private <A> void timedGram(Raw<A> raw, int n, int k, double alpha, A a, int aOff, int lda, A c, int cOff, int ldc) {
        if (n == 0) {
            return;
        }
        long t0 = System.nanoTime();
        int parts = pool.threads();
        if (n < SMALL_GRAM && k >= SPLIT_MIN_K && parts > 1) {
            splitGram(raw, n, k, alpha, a, aOff, lda, c, cOff, ldc, parts);
        } else if (nativeBlas) {
            raw.syrk(blas, n, k, alpha, a, aOff, lda, 0.0, c, cOff, ldc);
        } else {
            tiledGram(raw, n, k, alpha, a, aOff, lda, c, cOff, ldc, true);
        }
        nanos.add(System.nanoTime() - t0);
        flops.add((long) n * (n + 1) * k);
    }

    /** A Gram product split along the reduction: part 0 writes C, the others private buffers added in order. */
    private <A> void splitGram(Raw<A> raw, int n, int k, double alpha, A a, int aOff, int lda, A c, int cOff, int ldc,
                               int parts) {
        int step = ((k + parts - 1) / parts + 63) & ~63;
        @SuppressWarnings("unchecked")
        A[] partial = (A[]) new Object[parts];
        Runnable[] tasks = new Runnable[parts];
        for (int p = 0; p < parts; p++) {
            int part = p;
            int k0 = Math.min(k, p * step);
            int k1 = Math.min(k, k0 + step);
            tasks[p] = () -> {
                A out = part == 0 ? c : raw.alloc(n * n + n);
                int off = part == 0 ? cOff : 0;
                int ld = part == 0 ? ldc : n;
                if (k1 <= k0) {
                    return; // only trailing parts can be empty (part 0 starts at 0 and k ≥ SPLIT_MIN_K)
                }
                if (nativeBlas) {
                    raw.syrk(blas, n, k1 - k0, alpha, a, aOff + k0, lda, 0.0, out, off, ld);
                } else {
                    tiledGram(raw, n, k1 - k0, alpha, a, aOff + k0, lda, out, off, ld, false);
                }
                partial[part] = out;
            };
        }
        pool.invokeAll(tasks);
        for (int p = 1; p < parts; p++) {
            if (partial[p] != null) {
                raw.addLower(c, cOff, partial[p], n, ldc);
            }
        }
    }

    /** Column-major C(m×n) = α·op(A)·op(B) + β·C in tiles and reduction panels, tiles spread over the pool. */
    private <A> void tiledGemm(Raw<A> raw, String ta, String tb, int m, int n, int k, double alpha, A a, int aOff,
                               int lda, A b, int bOff, int ldb, double beta, A c, int cOff, int ldc) {
        int tm = (m + TILE - 1) / TILE;
        int tn = (n + TILE - 1) / TILE;
        boolean transA = ta.equals("T");
        boolean transB = tb.equals("T");
        pool.parallelFor(tm * tn, (long) TILE * TILE * Math.max(1, Math.min(k, 4096)), (from, to) -> {
            for (int t = from; t < to; t++) {
                int i0 = (t / tn) * TILE;
                int j0 = (t % tn) * TILE;
                int mi = Math.min(TILE, m - i0);
                int nj = Math.min(TILE, n - j0);
                panelGemm(raw, transA, transB, i0, j0, mi, nj, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
                        cOff + i0 + j0 * ldc, ldc);
            }
        });
    }

    /** One output tile, looping over reduction panels (β applies to the first panel only). */
    private <A> void panelGemm(Raw<A> raw, boolean transA, boolean transB, int i0, int j0, int mi, int nj, int k,
                               double alpha, A a, int aOff, int lda, A b, int bOff, int ldb, double beta, A c,
                               int cOff, int ldc) {
        if (k == 0) {
            raw.gemm(blas, "N", "N", mi, nj, 0, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        for (int k0 = 0; k0 < k; k0 += PANEL) {
            int kp = Math.min(PANEL, k - k0);
            int ao = transA ? aOff + i0 * lda + k0 : aOff + i0 + k0 * lda;
            int bo = transB ? bOff + j0 + k0 * ldb : bOff + j0 * ldb + k0;
            raw.gemm(blas, transA ? "T" : "N", transB ? "T" : "N", mi, nj, kp, alpha, a, ao, lda, b, bo, ldb,
                    k0 == 0 ? beta : 1.0, c, cOff, ldc);
        }
    }

    /**
     * Lower triangle of column-major C = α·Aᵀ·A by tiles: off-diagonal tiles as products, diagonal tiles as full
     * tile products (their upper half is scratch) — the pure-Java rank-k update is several times slower than its
     * product.
     */
    private <A> void tiledGram(Raw<A> raw, int n, int k, double alpha, A a, int aOff, int lda, A c, int cOff, int ldc,
                               boolean parallel) {
        int tiles = (n + TILE - 1) / TILE;
        int count = tiles * (tiles + 1) / 2;
        Pool.RangeBody body = (from, to) -> {
            for (int t = from; t < to; t++) {
                int ti = 0;
                int rem = t;
                while (rem > ti) {
                    rem -= ti + 1;
                    ti++;
                }
                int tj = rem;
                int i0 = ti * TILE;
                int j0 = tj * TILE;
                panelGemm(raw, true, false, i0, j0, Math.min(TILE, n - i0), Math.min(TILE, n - j0), k, alpha, a,
                        aOff, lda, a, aOff, lda, 0.0, c, cOff + i0 + j0 * ldc, ldc);
            }
        };
        if (parallel) {
            pool.parallelFor(count, (long) TILE * TILE * Math.max(1, Math.min(k, 4096)), body);
        } else {
            body.run(0, count);
        }
    }
}
