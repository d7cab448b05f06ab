package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/** What the empirical NNGP means: over random initialisations its mean is the infinite-width NNGP. */
class EmpiricalNngpTest {

    @Test
    void itsMeanOverInitialisationsIsTheInfiniteWidthNngp() {
        // Width 512, 8 outputs, 400 seeds: 3200 output samples per pair, so the Monte Carlo error of each entry of
        // the trace-mode mean is ~√2/√3200 ≈ 2.5% of its Cauchy–Schwarz scale √(K(x,x)·K(x',x')) (a cross entry may
        // nearly cancel, so the error is measured against that scale); the finite-width bias is O(1/512). Measured: 1.5%.
        Architecture arch = Architecture.builder(4).hidden(512).activation(Activation.ERF).output(8).sigmaW(1.5)
                .sigmaB(0.4).build();
        Matrix x = NtkCase.gaussianInputs(6, 4, 9);
        Matrix x2 = NtkCase.gaussianInputs(3, 4, 10);
        int seeds = 400;
        double[] mean = new double[6 * 3];
        double[] meanSym = new double[6 * 6];
        try (Ntk ntk = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            for (int s = 0; s < seeds; s++) {
                Parameters p = Parameters.init(arch, 100 + s);
                double[] k = ntk.nngp(p, x, x2, NtkMode.TRACE).doubles();
                double[] ks = ntk.nngp(p, x, NtkMode.TRACE).doubles();
                for (int i = 0; i < mean.length; i++) {
                    mean[i] += k[i] / seeds;
                }
                for (int i = 0; i < meanSym.length; i++) {
                    meanSym[i] += ks[i] / seeds;
                }
            }
        }
        AnalyticKernel inf = AnalyticKernel.of(arch);
        double err = scaledError(mean, inf.nngp(x, x2, NtkMode.TRACE).doubles(), inf.nngpDiagonal(x, NtkMode.TRACE).doubles(),
                inf.nngpDiagonal(x2, NtkMode.TRACE).doubles());
        double[] diag = inf.nngpDiagonal(x, NtkMode.TRACE).doubles();
        double errSym = scaledError(meanSym, inf.nngp(x, NtkMode.TRACE).doubles(), diag, diag);
        assertTrue(err < 0.06 && errSym < 0.06, "mean empirical NNGP vs infinite width: " + err + ", " + errSym);
        // And not by accident: one network alone is far from it.
        try (Ntk ntk = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            double one = ntk.nngp(Parameters.init(arch, 7), x, NtkMode.FULL)
                    .relativeDistance(inf.nngp(x, NtkMode.FULL));
            assertTrue(one > 0.3, "one network's full NNGP is rank O, not the kernel: " + one);
        }
    }

    /** ‖mean − k‖_F / ‖√(k(x,x)·k(x',x'))‖_F over the (n1, n2) entries. */
    private static double scaledError(double[] mean, double[] k, double[] d1, double[] d2) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < d1.length; i++) {
            for (int j = 0; j < d2.length; j++) {
                double d = mean[i * d2.length + j] - k[i * d2.length + j];
                num += d * d;
                den += d1[i] * d2[j];
            }
        }
        return Math.sqrt(num / den);
    }

    @Test
    void badInputIsRefused() {
        Architecture arch = Architecture.builder(4).hidden(5).output(2).build();
        Parameters p = Parameters.init(arch, 1);
        try (Ntk ntk = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            assertThrows(InvalidInputException.class, () -> ntk.nngp(p, NtkCase.gaussianInputs(3, 5, 1), NtkMode.FULL));
            assertThrows(InvalidInputException.class, () -> ntk.nngp(p, NtkCase.gaussianInputs(3, 4, 1), null));
        }
    }
}
