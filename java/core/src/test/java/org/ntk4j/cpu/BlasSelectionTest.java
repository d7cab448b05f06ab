package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The per-process choice of BLAS and LAPACK. The choice is made once per JVM, so the configurations other than this
 * JVM's are checked in child JVMs ({@link Child}): no system BLAS at all, and the pure-Java request.
 */
class BlasSelectionTest {

    private static boolean shipsNatives() {
        return BlasSelection.BundledOpenBlas.platform().matches("linux-(x86_64|arm64)");
    }

    @Test
    void theRuleKeepsTheSystemLibraryOnlyWhenItIsAsFast() {
        assertTrue(BlasSelection.preferSystem(60, 60));
        assertTrue(BlasSelection.preferSystem(50, 60), "within the 20% noise margin");
        assertFalse(BlasSelection.preferSystem(45, 60));
        assertFalse(BlasSelection.preferSystem(4, 60), "a reference BLAS is never preferred");
        assertTrue(BlasSelection.preferSystem(90, 60), "a faster system library (MKL, a newer OpenBLAS) wins");
    }

    /** Skips (with the reason) where ntk4j ships no OpenBLAS for this platform. */
    private static void assumeShipsNatives() {
        Assumptions.assumeTrue(shipsNatives(), "ntk4j ships no OpenBLAS for " + BlasSelection.BundledOpenBlas.platform());
    }

    @Test
    void thisProcessHasANativeBlasAndLapackWhereNtk4jShipsOne() {
        BlasSelection sel = BlasSelection.current();
        assumeShipsNatives();
        Assumptions.assumeFalse(sel.requested() == org.ntk4j.Blas.JAVA, "this JVM was started with -D"
                + BlasSelection.PROPERTY + "=java");
        assertTrue(sel.nativeBlas(), sel + " " + sel.notes());
        assertTrue(sel.blasDescription().contains("OpenBLAS") || sel.origin().equals("system"), sel.toString());
        assertFalse(sel.lapackDescription().contains("F2J"), sel.toString());
        assertTrue(sel.probeNanos() > 0);
        // LAPACK answers through the chosen library: a 3×3 eigenproblem with known eigenvalues 1, 2, 4
        double[] a = {2, 0, 0, 0, 3, 1, 0, 1, 3};
        double[] w = new double[3];
        double[] work = new double[64];
        org.netlib.util.intW info = new org.netlib.util.intW(0);
        sel.lapack().dsyev("N", "U", 3, a, 3, w, work, work.length, info);
        assertEquals(0, info.val);
        assertEquals(2.0, w[0], 1e-12);
        assertEquals(2.0, w[1], 1e-12);
        assertEquals(4.0, w[2], 1e-12);
    }

    @Test
    void withoutASystemBlasTheBundledOpenBlasIsUsed() throws Exception {
        assumeShipsNatives();
        String out = child("-D" + BlasSelection.PROPERTY + "=auto",
                "-D" + BlasSelection.SYSTEM_BLAS_PROPERTY + "=/nonexistent/libblas.so.3",
                "-D" + BlasSelection.SYSTEM_LAPACK_PROPERTY + "=/nonexistent/liblapack.so.3");
        assertTrue(out.contains("origin=bundled"), out);
        assertTrue(out.contains("blas=OpenBLAS"), out);
        assertTrue(out.contains("lapack=OpenBLAS"), out);
        assertTrue(out.contains("no system BLAS"), out);
        assertTrue(out.contains("product=ok"), out);
        assertTrue(out.contains("netlib=/") && out.contains("libopenblas"), out);
    }

    /**
     * netlib used before ntk4j chose: the system OpenBLAS is then in the global scope, and probing the bundled one
     * beside it (load, time, unload) nulled the resident library's core table — the next sgemm crashed the JVM. Now
     * the bundled library is not loaded at all in that case, and products run.
     */
    @Test
    void netlibUsedFirstDoesNotBringASecondOpenBlas() throws Exception {
        // netlib's own default (the system libblas.so.3, when there is one): the child's own state decides whether
        // an OpenBLAS was resident (this JVM may have loaded one globally, the child need not have)
        String out = child("-D" + BlasSelection.PROPERTY + "=auto", "-Dchild.netlibFirst=true");
        assertTrue(out.contains("product=ok"), out);
        if (!out.contains("resident=none")) {
            assertTrue(out.contains("bundled OpenBLAS not loaded"), out);
            assertFalse(out.contains("origin=bundled"), out);
        }
        assumeShipsNatives();
        // netlib bound to an OpenBLAS by the caller: the resident case happens whether or not the machine has a
        // system BLAS, so the guard is exercised everywhere
        String lib = BlasSelection.BundledOpenBlas.extract().toString();
        out = child("-D" + BlasSelection.PROPERTY + "=auto", "-Dchild.netlibFirst=true",
                "-Ddev.ludovic.netlib.blas.nativeLibPath=" + lib);
        assertTrue(out.contains("product=ok"), out);
        assertFalse(out.contains("resident=none"), out);
        assertTrue(out.contains("bundled OpenBLAS not loaded"), out);
        assertFalse(out.contains("origin=bundled"), out);
    }

    /**
     * A java.io.tmpdir that cannot be written (full, read-only): netlib cannot copy its JNI binding there, and says so
     * in the selection's notes, not in netlib's own multi-line warnings; products still run.
     */
    @Test
    void anUnwritableTmpdirCostsNoWarnings() throws Exception {
        String out = child("-D" + BlasSelection.PROPERTY + "=auto", "-Djava.io.tmpdir=/proc/self");
        assertTrue(out.contains("product=ok"), out);
        assertFalse(out.contains("Failed to load implementation"), out);
        assertFalse(out.contains("WARNING"), out);
    }

    @Test
    void javaMeansPureJavaBlasAndF2jLapack() throws Exception {
        String out = child("-D" + BlasSelection.PROPERTY + "=java");
        assertTrue(out.contains("origin=java"), out);
        assertTrue(out.contains("lapack=F2J"), out);
        assertTrue(out.contains("product=ok"), out);
    }

    /**
     * Where ntk4j-core's dependencies hold no OpenBLAS (every platform but Linux x86-64 and arm64: the jar is a
     * dependency only there, by a profile in java/core/pom.xml), the pure-Java path is used and computes right.
     */
    @Test
    void withoutTheOpenBlasJarThePureJavaPathWorks() throws Exception {
        String cp = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.contains("openblas")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        String out = childOn(cp, "-D" + BlasSelection.PROPERTY + "=auto",
                "-D" + BlasSelection.SYSTEM_BLAS_PROPERTY + "=/nonexistent/libblas.so.3",
                "-D" + BlasSelection.SYSTEM_LAPACK_PROPERTY + "=/nonexistent/liblapack.so.3");
        assertTrue(out.contains("origin=java"), out);
        assertTrue(out.contains("is not on the class path"), out);
        assertTrue(out.contains("product=ok"), out);
    }

    /** Runs {@link Child} in a fresh JVM with these options and returns what it printed. */
    private static String child(String... options) throws IOException, InterruptedException {
        return childOn(System.getProperty("java.class.path"), options);
    }

    private static String childOn(String classPath, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of(options));
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child JVM: prints its selection and checks products through it. */
    public static final class Child {
        private Child() {
        }

        /** Null when C = A·Bᵀ (m×k by n×k) agrees with a plain loop in fp64 and fp32, else what differs. */
        static String wrongProduct(MatrixProducts mp, int m, int n, int k) {
            java.util.SplittableRandom r = new java.util.SplittableRandom(m);
            double[] a = r.doubles((long) m * k, -1, 1).toArray();
            double[] bm = r.doubles((long) n * k, -1, 1).toArray();
            float[] af = new float[a.length];
            float[] bf = new float[bm.length];
            for (int i = 0; i < a.length; i++) {
                af[i] = (float) a[i];
            }
            for (int i = 0; i < bm.length; i++) {
                bf[i] = (float) bm[i];
            }
            double[] want = new double[m * n];
            double[] wantF = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double sf = 0;
                    for (int q = 0; q < k; q++) {
                        s += a[i * k + q] * bm[j * k + q];
                        sf += (double) af[i * k + q] * bf[j * k + q];
                    }
                    want[i * n + j] = s;
                    wantF[i * n + j] = sf;
                }
            }
            double[] c = new double[m * n];
            mp.gemmABt(m, n, k, 1.0, a, 0, k, bm, 0, k, 0.0, c, 0, n);
            float[] cf = new float[m * n];
            mp.gemmABt(m, n, k, 1f, af, 0, k, bf, 0, k, 0f, cf, 0, n);
            double[] cfd = new double[cf.length];
            for (int i = 0; i < cf.length; i++) {
                cfd[i] = cf[i];
            }
            double e64 = org.ntk4j.testing.Compare.relativeError(c, want);
            double e32 = org.ntk4j.testing.Compare.relativeError(cfd, wantF);
            if (e64 <= org.ntk4j.testing.Tolerances.FP64 && e32 <= org.ntk4j.testing.Tolerances.FP32) {
                return null;
            }
            return "product " + m + "x" + n + "x" + k + ": fp64 error " + e64 + ", fp32 error " + e32;
        }

        public static void main(String[] args) {
            if (Boolean.getBoolean("child.netlibFirst")) {
                // a caller who used netlib before ntk4j: netlib binds its default library, globally visible
                dev.ludovic.netlib.blas.BLAS.getInstance();
            }
            String resident = BlasSelection.openBlasAlreadyGlobal();
            System.out.println("resident=" + (resident == null ? "none" : resident));
            BlasSelection sel = BlasSelection.current();
            System.out.println("origin=" + sel.origin());
            System.out.println("blas=" + sel.blasDescription());
            System.out.println("lapack=" + sel.lapackDescription());
            System.out.println("notes=" + sel.notes());
            try (CpuBackend b = CpuBackend.builder().threads(2).build(); Pool pool = new Pool(2)) {
                // fp32 and fp64 products of several sizes from two threads: mixing two OpenBLAS builds in one process
                // (see java/core/pom.xml) crashed a JVM here
                double g = 1;
                for (int n : new int[] {96, 512, 1024}) {
                    g = Math.min(g, Math.min(b.gemmGflops(false, n), b.gemmGflops(true, n)));
                }
                // and the products are right: A·Bᵀ through the chosen library against a plain loop
                MatrixProducts mp = MatrixProducts.open(org.ntk4j.Blas.AUTO, pool);
                String wrong = null;
                for (int n : new int[] {7, 96, 300}) {
                    wrong = wrong != null ? wrong : wrongProduct(mp, n, n + 5, n + 3);
                }
                System.out.println("product=" + (wrong == null && g > 0 && b.nativeBlas() == sel.nativeBlas()
                        && mp.isNative() == sel.nativeBlas() ? "ok" : "bad " + g + " " + wrong));
                // netlib must call the chosen library, not whatever libblas.so.3 the loader finds
                System.out.println("netlib=" + System.getProperty("dev.ludovic.netlib.blas.nativeLib"));
            }
        }
    }
}
