package org.ntk4j.cpu;

/**
 * The elementwise inner loops of the CPU backend, in fp32 and fp64: the δ products, filling Jacobian chunks, the
 * Hadamard accumulation into fp64 and the precision conversions. Two implementations: {@link ScalarOps} (plain
 * loops, always available) and {@code VectorOps} (the incubating Vector API), which is loaded by name only
 * when the {@code jdk.incubator.vector} module is in the boot layer, so core runs without it.
 */
interface ElementwiseOps {

    /** Short description for the backend description. */
    String description();

    /** Whether these are the Vector API loops. */
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
     * The Vector API loops when allowed and the module is present, else the scalar ones. The first time the module
     * is missing it says so on stderr in one line, so that a slower run is never a silent one.
     */
    static ElementwiseOps best(boolean allowVector) {
        if (allowVector && vectorAvailable()) {
            try {
                return (ElementwiseOps) Class.forName("org.ntk4j.cpu.VectorOps").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarOps("scalar loops (Vector API failed to load: " + e + ")");
            }
        }
        if (!vectorAvailable()) {
            MissingJvmFlags.warnOnce();
            return new ScalarOps("scalar loops (no jdk.incubator.vector)");
        }
        return new ScalarOps("scalar loops");
    }

    /** Whether the module is in the boot layer. */
    static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The one line a JVM started without ntk4j's flags gets on stderr (at most once): what is missing —
     * {@code --add-modules jdk.incubator.vector} (scalar loops instead of the Vector API) and/or
     * {@code --enable-native-access} (pure-Java BLAS instead of a native one) — so that a slower run is never a silent
     * one, and never seven lines of warnings either (README, "Embedding").
     */
    final class MissingJvmFlags {
        private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

        private MissingJvmFlags() {
        }

        /**
         * Whether ntk4j may call native code without the JDK warning about it (then native BLAS is tried): as the JVM
         * started, since the JDK enables a module's access itself once it has warned.
         */
        private static final boolean NATIVE_ACCESS = ElementwiseOps.class.getModule().isNativeAccessEnabled();

        static boolean nativeAccess() {
            return NATIVE_ACCESS;
        }

        static void warnOnce() {
            java.util.List<String> flags = new java.util.ArrayList<>();
            java.util.List<String> effects = new java.util.ArrayList<>();
            if (!vectorAvailable()) {
                flags.add("--add-modules jdk.incubator.vector");
                effects.add("scalar loops");
            }
            if (!nativeAccess() && BlasSelection.current().requested() != org.ntk4j.Blas.JAVA) {
                flags.add("--enable-native-access=" + (ElementwiseOps.class.getModule().isNamed()
                        ? ElementwiseOps.class.getModule().getName() : "ALL-UNNAMED"));
                effects.add("pure-Java BLAS");
            }
            if (!flags.isEmpty() && WARNED.compareAndSet(false, true)) {
                System.err.println("ntk4j: started without " + String.join(" and ", flags) + ": the CPU backend uses "
                        + String.join(" and ", effects) + " (slower)");
            }
        }
    }
}
