package org.ntk4j.analytic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.spi.Backend;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Shape;
import org.ntk4j.model.UnsupportedLayerException;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.LogLogSlope;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

class AnalyticKernelTest {
    private static final Backend REF = new ReferenceBackend();

    private static Architecture.Builder net(int d, Activation act, Parameterization p, int... hidden) {
        return Architecture.builder(d).hidden(hidden).activation(act).parameterization(p);
    }

    @Test
    void layoutsFollowNtkModes() {
        Architecture arch = net(6, Activation.RELU, Parameterization.NTK, 9, 9).output(3).sigmaW(1.4).sigmaB(0.2).build();
        AnalyticKernel k = AnalyticKernel.of(arch);
        Matrix x1 = NtkCase.gaussianInputs(4, 6, 1);
        Matrix x2 = NtkCase.gaussianInputs(5, 6, 2);
        Tensor full = k.ntk(x1, x2, NtkMode.FULL);
        assertArrayEquals(new int[] {4, 5, 3, 3}, full.shape());
        Compare.assertClose("trace", k.ntk(x1, x2, NtkMode.TRACE), NtkMode.TRACE.fromFull(full), 1e-15);
        assertEquals(NtkMode.DIAGONAL.fromFull(full), k.ntk(x1, x2, NtkMode.DIAGONAL));
        assertEquals(0.0, full.get(1, 2, 0, 1));
        assertTrue(full.get(1, 2, 2, 2) != 0.0);
        Tensor diag = k.ntkDiagonal(x1, NtkMode.FULL);
        assertArrayEquals(new int[] {4, 3, 3}, diag.shape());
        Tensor sym = k.ntk(x1, NtkMode.FULL);
        for (int i = 0; i < 4; i++) {
            assertEquals(sym.get(i, i, 1, 1), diag.get(i, 1, 1), 1e-14 * Math.abs(diag.get(i, 1, 1)));
        }
    }

    @Test
    void symmetricKernelIsExactlySymmetricAndEqualsCrossKernel() {
        for (Activation act : new Activation[] {Activation.RELU, Activation.TANH}) {
            Architecture arch = net(5, act, Parameterization.STANDARD, 7, 11).output(1).sigmaW(1.3).sigmaB(0.4).build();
            AnalyticKernel k = AnalyticKernel.of(arch);
            Matrix x = NtkCase.gaussianInputs(6, 5, 3);
            AnalyticKernel.Kernels sym = k.compute(x);
            AnalyticKernel.Kernels cross = k.compute(x, x.copy());
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    assertEquals(sym.ntk().get(i, j), sym.ntk().get(j, i));
                    assertEquals(sym.nngp().get(i, j), sym.nngp().get(j, i));
                }
            }
            Compare.assertClose(act + " ntk sym vs cross", sym.ntk(), cross.ntk(), 1e-14);
            Compare.assertClose(act + " nngp sym vs cross", sym.nngp(), cross.nngp(), 1e-14);
            AnalyticKernel.Kernels diag = k.computeDiagonal(x);
            for (int i = 0; i < 6; i++) {
                assertEquals(sym.ntk().get(i, i), diag.ntk().get(i, 0), 1e-14 * diag.ntk().get(i, 0));
            }
        }
    }

    @Test
    void blocksOfAKernelAreTheKernelsOfTheBlocks() {
        // What a tiled writer does: Θ(X[i0:i1], X[j0:j1]) must be the block of Θ(X, X), whichever block it is in.
        Matrix x = NtkCase.gaussianInputs(23, 5, 41);
        for (Activation act : new Activation[] {Activation.RELU, Activation.GELU, Activation.TANH}) {
            Architecture arch = net(5, act, Parameterization.NTK, 9, 9, 9).output(2).sigmaW(1.4).sigmaB(0.3).build();
            AnalyticKernel k = AnalyticKernel.of(arch);
            AnalyticKernel.Kernels whole = k.compute(x);
            // The series' coefficients of a block come from that block's own order and rule: equal within its bar.
            double tol = act == Activation.TANH ? Tolerances.DUAL_SERIES : 1e-14;
            int[][] blocks = {{0, 7, 7, 23}, {7, 23, 0, 7}, {5, 12, 5, 12}, {0, 23, 11, 12}};
            for (int[] b : blocks) {
                AnalyticKernel.Kernels part = k.compute(x.rowRange(b[0], b[1]), x.rowRange(b[2], b[3]));
                Compare.assertClose(act + " ntk block " + java.util.Arrays.toString(b), part.ntk(),
                        subBlock(whole.ntk(), b), tol);
                Compare.assertClose(act + " nngp block " + java.util.Arrays.toString(b), part.nngp(),
                        subBlock(whole.nngp(), b), tol);
            }
        }
    }

    private static Matrix subBlock(Matrix m, int[] b) {
        Matrix out = Matrix.zeros(b[1] - b[0], b[3] - b[2]);
        for (int i = b[0]; i < b[1]; i++) {
            for (int j = b[2]; j < b[3]; j++) {
                out.set(i - b[0], j - b[2], m.get(i, j));
            }
        }
        return out;
    }

    @Test
    void seriesKernelsMatchTheGradedQuadratureThroughLayers() {
        // Whole kernels, errors compounding over three hidden layers, both parameterizations, cross and symmetric.
        Matrix x1 = NtkCase.gaussianInputs(7, 4, 51);
        Matrix x2 = NtkCase.gaussianInputs(5, 4, 52);
        for (Parameterization p : Parameterization.values()) {
            Architecture arch = net(4, Activation.TANH, p, 8, 8, 8).output(1).sigmaW(1.6).sigmaB(0.4).build();
            AnalyticKernel series = AnalyticKernel.of(arch);
            AnalyticKernel graded = AnalyticKernel.of(arch, DualActivation.graded(Activation.TANH, DualActivation.DEFAULT_ORDER));
            for (Matrix other : new Matrix[] {null, x2}) {
                AnalyticKernel.Kernels a = other == null ? series.compute(x1) : series.compute(x1, other);
                AnalyticKernel.Kernels b = other == null ? graded.compute(x1) : graded.compute(x1, other);
                Compare.assertClose(p + " ntk", a.ntk(), b.ntk(), Tolerances.DUAL_SERIES);
                Compare.assertClose(p + " nngp", a.nngp(), b.nngp(), Tolerances.DUAL_SERIES);
            }
        }
    }

    @Test
    void aCallersActivationDrivesTheKernel() {
        // tanh given as two lambdas through the public API reproduces the built-in tanh kernel, and x ↦ x (as a
        // lambda) the identity's closed form.
        Matrix x = NtkCase.gaussianInputs(9, 6, 61);
        Architecture tanhNet = net(6, Activation.TANH, Parameterization.NTK, 16, 16).output(3).sigmaW(1.3).sigmaB(0.2).build();
        DualActivation lambdas = DualActivation.numerical(Math::tanh, z -> 1 - Math.tanh(z) * Math.tanh(z));
        Compare.assertClose("tanh as lambdas", AnalyticKernel.of(tanhNet, lambdas).ntk(x, NtkMode.FULL),
                AnalyticKernel.of(tanhNet).ntk(x, NtkMode.FULL), Tolerances.DUAL_SERIES);
        Architecture linear = net(6, Activation.IDENTITY, Parameterization.STANDARD, 16, 16).output(1).sigmaW(0.9).build();
        Compare.assertClose("identity as a lambda",
                AnalyticKernel.of(linear, DualActivation.numerical(z -> z, z -> 1)).ntk(x, NtkMode.TRACE),
                AnalyticKernel.of(linear).ntk(x, NtkMode.TRACE), Tolerances.DUAL_SERIES);
    }

    @Test
    void reluKnownValuesOneHiddenLayer() {
        // ‖x‖² = d, so Σ¹ = cos θ for σ_w = 1 and no bias; then Θ = K + K̇·Σ¹.
        double r = Math.sqrt(2);
        Matrix x = Matrix.of(new double[][] {{r, 0}, {0, r}, {-r, 0}});
        Architecture ntkArch = net(2, Activation.RELU, Parameterization.NTK, 50).output(1).noBias().build();
        AnalyticKernel.Kernels k = AnalyticKernel.of(ntkArch).compute(x);
        assertEquals(1.0, k.ntk().get(0, 0), 1e-15);
        assertEquals(1 / (2 * Math.PI), k.ntk().get(0, 1), 1e-15);
        assertEquals(0.0, k.ntk().get(0, 2), 1e-15);
        assertEquals(0.5, k.nngp().get(0, 0), 1e-15);
        assertEquals(1 / (2 * Math.PI), k.nngp().get(0, 1), 1e-15);
        assertEquals(0.0, k.nngp().get(0, 2), 1e-15);
        // Standard parameterization at width 50: Θ¹ = x·x' = 2 cos θ, Θ² = 50·K + K̇·Θ¹.
        Architecture std = net(2, Activation.RELU, Parameterization.STANDARD, 50).output(1).noBias().build();
        AnalyticKernel.Kernels s = AnalyticKernel.of(std).compute(x);
        assertEquals(50 * 0.5 + 0.5 * 2, s.ntk().get(0, 0), 1e-13);
        assertEquals(50 / (2 * Math.PI), s.ntk().get(0, 1), 1e-13);
        assertEquals(0.0, s.ntk().get(0, 2), 1e-13);
        assertEquals(0.5, s.nngp().get(0, 0), 1e-15);
    }

    /** Mean over seeds of ‖Θ_emp − Θ_∞‖_F/‖Θ_∞‖_F (full mode, so the vanishing cross-output blocks count). */
    private static double meanRelativeError(Architecture arch, Matrix x, int seeds, long seed0) {
        Tensor inf = AnalyticKernel.of(arch).ntk(x, NtkMode.FULL);
        double sum = 0;
        for (int s = 0; s < seeds; s++) {
            Tensor emp = REF.kernel(Parameters.init(arch, seed0 + s), x, NtkMode.FULL, Implementation.AUTO);
            sum += Compare.relativeError(emp.doubles(), inf.doubles());
        }
        return sum / seeds;
    }

    /**
     * The mean over seeds of the trace-mode empirical kernel against a candidate limit: returns
     * ‖mean − candidate‖_F / ‖standard error of the mean‖_F, about 1 when the candidate is the expectation (up to a
     * finite-width bias small against the noise) and large when it is not.
     */
    private static double deviationInStandardErrors(Architecture arch, Matrix x, int seeds, long seed0, double[] candidate) {
        int m = candidate.length;
        double[] mean = new double[m];
        double[] sq = new double[m];
        for (int s = 0; s < seeds; s++) {
            double[] e = REF.kernel(Parameters.init(arch, seed0 + 7L * s), x, NtkMode.TRACE, Implementation.AUTO).doubles();
            for (int k = 0; k < m; k++) {
                mean[k] += e[k] / seeds;
                sq[k] += e[k] * e[k] / seeds;
            }
        }
        double dev = 0;
        double var = 0;
        for (int k = 0; k < m; k++) {
            dev += (mean[k] - candidate[k]) * (mean[k] - candidate[k]);
            var += (sq[k] - mean[k] * mean[k]) / (seeds - 1);
        }
        return Math.sqrt(dev / var);
    }

    @Test
    void empiricalNtkApproachesTheLimitAsInverseSquareRootOfWidth() {
        Matrix x = NtkCase.gaussianInputs(5, 7, 11);
        int[] widths = {32, 64, 128, 256, 512};
        double[] w = new double[widths.length];
        double[] err = new double[widths.length];
        for (int i = 0; i < widths.length; i++) {
            Architecture arch = net(7, Activation.RELU, Parameterization.NTK, widths[i], widths[i]).output(2)
                    .sigmaW(1.2).sigmaB(0.3).build();
            w[i] = widths[i];
            err[i] = meanRelativeError(arch, x, 6, 100);
        }
        double slope = LogLogSlope.of(w, err);
        // Fluctuations of a sum of n independent terms: slope −½. The band allows for 6 seeds' noise.
        assertTrue(slope > -0.75 && slope < -0.3, "slope " + slope + " errors " + java.util.Arrays.toString(err));
        assertTrue(err[err.length - 1] < 0.15, "error at width 512: " + err[err.length - 1]);
    }

    @Test
    void standardParameterizationMatchesTheMeanEmpiricalKernel() {
        // One hidden layer: its pre-activations are exactly Gaussian at any width, so E[Θ_emp] equals the formula
        // and only Monte-Carlo noise separates the mean over seeds from it. At width 8 the "+1" of each bias is
        // ~5% of the kernel, so a formula without it (or with σ factors in the wrong place) is many standard
        // errors away — checked below so this test can fail.
        Matrix x = NtkCase.gaussianInputs(4, 6, 21);
        for (boolean bias : new boolean[] {true, false}) {
            Architecture.Builder b = net(6, Activation.RELU, Parameterization.STANDARD, 8).output(1).sigmaW(1.5);
            Architecture arch = bias ? b.sigmaB(0.5).build() : b.noBias().build();
            double[] limit = AnalyticKernel.of(arch).ntk(x, NtkMode.TRACE).doubles();
            double dev = deviationInStandardErrors(arch, x, 1500, 5000, limit);
            assertTrue(dev < 3, "bias=" + bias + ": mean empirical kernel is " + dev + " standard errors from the limit");
            if (bias) {
                double[] withoutTopBias = limit.clone();
                for (int k = 0; k < withoutTopBias.length; k++) {
                    withoutTopBias[k] -= 1;
                }
                double wrong = deviationInStandardErrors(arch, x, 1500, 5000, withoutTopBias);
                assertTrue(wrong > 5, "a kernel missing the output bias's +1 is only " + wrong + " standard errors off");
            }
        }
    }

    @Test
    void everyActivationsLimitMatchesWideNetworks() {
        // Two hidden layers of width 256: a finite-width bias O(1/n) remains but is well below the noise of 8 seeds.
        Matrix x = NtkCase.gaussianInputs(4, 5, 31);
        for (Activation act : Activation.values()) {
            for (Parameterization p : Parameterization.values()) {
                Architecture arch = net(5, act, p, 256, 256).output(1).sigmaW(1.3).sigmaB(0.2).build();
                double[] limit = AnalyticKernel.of(arch).ntk(x, NtkMode.TRACE).doubles();
                double dev = deviationInStandardErrors(arch, x, 8, 40, limit);
                assertTrue(dev < 4, act + " " + p + ": mean empirical kernel is " + dev + " standard errors from the limit");
            }
        }
    }

    @Test
    void aLayerSequencesLimitMatchesWideNetworks() {
        // Per-layer σ_w/σ_b, two activations, two dense layers with none between them, a bias-free layer and an
        // activation after the last dense layer: each layer's own map, checked against the mean of wide networks.
        Matrix x = NtkCase.gaussianInputs(4, 5, 41);
        for (Parameterization p : Parameterization.values()) {
            Architecture arch = Architecture.of(Shape.flat(5), p, Layer.dense(256, 1.4, 0.3),
                    Layer.activation(Activation.ERF), Layer.dense(256, 0.8, 0.6), Layer.denseNoBias(192, 1.1),
                    Layer.activation(Activation.RELU), Layer.dense(1, 1.3, 0.2), Layer.activation(Activation.TANH));
            double[] limit = AnalyticKernel.of(arch).ntk(x, NtkMode.TRACE).data();
            double dev = deviationInStandardErrors(arch, x, 8, 60, limit);
            assertTrue(dev < 4, p + ": mean empirical kernel is " + dev + " standard errors from the limit");
            // the diagonal walks the same maps
            Compare.assertClose("diagonal vs the full kernel's diagonal, " + p,
                    AnalyticKernel.of(arch).computeDiagonal(x).ntk().data(), diagonalOf(AnalyticKernel.of(arch)
                            .compute(x).ntk()), Tolerances.FP64);
            // the same widths with one σ_w, σ_b for every layer are another kernel, many standard errors away (in the
            // ntk parameterization: in the standard one the width·K terms dominate and the noise hides the σs)
            if (p == Parameterization.STANDARD) {
                continue;
            }
            Architecture uniform = Architecture.of(Shape.flat(5), p, Layer.dense(256, 1.4, 0.3),
                    Layer.activation(Activation.ERF), Layer.dense(256, 1.4, 0.3), Layer.dense(192, 1.4, 0.3),
                    Layer.activation(Activation.RELU), Layer.dense(1, 1.4, 0.3), Layer.activation(Activation.TANH));
            double wrong = deviationInStandardErrors(arch, x, 8, 60, AnalyticKernel.of(uniform).ntk(x, NtkMode.TRACE)
                    .data());
            assertTrue(wrong > 5, p + ": one σ for every layer is only " + wrong + " standard errors off");
        }
    }

    private static double[] diagonalOf(Matrix m) {
        double[] d = new double[m.rows()];
        for (int i = 0; i < d.length; i++) {
            d[i] = m.get(i, i);
        }
        return d;
    }

    @Test
    void denseLayersWithoutActivationBetweenThemAreAnIdentityActivation() {
        Matrix x1 = NtkCase.gaussianInputs(5, 3, 3);
        Matrix x2 = NtkCase.gaussianInputs(4, 3, 4);
        for (Parameterization p : Parameterization.values()) {
            Architecture direct = Architecture.of(Shape.flat(3), p, Layer.dense(7, 1.2, 0.4), Layer.dense(5, 0.9, 0.1),
                    Layer.activation(Activation.GELU), Layer.dense(2, 1.1, 0.3));
            Architecture identity = Architecture.of(Shape.flat(3), p, Layer.dense(7, 1.2, 0.4),
                    Layer.activation(Activation.IDENTITY), Layer.dense(5, 0.9, 0.1), Layer.activation(Activation.GELU),
                    Layer.dense(2, 1.1, 0.3));
            AnalyticKernel.Kernels a = AnalyticKernel.of(direct).compute(x1, x2);
            AnalyticKernel.Kernels b = AnalyticKernel.of(identity).compute(x1, x2);
            Compare.assertClose("NTK, " + p, a.ntk(), b.ntk(), Tolerances.FP64);
            Compare.assertClose("NNGP, " + p, a.nngp(), b.nngp(), Tolerances.FP64);
        }
    }

    @Test
    void anActivationWhoseInputIsNotGaussianIsRefusedNamingIt() {
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> AnalyticKernel.of(
                Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0),
                        Layer.activation(Activation.RELU), Layer.activation(Activation.ERF), Layer.dense(1, 1, 0))));
        assertEquals(2, e.layerIndex());
        assertTrue(e.getMessage().startsWith("layer 2 (erf) does not follow a dense layer"), e.getMessage());
        e = assertThrows(UnsupportedLayerException.class, () -> AnalyticKernel.of(Architecture.of(Shape.flat(3),
                Parameterization.NTK, Layer.activation(Activation.TANH), Layer.dense(1, 1, 0))));
        assertEquals(0, e.layerIndex());
    }

    @Test
    void rejectsBadInput() {
        Architecture arch = net(3, Activation.RELU, Parameterization.NTK, 4).output(1).build();
        AnalyticKernel k = AnalyticKernel.of(arch);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> k.compute(NtkCase.gaussianInputs(2, 4, 1)));
        assertTrue(e.getMessage().contains("input dimension"), e.getMessage());
        Matrix bad = NtkCase.gaussianInputs(2, 3, 1);
        bad.set(1, 2, Double.NaN);
        assertThrows(InvalidInputException.class, () -> k.ntk(bad, NtkMode.TRACE));
        assertThrows(InvalidInputException.class, () -> AnalyticKernel.of(null));
        e = assertThrows(InvalidInputException.class, () -> AnalyticKernel.of(arch, null));
        assertTrue(e.getMessage().contains("evaluator must be given"), e.getMessage());
        Matrix x = NtkCase.gaussianInputs(2, 3, 1);
        e = assertThrows(InvalidInputException.class, () -> k.compute(x, null));
        assertTrue(e.getMessage().contains("x2 is missing"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> k.ntk(x, null, NtkMode.FULL));
        assertThrows(InvalidInputException.class, () -> k.nngp(x, null, NtkMode.FULL));
    }
}
