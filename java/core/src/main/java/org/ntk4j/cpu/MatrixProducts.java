package org.ntk4j.cpu;

import org.ntk4j.Blas;
import dev.ludovic.netlib.blas.BLAS;
import java.util.concurrent.atomic.LongAdder;
import org.ntk4j.BackendUnavailableException;

/**
 * Row-major matrix products on top of a column-major BLAS (dev.ludovic.netlib), in fp32 and fp64, with the
 * work split over the backend's pool — one level of parallelism owns the cores:
 * <ul>
 *   <li>native (the library {@link BlasSelection} chose, kept single-threaded): a product is cut into one piece per
 *       thread along the output dimension whose operand is larger (so that operand is packed once, not per thread),
 *       a symmetric Gram into row bands of equal area (a diagonal rank-k update plus a product each); Gram products
 *       with a small output and a long reduction (e.g. the trace-mode Jacobian Gram, 128×128 over 10⁵ columns) are
 *       split along the reduction and the partial Grams summed;</li>
 *   <li>pure Java: single-threaded and unblocked, so products are cut into 256-wide tiles and reduction panels
 *       (it falls off a cliff on large operands otherwise) and the tiles spread over the pool.</li>
 * </ul>
 * Products below {@value #SERIAL_FLOPS} flops run as one call on the calling thread.
 * netlib checks operand bounds conservatively (offset + columns·ld must lie inside the array), so every array
 * handed here must carry one leading dimension of slack past its last row; {@link Arith} allocates that way.
 * Gram products define only the upper triangle (row-major i ≤ j); the other triangle is scratch.
 */
final class MatrixProducts {
    private static final int TILE = 256;
    private static final int PANEL = 256;
    /** Below this output size a Gram with a long reduction is split along the reduction. */
    private static final int SMALL_GRAM = 384;
    private static final int SPLIT_MIN_K = 4096;
    /** Products smaller than this are not worth a fork. */
    static final long SERIAL_FLOPS = 4_000_000;

    private final BLAS blas;
    private final boolean nativeBlas;
    private final String description;
    private final Pool pool;
    private final LongAdder nanos = new LongAdder();
    private final LongAdder flops = new LongAdder();

    private MatrixProducts(BLAS blas, boolean nativeBlas, String description, Pool pool) {
        this.blas = blas;
        this.nativeBlas = nativeBlas;
        this.description = description;
        this.pool = pool;
    }

    static MatrixProducts open(Blas choice, Pool pool) {
        // always first, even for the pure-Java BLAS: netlib's first use of any of its classes binds its native
        // library for the whole process, and that must be the one the selection chose
        BlasSelection sel = BlasSelection.current();
        if (choice != Blas.JAVA) {
            String origin = sel.origin();
            boolean matches = switch (choice) {
                case BUNDLED -> origin.equals("bundled");
                case SYSTEM -> origin.equals("system");
                default -> sel.nativeBlas();
            };
            if (matches) {
                return new MatrixProducts(sel.blas(), true, sel.blasDescription() + (sel.singleThreaded()
                        ? ", one thread per call" : ""), pool);
            }
            if (choice != Blas.AUTO) {
                throw new BackendUnavailableException("blas=" + choice.value()
                        + " is not available in this process, which uses " + sel.blasDescription()
                        + (sel.notes().isEmpty() ? "" : " (" + String.join("; ", sel.notes()) + ")")
                        + "; the native library is chosen once per JVM: start it with -D" + Blas.PROPERTY
                        + "=bundled|system|java");
            }
        }
        ElementwiseOps.MissingJvmFlags.warnOnce();
        BLAS java = BlasSelection.javaBlas();
        return new MatrixProducts(java, false, "pure-Java BLAS (" + java.getClass().getSimpleName() + ")", pool);
    }

    /** What {@link Blas#AUTO} uses here. */
    static String describeAvailable() {
        return BlasSelection.current().blasDescription();
    }

    /** Whether a native BLAS is in use in this process. */
    static boolean nativeAvailable() {
        return BlasSelection.current().nativeBlas();
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

    /** GFLOP/s of the best of 3 n×n×n products (after a warm-up) through this BLAS and its split over the pool. */
    double gemmGflops(boolean fp64, int n) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        double[] ad = null;
        double[] bd = null;
        double[] cd = null;
        float[] af = null;
        float[] bf = null;
        float[] cf = null;
        if (fp64) {
            ad = rng.doubles(n * n + n, -1, 1).toArray();
            bd = rng.doubles(n * n + n, -1, 1).toArray();
            cd = new double[n * n + n];
        } else {
            af = new float[n * n + n];
            bf = new float[n * n + n];
            cf = new float[n * n + n];
            for (int i = 0; i < af.length; i++) {
                af[i] = (float) rng.nextDouble(-1, 1);
                bf[i] = (float) rng.nextDouble(-1, 1);
            }
        }
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 4; r++) {
            long t0 = System.nanoTime();
            if (fp64) {
                gemmABt(n, n, n, 1.0, ad, 0, n, bd, 0, n, 0.0, cd, 0, n);
            } else {
                gemmABt(n, n, n, 1f, af, 0, n, bf, 0, n, 0f, cf, 0, n);
            }
            long t = System.nanoTime() - t0;
            if (r > 0) {
                best = Math.min(best, t);
            }
        }
        return 2.0 * n * n * n / best;
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
            parallelGemm(raw, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
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
            bandedGram(raw, n, k, alpha, a, aOff, lda, c, cOff, ldc);
        } else {
            tiledGram(raw, n, k, alpha, a, aOff, lda, c, cOff, ldc, true);
        }
        nanos.add(System.nanoTime() - t0);
        flops.add((long) n * (n + 1) * k);
    }

    /**
     * Column-major C(m×n) = α·op(A)·op(B) + β·C as one single-threaded BLAS call per pool thread, cut along n (the
     * columns of op(B)) when op(B) is the larger operand, else along m, so the larger operand is packed once.
     */
    private <A> void parallelGemm(Raw<A> raw, String ta, String tb, int m, int n, int k, double alpha, A a, int aOff,
                                  int lda, A b, int bOff, int ldb, double beta, A c, int cOff, int ldc) {
        boolean alongN = n >= m;
        int dim = alongN ? n : m;
        int parts = Math.min(pool.threads(), dim / 16);
        if (parts <= 1 || 2L * m * n * k < SERIAL_FLOPS) {
            raw.gemm(blas, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int step = ((dim + parts - 1) / parts + 15) & ~15;
        Runnable[] tasks = new Runnable[(dim + step - 1) / step];
        for (int p = 0; p < tasks.length; p++) {
            int d0 = p * step;
            int w = Math.min(dim, d0 + step) - d0;
            if (alongN) {
                int bo = tb.equals("N") ? bOff + d0 * ldb : bOff + d0;
                tasks[p] = () -> raw.gemm(blas, ta, tb, m, w, k, alpha, a, aOff, lda, b, bo, ldb, beta, c,
                        cOff + d0 * ldc, ldc);
            } else {
                int ao = ta.equals("N") ? aOff + d0 : aOff + d0 * lda;
                tasks[p] = () -> raw.gemm(blas, ta, tb, w, n, k, alpha, a, ao, lda, b, bOff, ldb, beta, c, cOff + d0,
                        ldc);
            }
        }
        pool.invokeAll(tasks);
    }

    /**
     * Lower triangle of column-major C = α·Aᵀ·A (A k×n) in one column band per pool thread, the bands of equal
     * area: band [c0, c1) is a rank-k update of its diagonal block plus the product for the rows below it.
     */
    private <A> void bandedGram(Raw<A> raw, int n, int k, double alpha, A a, int aOff, int lda, A c, int cOff,
                                int ldc) {
        int parts = Math.min(pool.threads(), n / 32);
        if (parts <= 1 || (long) n * n * k < SERIAL_FLOPS) {
            raw.syrk(blas, n, k, alpha, a, aOff, lda, 0.0, c, cOff, ldc);
            return;
        }
        // columns [0, c) of the lower triangle hold c·n − c(c−1)/2 entries: solve for equal shares of n(n+1)/2
        int[] bound = new int[parts + 1];
        bound[parts] = n;
        double total = 0.5 * n * (n + 1.0);
        for (int p = 1; p < parts; p++) {
            double share = total * p / parts;
            int col = (int) Math.round(n + 0.5 - Math.sqrt((n + 0.5) * (n + 0.5) - 2 * share));
            bound[p] = Math.max(bound[p - 1], Math.min(n, (col + 8) & ~15));
        }
        Runnable[] tasks = new Runnable[parts];
        for (int p = 0; p < parts; p++) {
            int c0 = bound[p];
            int c1 = bound[p + 1];
            tasks[p] = () -> {
                if (c1 <= c0) {
                    return;
                }
                raw.syrk(blas, c1 - c0, k, alpha, a, aOff + c0 * lda, lda, 0.0, c, cOff + c0 + c0 * ldc, ldc);
                if (c1 < n) {
                    raw.gemm(blas, "T", "N", n - c1, c1 - c0, k, alpha, a, aOff + c1 * lda, lda, a, aOff + c0 * lda,
                            lda, 0.0, c, cOff + c1 + c0 * ldc, ldc);
                }
            };
        }
        pool.invokeAll(tasks);
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
