package org.ntk4j.cpu;

/** Plain loops (C2 auto-vectorizes the simplest of them); used when the Vector API is absent or switched off. */
final class ScalarOps implements ElementwiseOps {
    private final String description;

    ScalarOps(String description) {
        this.description = description;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public boolean vectorized() {
        return false;
    }

    @Override
    public void mul(float[] t, int tOff, float[] m, int mOff, int n) {
        for (int i = 0; i < n; i++) {
            t[tOff + i] *= m[mOff + i];
        }
    }

    @Override
    public void mul(double[] t, int tOff, double[] m, int mOff, int n) {
        for (int i = 0; i < n; i++) {
            t[tOff + i] *= m[mOff + i];
        }
    }

    @Override
    public void scale(float[] dst, int dOff, float[] src, int sOff, int n, float s) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = s * src[sOff + i];
        }
    }

    @Override
    public void scale(double[] dst, int dOff, double[] src, int sOff, int n, double s) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = s * src[sOff + i];
        }
    }

    @Override
    public void scaleWiden(double[] dst, int dOff, float[] src, int sOff, int n, float s) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = s * src[sOff + i];
        }
    }

    @Override
    public void accumulate(double[] acc, int aOff, float[] src, int sOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += src[sOff + i];
        }
    }

    @Override
    public void accumulate(double[] acc, int aOff, double[] src, int sOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += src[sOff + i];
        }
    }

    @Override
    public void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, float[] src, int sOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += f[fOff + i] * src[sOff + i];
        }
    }

    @Override
    public void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, double[] src, int sOff, int n) {
        for (int i = 0; i < n; i++) {
            acc[aOff + i] += f[fOff + i] * src[sOff + i];
        }
    }

    @Override
    public void narrow(double[] src, int sOff, float[] dst, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = (float) src[sOff + i];
        }
    }

    @Override
    public void widen(float[] src, int sOff, double[] dst, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = src[sOff + i];
        }
    }
}
