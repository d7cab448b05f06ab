package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.PreparedModelContract;

/** Every kernel ntk4j computes, through the one KernelFunction, against the direct calls and the reference. */
class KernelFunctionTest {
    private static final Architecture ARCH = Architecture.builder(5).hidden(11).activation(Activation.TANH).output(3)
            .sigmaB(0.2).build();
    private static final Parameters P = Parameters.init(ARCH, 4);
    private static final Matrix X = NtkCase.gaussianInputs(6, 5, 1);
    private static final Matrix X2 = NtkCase.gaussianInputs(4, 5, 2);

    @Test
    void everyKernelThroughOneInterface() {
        AnalyticKernel inf = AnalyticKernel.of(ARCH);
        try (Ntk ref = Ntk.builder().backend("reference").open();
             Ntk cpu = Ntk.builder().backend("cpu").precision(Precision.FP64).open();
             PreparedModel model = cpu.prepare(P)) {
            Matrix f = ref.forward(P, X);
            Matrix f2 = ref.forward(P, X2);
            for (NtkMode mode : NtkMode.values()) {
                Tensor ntk = ref.kernel(P, X, X2, mode);
                Tensor nngp = PreparedModelContract.outputProducts(f, f2, mode);
                List<KernelFunction> ntks = List.of(ref.kernelFunction(P, KernelKind.NTK, Implementation.AUTO),
                        cpu.kernelFunction(P, KernelKind.NTK, Implementation.JACOBIAN_CONTRACTION),
                        model.kernelFunction(KernelKind.NTK, Implementation.STRUCTURED));
                for (KernelFunction k : ntks) {
                    Compare.assertClose(k.description() + " " + mode, k.kernel(X, X2, mode), ntk, 1e-12);
                    assertEquals(KernelKind.NTK, k.kind());
                    assertSymmetric(k, mode);
                }
                for (KernelFunction k : List.of(ref.kernelFunction(P, KernelKind.NNGP, Implementation.AUTO),
                        model.kernelFunction(KernelKind.NNGP, Implementation.AUTO))) {
                    Compare.assertClose(k.description() + " " + mode, k.kernel(X, X2, mode), nngp, 1e-12);
                    assertEquals(KernelKind.NNGP, k.kind());
                    assertSymmetric(k, mode);
                }
                KernelFunction a = inf.kernelFunction(KernelKind.NTK);
                KernelFunction b = inf.kernelFunction(KernelKind.NNGP);
                assertEquals(inf.ntk(X, X2, mode), a.kernel(X, X2, mode));
                assertEquals(inf.nngp(X, X2, mode), b.kernel(X, X2, mode));
                assertSymmetric(a, mode);
                assertSymmetric(b, mode);
                assertTrue(b.description().contains("NNGP"), b.description());
                assertEquals(5, b.inputDim());
                assertEquals(3, b.outputDim());
            }
        }
    }

    @Test
    void missingPiecesAreRefused() {
        try (Ntk ref = Ntk.builder().backend("reference").open()) {
            assertThrows(InvalidInputException.class, () -> ref.kernelFunction(P, null, Implementation.AUTO));
            assertThrows(InvalidInputException.class, () -> ref.kernelFunction(null, KernelKind.NTK, Implementation.AUTO));
        }
        assertThrows(InvalidInputException.class, () -> AnalyticKernel.of(ARCH).kernelFunction(null));
        assertThrows(InvalidInputException.class, () -> KernelKind.parse("ntp"));
        assertEquals(KernelKind.NNGP, KernelKind.parse(" NNGP "));
        assertThrows(InvalidInputException.class,
                () -> KernelFunction.of(KernelKind.NTK, 0, 1, "none", (x1, x2, mode) -> null));
    }

    private static void assertSymmetric(KernelFunction k, NtkMode mode) {
        Tensor s = k.kernel(X, mode);
        int n = X.rows();
        int per = mode.valuesPerPair(3);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int v = 0; v < per; v++) {
                    // FULL: (i, j, a, b) mirrors (j, i, b, a)
                    int w = mode == NtkMode.FULL ? (v % 3) * 3 + v / 3 : v;
                    assertEquals(s.at((i * n + j) * per + v), s.at((j * n + i) * per + w), 0.0,
                            k.description() + " " + mode + " symmetric");
                }
            }
        }
    }
}
