package org.ntk4j.cpu;

import org.ntk4j.Precision;
import org.ntk4j.model.Activation;

/**
 * The arithmetic of one precision over its array type A ({@code float[]} or {@code double[]}): allocation,
 * conversion, the row-major BLAS products and the elementwise kernels. The NTK algorithms are written once against
 * this class; {@link Arith32} and {@link Arith64} are the two instances.
 *
 * <p>Arrays that reach BLAS are allocated with one leading dimension of slack past their last row (see
 * {@link MatrixProducts}); {@link #matrix} does that.
 */
abstract sealed class Arith<A> permits Arith32, Arith64 {
    final MatrixProducts la;
    final ElementwiseOps k;
    final Pool pool;

    Arith(MatrixProducts la, ElementwiseOps k, Pool pool) {
        this.la = la;
        this.k = k;
        this.pool = pool;
    }

    abstract Precision precision();

    /** Bytes per element. */
    abstract int bytes();

    /** A zeroed array of n elements. */
    abstract A alloc(int n);

    /**
     * A zeroed rows×ld matrix plus one row of slack for netlib's bounds checks; ld must be the largest leading
     * dimension the array is viewed with.
     */
    final A matrix(int rows, int ld) {
        return alloc(checkedSize((long) rows * ld + ld));
    }

    static int checkedSize(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("buffer of " + n + " elements exceeds one array; the chunk planner "
                    + "should have prevented this");
        }
        return (int) n;
    }

    /** dst = src rounded to this precision. */
    abstract void fromDouble(double[] src, int sOff, A dst, int dOff, int n);

    /** dst = src widened (exact). */
    abstract void toDouble(A src, int sOff, double[] dst, int dOff, int n);

    abstract double get(A a, int i);

    /** a[i] = v rounded to this precision. */
    abstract void set(A a, int i, double v);

    /** v rounded to this precision and back (the identity in fp64). */
    abstract double round(double v);

    // BLAS, row-major; α and β are rounded to the precision.

    abstract void gemmABt(int m, int n, int kk, double alpha, A a, int aOff, int lda, A b, int bOff, int ldb,
                          double beta, A c, int cOff, int ldc);

    abstract void gemmAB(int m, int n, int kk, double alpha, A a, int aOff, int lda, A b, int bOff, int ldb,
                         double beta, A c, int cOff, int ldc);

    abstract void gemmAtB(int m, int n, int kk, double alpha, A a, int aOff, int lda, A b, int bOff, int ldb,
                          double beta, A c, int cOff, int ldc);

    abstract void gramUpper(int n, int kk, double alpha, A a, int aOff, int lda, A c, int cOff, int ldc);

    // elementwise (see ElementwiseOps)

    abstract void mul(A t, int tOff, A m, int mOff, int n);

    abstract void scale(A dst, int dOff, A src, int sOff, int n, double s);

    /** dst = widen(s·src) with the product rounded to this precision. */
    abstract void scaleToDouble(double[] dst, int dOff, A src, int sOff, int n, double s);

    abstract void accumulate(double[] acc, int aOff, A src, int sOff, int n);

    abstract void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, A src, int sOff, int n);

    /** dst[dOff + i·stride] = src[sOff + i] for i in [0, n), or 0 when src is null (im2col's gather of a pixel). */
    abstract void spread(A src, int sOff, A dst, int dOff, int stride, int n);

    /** acc[aOff + i] += src[sOff + i·stride] for i in [0, n) (col2im's sum onto a pixel, in fp64). */
    abstract void accumulateStrided(double[] acc, int aOff, A src, int sOff, int stride, int n);

    /** a[off + i] += v[i] for i in [0, n) (adds a bias row). */
    abstract void add(A a, int off, A v, int n);

    /**
     * h = φ(z) and d = φ'(z) elementwise through {@link Activation} (the one definition, in fp64), rounded; z may be
     * the same array as h.
     */
    abstract void activate(Activation act, A z, int zOff, A h, A d, int off, int n);
}
