package org.ntk4j.cpu;

/**
 * The elementwise inner loops of the CPU backend, in fp32 and fp64: the δ products, filling Jacobian chunks, the
 * Hadamard accumulation into fp64 and the precision conversions. Two implementations: {@link ScalarKernels} (plain
 * loops, always available) and {@code VectorKernels} (the incubating Vector API), which is loaded by name only
 * when the {@code jdk.incubator.vector} module is in the boot layer, so core runs without it.
 */
interface Kernels {

    /** Short description for the backend description. */
    String description();

    /** Whether these are the Vector API kernels. */
    boolean vectorized();

    /** t[i] *= m[i] for i in [0, n). */
    void mul(float[] t, int tOff, float[] m, int mOff, int n);

    void mul(double[] t, int tOff, double[] m, int mOff, int n);

    /** dst[i] = s·src[i]. */
    void scale(float[] dst, int dOff, float[] src, int sOff, int n, float s);

    void scale(double[] dst, int dOff, double[] src, int sOff, int n, double s);

    /** dst[i] = (double) (float) (s·src[i]): an fp32 product widened exactly. */
    void scaleWiden(double[] dst, int dOff, float[] src, int sOff, int n, float s);

    /** acc[i] += src[i], src widened to fp64. */
    void accumulate(double[] acc, int aOff, float[] src, int sOff, int n);

    void accumulate(double[] acc, int aOff, double[] src, int sOff, int n);

    /** acc[i] += f[i]·src[i] in fp64 (src widened). */
    void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, float[] src, int sOff, int n);

    void accumulateProduct(double[] acc, int aOff, double[] f, int fOff, double[] src, int sOff, int n);

    /** dst[i] = (float) src[i] (round to nearest). */
    void narrow(double[] src, int sOff, float[] dst, int dOff, int n);

    /** dst[i] = src[i] widened. */
    void widen(float[] src, int sOff, double[] dst, int dOff, int n);

    /**
     * The Vector API kernels when allowed and the module is present, else the scalar ones. The first time the module
     * is missing it says so on stderr in one line, so that a slower run is never a silent one.
     */
    static Kernels best(boolean allowVector) {
        if (allowVector && vectorAvailable()) {
            try {
                return (Kernels) Class.forName("org.ntk4j.cpu.VectorKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarKernels("scalar kernels (Vector API failed to load: " + e + ")");
            }
        }
        if (!vectorAvailable()) {
            MissingVectorModule.warnOnce();
            return new ScalarKernels("scalar kernels (no jdk.incubator.vector)");
        }
        return new ScalarKernels("scalar kernels");
    }

    /** Whether the module is in the boot layer. */
    static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The one-line warning, printed at most once per JVM. */
    final class MissingVectorModule {
        private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

        private MissingVectorModule() {
        }

        static void warnOnce() {
            if (WARNED.compareAndSet(false, true)) {
                System.err.println("ntk4j: jdk.incubator.vector is not available (start the JVM with --add-modules "
                        + "jdk.incubator.vector); the CPU backend uses its slower scalar loops");
            }
        }
    }
}
