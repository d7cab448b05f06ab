package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumMap;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Bars;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.NtkCases;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Tolerances;

/**
 * The generated battery (the same cases every backend runs) on the GPU against the fp64 reference: both NTK
 * implementations in fp32 and fp64, the Jacobian contraction in TF32, forward, Jacobian and MSE gradient. Outputs are
 * poisoned (NaN) before every kernel writes them, so an unwritten value fails the comparison. Skipped with the reason
 * printed when no GPU is usable; NTK4J_REQUIRE_GPU=1 turns that into a failure.
 */
@AddLifecycleHook(Gpu.class)
class CudaBackendTest {
    private static final org.ntk4j.spi.Backend REF = Reference.backend();
    private static final Map<Precision, CudaBackend> OPEN = new EnumMap<>(Precision.class);

    static synchronized CudaBackend backend(Precision p) {
        Gpu.require();
        return OPEN.computeIfAbsent(p, q -> {
            CudaBackend b = new CudaBackend(q);
            b.setPoisonOutputs(true);
            return b;
        });
    }

    @AfterContainer
    static synchronized void closeAll() {
        OPEN.values().forEach(CudaBackend::close);
        OPEN.clear();
        CUBLAS.values().forEach(CudaBackend::close);
        CUBLAS.clear();
    }

    @Provide
    Arbitrary<NtkCase> cases() {
        return NtkCases.all();
    }

    private static void assertExactlySymmetric(Tensor t, NtkMode mode, int n, int o, String what) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                switch (mode) {
                    case FULL -> {
                        for (int a = 0; a < o; a++) {
                            for (int b = 0; b < o; b++) {
                                assertEquals(t.get(i, j, a, b), t.get(j, i, b, a), what + " symmetry");
                            }
                        }
                    }
                    case TRACE -> assertEquals(t.get(i, j), t.get(j, i), what + " symmetry");
                    case DIAGONAL -> {
                        for (int a = 0; a < o; a++) {
                            assertEquals(t.get(i, j, a), t.get(j, i, a), what + " symmetry");
                        }
                    }
                }
            }
        }
    }

    @Property(tries = 60)
    void ntkMatchesTheReference(@ForAll("cases") NtkCase c) {
        checkNtk(c);
    }

    /** Both implementations in fp32, fp64 and TF32 against the reference in the case's mode. */
    static void checkNtk(NtkCase c) {
        Parameters p = c.params();
        Tensor ref = REF.kernel(p, c.x1(), c.x2(), c.mode(), Implementation.AUTO);
        Bars bars = Bars.of(c, targets(c));
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64, Precision.TF32}) {
            for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                    Implementation.JACOBIAN_CONTRACTION}) {
                String what = "cuda " + prec + " " + impl + " vs reference, " + c;
                Tensor got = backend(prec).kernel(p, c.x1(), c.x2(), c.mode(), impl);
                // the CPU backend's rule (TF32 changes only the Jacobian contraction; the structured path is fp32)
                Compare.assertClose(what, got, ref, bars.ntk(prec, c.mode(), impl));
                if (c.symmetric()) {
                    assertExactlySymmetric(got, c.mode(), c.x1().rows(), c.arch().outputDim(), what);
                }
            }
        }
    }

    @Property(tries = 40)
    void forwardJacobianAndGradientMatchTheReference(@ForAll("cases") NtkCase c) {
        checkForwardJacobianAndGradient(c);
    }

    /** Forward, Jacobian, MSE loss and gradient in fp32 and fp64 against the reference. */
    static void checkForwardJacobianAndGradient(NtkCase c) {
        Parameters p = c.params();
        Matrix y = targets(c);
        Matrix f = REF.forward(p, c.x1());
        Matrix j = REF.jacobian(p, c.x1());
        LossGradient g = REF.mseLossGradient(p, c.x1(), y);
        Bars bars = Bars.of(c, y);
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64}) {
            CudaBackend b = backend(prec);
            Compare.assertClose("cuda " + prec + " forward, " + c, b.forward(p, c.x1()), f, bars.forward(prec));
            Compare.assertClose("cuda " + prec + " jacobian, " + c, b.jacobian(p, c.x1()), j, bars.jacobian(prec));
            LossGradient got = b.mseLossGradient(p, c.x1(), y);
            Compare.assertClose("cuda " + prec + " mse gradient, " + c, got.gradient(), g.gradient(),
                    bars.gradient(prec));
            Compare.assertClose("cuda " + prec + " mse loss, " + c, new double[] {got.loss()}, new double[] {g.loss()},
                    bars.loss(prec));
        }
    }

    /** The MSE targets of a case (as the CPU battery draws them). */
    private static Matrix targets(NtkCase c) {
        return NtkCase.gaussianInputs(c.x1().rows(), c.arch().outputDim(), c.seed() + 7);
    }

    /** How often the one fp32 rule widened its bar on the CUDA comparisons, in the test report. */
    @net.jqwik.api.lifecycle.AfterContainer
    static void reportFp32Bars() {
        System.out.println("[ntk4j] CUDA tests: " + Tolerances.fp32Report());
    }

    /**
     * The Jacobian contraction with its Gram product through cuBLAS (option gram=cublas, the comparison mode): the
     * same kernel as the reference. Where no cuBLAS is found the property is skipped with the reason.
     */
    @Property(tries = 10)
    void theCublasGramGivesTheSameKernel(@ForAll("cases") NtkCase c) {
        Gpu.require();
        Parameters p = c.params();
        Tensor ref = REF.kernel(p, c.x1(), c.x2(), c.mode(), Implementation.AUTO);
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64}) {
            CudaBackend b = cublasBackend(prec);
            Tensor got = b.kernel(p, c.x1(), c.x2(), c.mode(), Implementation.JACOBIAN_CONTRACTION);
            Compare.assertClose("cuda " + prec + " Jacobian contraction through cuBLAS vs reference, " + c, got, ref,
                    Tolerances.of(prec));
        }
    }

    private static final Map<Precision, CudaBackend> CUBLAS = new EnumMap<>(Precision.class);

    static synchronized CudaBackend cublasBackend(Precision p) {
        return CUBLAS.computeIfAbsent(p, q -> {
            CudaBackend b = (CudaBackend) new CudaProvider().open(new org.ntk4j.spi.BackendConfig(q, 0, 0,
                    Map.of("gram", "cublas", "poison", "true")));
            try {
                Cublas.open(b).close();
            } catch (org.ntk4j.BackendUnavailableException e) {
                b.close();
                org.junit.jupiter.api.Assumptions.abort("no cuBLAS here: " + e.getMessage());
            }
            return b;
        });
    }

    @Property(tries = 15)
    void tilingOverExamplesAndParametersGivesTheSameKernel(@ForAll("cases") NtkCase c) {
        Parameters p = c.params();
        Tensor ref = REF.kernel(p, c.x1(), c.x2(), c.mode(), Implementation.AUTO);
        CudaBackend b = backend(Precision.FP64);
        java.util.List<String> compared = new java.util.ArrayList<>();
        for (long budget : new long[] {400_000, 60_000}) {
            b.setMemoryBudget(budget);
            try {
                for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                        Implementation.JACOBIAN_CONTRACTION}) {
                    Tensor got;
                    try {
                        got = b.kernel(p, c.x1(), c.x2(), c.mode(), impl);
                    } catch (org.ntk4j.NtkException e) {
                        if (budget < 400_000 && e.getMessage().contains("budget")) {
                            continue; // the model itself does not fit the small budget
                        }
                        throw e;
                    }
                    Compare.assertClose("cuda fp64 " + impl + " under a " + budget + "-byte budget, " + c, got, ref,
                            Tolerances.FP64);
                    compared.add(impl + "@" + budget);
                }
            } finally {
                b.setMemoryBudget(-1);
            }
        }
        // Both implementations were compared at least under the larger budget (the cases' models fit it).
        org.junit.jupiter.api.Assertions.assertTrue(compared.size() >= 2, "compared only " + compared + ", " + c);
        SMALL_BUDGET_COMPARED.addAndGet(compared.size() - 2);
    }

    /** Comparisons made under the 60,000-byte budget, over all tries (see the check below). */
    private static final java.util.concurrent.atomic.AtomicInteger SMALL_BUDGET_COMPARED =
            new java.util.concurrent.atomic.AtomicInteger();

    /** The small budget, the one that tiles hardest, compared something in some of the tries. */
    @net.jqwik.api.lifecycle.AfterContainer
    static void theSmallBudgetComparedSomething() {
        if (Gpu.reason() == null) {
            org.junit.jupiter.api.Assertions.assertTrue(SMALL_BUDGET_COMPARED.get() > 0,
                    "no try compared anything under the 60,000-byte budget: its tiling went untested");
        }
    }
}
