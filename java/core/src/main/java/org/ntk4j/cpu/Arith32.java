package org.ntk4j.cpu;

import org.ntk4j.Precision;
import org.ntk4j.model.Activation;

/** FP32: float storage and arithmetic; results leave as exactly representable floats. */
final class Arith32 extends Arith<float[]> {

    Arith32(MatrixProducts la, ElementwiseOps k, Pool pool) {
        super(la, k, pool);
    }

    @Override
    Precision precision() {
        return Precision.FP32;
    }

    @Override
    int bytes() {
        return 4;
    }

    @Override
    float[] alloc(int n) {
        return new float[n];
    }

    @Override
    void fromDouble(double[] src, int sOff, float[] dst, int dOff, int n) {
        k.narrow(src, sOff, dst, dOff, n);
    }

    @Override
    void toDouble(float[] src, int sOff, double[] dst, int dOff, int n) {
        k.widen(src, sOff, dst, dOff, n);
    }

    @Override
    double get(float[] a, int i) {
        return a[i];
    }

    @Override
    void set(float[] a, int i, double v) {
        a[i] = (float) v;
    }

    @Override
    double round(double v) {
        return (float) v;
    }

    @Override
    void gemmABt(int m, int n, int kk, double alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 double beta, float[] c, int cOff, int ldc) {
        la.gemmABt(m, n, kk, (float) alpha, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
    }

    @Override
    void gemmAB(int m, int n, int kk, double alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                double beta, float[] c, int cOff, int ldc) {
        la.gemmAB(m, n, kk, (float) alpha, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
    }

    @Override
    void gemmAtB(int m, int n, int kk, double alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                 double beta, float[] c, int cOff, int ldc) {
        la.gemmAtB(m, n, kk, (float) alpha, a, aOff, lda, b, bOff, ldb, (float) beta, c, cOff, ldc);
    }

    @Override
    void gramUpper(int n, int kk, double alpha, float[] a, int aOff, int lda, float[] c, int cOff, int ldc) {
        la.gramUpper(n, kk, (float) alpha, a, aOff, lda, c, cOff, ldc);
    }

    @Override
    void mul(float[] t, int tOff, float[] m, int mOff, int n) {
        k.mul(t, tOff, m, mOff, n);
    }

    @Override
    void scale(float[] dst, int dOff, float[] src, int sOff, int n, double s) {
        k.scale(dst, dOff, src, sOff, n, (float) s);
    }

    @Override
    void scaleToDouble(double[] dst, int dOff, float[] src, int sOff, int n, double s) {
        k.scaleWiden(dst, dOff, src, sOff, n, (float) s);
    }

    @Override
    void accumulate(double[] acc, int aOff, float[] src, int sOff, int n) {
        k.accumulate(acc, aOff, src, sOff, n);
    }

    @Override
    void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, float[] src, int sOff, int n) {
        k.accumulateProduct(acc, aOff, f, fOff, src, sOff, n);
    }

    @Override
    void spread(float[] src, int sOff, float[] dst, int dOff, int stride, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i * stride] = src == null ? 0 : src[sOff + i];
        }
    }

    @Override
    void accumulateStrided(double[] acc, int aOff, float[] src, int sOff, int stride, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += src[sOff + i * stride];
        }
    }

    @Override
    void add(float[] a, int off, float[] v, int n) {
        for (int i = 0; i < n; i++) {
            a[off + i] += v[i];
        }
    }

    @Override
    void activate(Activation act, float[] z, int zOff, float[] h, float[] d, int off, int n) {
        for (int i = 0; i < n; i++) {
            double zi = z[zOff + i];
            d[off + i] = (float) act.derivative(zi);
            h[off + i] = (float) act.apply(zi);
        }
    }
}
