package org.ntk4j.cpu;

import org.ntk4j.Precision;
import org.ntk4j.model.Activation;

/** FP64: double storage and arithmetic. */
final class Arith64 extends Arith<double[]> {

    Arith64(MatrixProducts la, ElementwiseOps k, Pool pool) {
        super(la, k, pool);
    }

    @Override
    Precision precision() {
        return Precision.FP64;
    }

    @Override
    int bytes() {
        return 8;
    }

    @Override
    double[] alloc(int n) {
        return new double[n];
    }

    @Override
    void fromDouble(double[] src, int sOff, double[] dst, int dOff, int n) {
        System.arraycopy(src, sOff, dst, dOff, n);
    }

    @Override
    void toDouble(double[] src, int sOff, double[] dst, int dOff, int n) {
        System.arraycopy(src, sOff, dst, dOff, n);
    }

    @Override
    double get(double[] a, int i) {
        return a[i];
    }

    @Override
    void set(double[] a, int i, double v) {
        a[i] = v;
    }

    @Override
    double round(double v) {
        return v;
    }

    @Override
    void gemmABt(int m, int n, int kk, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                 double beta, double[] c, int cOff, int ldc) {
        la.gemmABt(m, n, kk, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    @Override
    void gemmAB(int m, int n, int kk, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                double beta, double[] c, int cOff, int ldc) {
        la.gemmAB(m, n, kk, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    @Override
    void gemmAtB(int m, int n, int kk, double alpha, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                 double beta, double[] c, int cOff, int ldc) {
        la.gemmAtB(m, n, kk, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    @Override
    void gramUpper(int n, int kk, double alpha, double[] a, int aOff, int lda, double[] c, int cOff, int ldc) {
        la.gramUpper(n, kk, alpha, a, aOff, lda, c, cOff, ldc);
    }

    @Override
    void mul(double[] t, int tOff, double[] m, int mOff, int n) {
        k.mul(t, tOff, m, mOff, n);
    }

    @Override
    void scale(double[] dst, int dOff, double[] src, int sOff, int n, double s) {
        k.scale(dst, dOff, src, sOff, n, s);
    }

    @Override
    void scaleToDouble(double[] dst, int dOff, double[] src, int sOff, int n, double s) {
        k.scale(dst, dOff, src, sOff, n, s);
    }

    @Override
    void accumulate(double[] acc, int aOff, double[] src, int sOff, int n) {
        k.accumulate(acc, aOff, src, sOff, n);
    }

    @Override
    void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, double[] src, int sOff, int n) {
        k.accumulateProduct(acc, aOff, f, fOff, src, sOff, n);
    }

    @Override
    void spread(double[] src, int sOff, double[] dst, int dOff, int stride, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i * stride] = src == null ? 0 : src[sOff + i];
        }
    }

    @Override
    void accumulateStrided(double[] acc, int aOff, double[] src, int sOff, int stride, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += src[sOff + i * stride];
        }
    }

    @Override
    void add(double[] a, int off, double[] v, int n) {
        for (int i = 0; i < n; i++) {
            a[off + i] += v[i];
        }
    }

    @Override
    void activate(Activation act, double[] z, int zOff, double[] h, double[] d, int off, int n) {
        for (int i = 0; i < n; i++) {
            double zi = z[zOff + i];
            d[off + i] = act.derivative(zi);
            h[off + i] = act.apply(zi);
        }
    }
}
