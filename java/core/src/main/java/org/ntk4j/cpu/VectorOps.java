package org.ntk4j.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise loops with the Vector API at the preferred width (AVX-512 here: 16 floats, 8 doubles). Mixed
 * fp32→fp64 loops use a float species of half the bit size, so one float vector widens into one double vector.
 * Loaded reflectively by {@link ElementwiseOps#best} only when {@code jdk.incubator.vector} is present.
 */
final class VectorOps implements ElementwiseOps {
    private static final ScalarOps PLAIN = new ScalarOps("scalar loops");
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    /** Floats in half of a preferred vector: as many lanes as DS. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class,
            VectorShape.forBitSize(Math.max(64, DS.vectorBitSize() / 2)));

    VectorOps() {
        if (FH.length() != DS.length()) {
            throw new IllegalStateException("no float species with " + DS.length() + " lanes");
        }
    }

    @Override
    public String description() {
        return "Vector API " + FS.vectorBitSize() + "-bit";
    }

    @Override
    public boolean vectorized() {
        return true;
    }

    @Override
    public void mul(float[] t, int tOff, float[] m, int mOff, int n) {
        int i = 0;
        for (int bound = FS.loopBound(n); i < bound; i += FS.length()) {
            FloatVector.fromArray(FS, t, tOff + i).mul(FloatVector.fromArray(FS, m, mOff + i)).intoArray(t, tOff + i);
        }
        for (; i < n; i++) {
            t[tOff + i] *= m[mOff + i];
        }
    }

    @Override
    public void mul(double[] t, int tOff, double[] m, int mOff, int n) {
        int i = 0;
        for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
            DoubleVector.fromArray(DS, t, tOff + i).mul(DoubleVector.fromArray(DS, m, mOff + i)).intoArray(t, tOff + i);
        }
        for (; i < n; i++) {
            t[tOff + i] *= m[mOff + i];
        }
    }

    @Override
    public void scale(float[] dst, int dOff, float[] src, int sOff, int n, float s) {
        // the plain loop: C2 vectorizes it as well, and a one-shot Jacobian contraction (this fills its chunks) does
        // not pay for compiling the Vector API form (~0.3 s of CPU per process, measured)
        PLAIN.scale(dst, dOff, src, sOff, n, s);
    }

    @Override
    public void scale(double[] dst, int dOff, double[] src, int sOff, int n, double s) {
        int i = 0;
        for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
            DoubleVector.fromArray(DS, src, sOff + i).mul(s).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = s * src[sOff + i];
        }
    }

    @Override
    public void scaleWiden(double[] dst, int dOff, float[] src, int sOff, int n, float s) {
        int i = 0;
        for (int bound = FH.loopBound(n); i < bound; i += FH.length()) {
            FloatVector p = FloatVector.fromArray(FH, src, sOff + i).mul(s);
            ((DoubleVector) p.convertShape(VectorOperators.F2D, DS, 0)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = s * src[sOff + i];
        }
    }

    @Override
    public void accumulate(double[] acc, int aOff, float[] src, int sOff, int n) {
        int i = 0;
        for (int bound = FH.loopBound(n); i < bound; i += FH.length()) {
            DoubleVector w = (DoubleVector) FloatVector.fromArray(FH, src, sOff + i).convertShape(VectorOperators.F2D, DS, 0);
            DoubleVector.fromArray(DS, acc, aOff + i).add(w).intoArray(acc, aOff + i);
        }
        for (; i < n; i++) {
            acc[aOff + i] += src[sOff + i];
        }
    }

    @Override
    public void accumulate(double[] acc, int aOff, double[] src, int sOff, int n) {
        int i = 0;
        for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
            DoubleVector.fromArray(DS, acc, aOff + i).add(DoubleVector.fromArray(DS, src, sOff + i)).intoArray(acc, aOff + i);
        }
        for (; i < n; i++) {
            acc[aOff + i] += src[sOff + i];
        }
    }

    @Override
    public void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, float[] src, int sOff, int n) {
        int i = 0;
        for (int bound = FH.loopBound(n); i < bound; i += FH.length()) {
            DoubleVector w = (DoubleVector) FloatVector.fromArray(FH, src, sOff + i).convertShape(VectorOperators.F2D, DS, 0);
            // a separate multiply and add (not an FMA) so the result is bit-identical to the scalar loops
            DoubleVector.fromArray(DS, acc, aOff + i).add(DoubleVector.fromArray(DS, f, fOff + i).mul(w)).intoArray(acc, aOff + i);
        }
        for (; i < n; i++) {
            acc[aOff + i] += f[fOff + i] * src[sOff + i];
        }
    }

    @Override
    public void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, double[] src, int sOff, int n) {
        int i = 0;
        for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
            DoubleVector p = DoubleVector.fromArray(DS, f, fOff + i).mul(DoubleVector.fromArray(DS, src, sOff + i));
            DoubleVector.fromArray(DS, acc, aOff + i).add(p).intoArray(acc, aOff + i);
        }
        for (; i < n; i++) {
            acc[aOff + i] += f[fOff + i] * src[sOff + i];
        }
    }

    @Override
    public void narrow(double[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = DS.loopBound(n); i < bound; i += DS.length()) {
            ((FloatVector) DoubleVector.fromArray(DS, src, sOff + i).convertShape(VectorOperators.D2F, FH, 0))
                    .intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = (float) src[sOff + i];
        }
    }

    @Override
    public void widen(float[] src, int sOff, double[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = FH.loopBound(n); i < bound; i += FH.length()) {
            ((DoubleVector) FloatVector.fromArray(FH, src, sOff + i).convertShape(VectorOperators.F2D, DS, 0))
                    .intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = src[sOff + i];
        }
    }
}
