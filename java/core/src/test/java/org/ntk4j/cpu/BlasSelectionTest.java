package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    @Test
    void thisProcessHasANativeBlasAndLapackWhereNtk4jShipsOne() {
        BlasSelection sel = BlasSelection.current();
        if (!shipsNatives() || sel.requested().equals("java")) {
            return;
        }
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
        if (!shipsNatives()) {
            return;
        }
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
        if (!shipsNatives()) {
            return;
        }
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

    @Test
    void javaMeansPureJavaBlasAndF2jLapack() throws Exception {
        String out = child("-D" + BlasSelection.PROPERTY + "=java");
        assertTrue(out.contains("origin=java"), out);
        assertTrue(out.contains("lapack=F2J"), out);
        assertTrue(out.contains("product=ok"), out);
    }

    /** Runs {@link Child} in a fresh JVM with these options and returns what it printed. */
    private static String child(String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of(options));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child JVM: prints its selection and checks one product through it. */
    public static final class Child {
        private Child() {
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
            try (CpuBackend b = CpuBackend.builder().threads(2).build()) {
                // fp32 and fp64 products of several sizes from two threads: mixing two OpenBLAS builds in one process
                // (see java/core/pom.xml) crashed a JVM here
                double g = 1;
                for (int n : new int[] {96, 512, 1024}) {
                    g = Math.min(g, Math.min(b.gemmGflops(false, n), b.gemmGflops(true, n)));
                }
                System.out.println("product=" + (g > 0 && b.nativeBlas() == sel.nativeBlas() ? "ok" : "bad " + g));
                // netlib must call the chosen library, not whatever libblas.so.3 the loader finds
                System.out.println("netlib=" + System.getProperty("dev.ludovic.netlib.blas.nativeLib"));
            }
        }
    }
}
