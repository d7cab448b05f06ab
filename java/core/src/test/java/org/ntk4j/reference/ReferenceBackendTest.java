package org.ntk4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.NtkCases;
import org.ntk4j.testing.Tolerances;

/** The oracle checked against central finite differences and against its own definitions. */
class ReferenceBackendTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    /** Smooth activations only: relu's kink makes finite differences meaningless where a unit sits near 0. */
    @Provide
    Arbitrary<NtkCase> smoothCases() {
        return NtkCases.all().filter(c -> c.arch().activation() != Activation.RELU && c.x1().rows() <= 5);
    }

    @Property(tries = 60)
    void jacobianMatchesCentralDifferences(@ForAll("smoothCases") NtkCase c) {
        Parameters p = c.params();
        double outputScale = 0;
        for (double v : ref.forward(p, c.x1()).data()) {
            outputScale = Math.max(outputScale, Math.abs(v));
        }
        assertMatchesCentralDifferences("reference Jacobian vs central differences, " + c,
                ref.jacobian(p, c.x1()).data(), centralDifferenceJacobian(ref, p, c.x1()), outputScale);
    }

    @Property(tries = 40)
    void mseGradientMatchesCentralDifferences(@ForAll("smoothCases") NtkCase c) {
        Parameters p = c.params();
        Matrix y = NtkCase.gaussianInputs(c.x1().rows(), c.arch().outputDim(), c.seed() + 9);
        LossGradient lg = ref.mseLossGradient(p, c.x1(), y);
        double[] theta = p.toFlat();
        double[] fd = new double[theta.length];
        double h = STEP;
        for (int q = 0; q < theta.length; q++) {
            double keep = theta[q];
            theta[q] = keep + h;
            p.setFlat(theta);
            double plus = ref.mseLossGradient(p, c.x1(), y).loss();
            theta[q] = keep - h;
            p.setFlat(theta);
            double minus = ref.mseLossGradient(p, c.x1(), y).loss();
            theta[q] = keep;
            p.setFlat(theta);
            fd[q] = (plus - minus) / (2 * h);
        }
        assertMatchesCentralDifferences("reference MSE gradient vs central differences, " + c, lg.gradient(), fd,
                lg.loss());
        Matrix f = ref.forward(p, c.x1());
        double loss = 0;
        for (int i = 0; i < f.data().length; i++) {
            double r = f.data()[i] - y.data()[i];
            loss += 0.5 * r * r / f.data().length;
        }
        assertEquals(loss, lg.loss(), 1e-12 * Math.max(1, loss));
    }

    @Property(tries = 60)
    void kernelIsSymmetricPsdAndModesAreReductionsOfFull(@ForAll("generated") NtkCase c) {
        Parameters p = c.params();
        Tensor full = ref.kernel(p, c.x1(), NtkMode.FULL, Implementation.AUTO);
        int n = c.x1().rows();
        int o = c.arch().outputDim();
        Matrix m = new Matrix(n * o, n * o, new double[n * o * n * o]);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int a = 0; a < o; a++) {
                    for (int b = 0; b < o; b++) {
                        double v = full.get(i, j, a, b);
                        assertEquals(v, full.get(j, i, b, a), 1e-12 * (1 + Math.abs(v)), "Θ symmetric");
                        m.set(i * o + a, j * o + b, v);
                    }
                }
            }
        }
        // PSD: Θ = J Jᵀ, so vᵀΘv = ‖Jᵀv‖² ≥ 0 for random v (a cheap necessary check; eigenvalues are in the CPU tests).
        java.util.SplittableRandom rng = new java.util.SplittableRandom(c.seed());
        for (int t = 0; t < 5; t++) {
            double[] v = new double[n * o];
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextGaussian();
            }
            double q = 0;
            double scale = 0;
            for (int i = 0; i < v.length; i++) {
                for (int j = 0; j < v.length; j++) {
                    q += v[i] * m.get(i, j) * v[j];
                    scale += Math.abs(v[i] * m.get(i, j) * v[j]);
                }
            }
            assertTrue(q >= -1e-12 * scale, "vᵀΘv = " + q);
        }
        Tensor trace = ref.kernel(p, c.x1(), NtkMode.TRACE, Implementation.AUTO);
        Tensor diag = ref.kernel(p, c.x1(), NtkMode.DIAGONAL, Implementation.AUTO);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int a = 0; a < o; a++) {
                    assertEquals(full.get(i, j, a, a), diag.get(i, j, a));
                    s += full.get(i, j, a, a);
                }
                assertEquals(s / o, trace.get(i, j), 1e-12 * (1 + Math.abs(s)));
            }
        }
    }

    @Provide
    Arbitrary<NtkCase> generated() {
        return NtkCases.all().filter(c -> c.x1().rows() <= 8 && c.arch().parameterCount() < 4000);
    }

    @Test
    void knownValueOfATinyNetwork() {
        // f(x) = c1·w1·relu(c0·w0·x + s0·b0) + s1·b1 with one unit; NTK parameterization, σ_w = 1, σ_b = 1.
        Architecture arch = Architecture.builder(1).hidden(1).output(1).sigmaB(1.0).build();
        Parameters p = Parameters.of(arch, new double[][] {{2.0}, {3.0}}, new double[][] {{0.5}, {-1.0}});
        Matrix x = Matrix.of(new double[][] {{1.5}});
        // z1 = 2·1.5 + 0.5 = 3.5, h1 = 3.5, f = 3·3.5 − 1 = 9.5
        assertEquals(9.5, ref.forward(p, x).get(0, 0), 1e-15);
        // ∂f/∂w0 = 3·1·1.5 = 4.5, ∂f/∂b0 = 3, ∂f/∂w1 = 3.5, ∂f/∂b1 = 1  →  Θ = 20.25 + 9 + 12.25 + 1 = 42.5
        assertEquals(42.5, ref.kernel(p, x, NtkMode.FULL, Implementation.AUTO).get(0, 0, 0, 0), 1e-13);
    }

    @Test
    void knownValueWithSigmaWNotOneAndTwoUnits() {
        // d = 2, two relu units, one output; ntk parameterization, σ_w = 2, σ_b = 0.5: c = 2/√2 = √2 in both layers
        Architecture arch = Architecture.builder(2).hidden(2).output(1).activation(Activation.RELU).sigmaW(2.0)
                .sigmaB(0.5).build();
        Parameters p = Parameters.of(arch, new double[][] {{0.5, -1, 1, 0.25}, {1.5, -2}},
                new double[][] {{0.1, -0.2}, {0.3}});
        Matrix x = Matrix.of(new double[][] {{1, 2}});
        double r2 = Math.sqrt(2);
        // z = √2·W0·x + 0.5·b0 = (−1.5√2 + 0.05, 1.5√2 − 0.1): the first unit is off (well away from the kink)
        double h = 1.5 * r2 - 0.1;
        // f = √2·(1.5·0 − 2·h) + 0.5·0.3
        assertEquals(-2 * r2 * h + 0.15, ref.forward(p, x).get(0, 0), 1e-14);
        // ∂f/∂W1 = √2·h_j → 2h²; ∂f/∂b1 = 0.5 → 0.25; δ = ∂f/∂z = (0, −2√2); ∂f/∂W0_1j = √2·δ_1·x_j = −4·x_j → 16·5;
        // ∂f/∂b0_1 = 0.5·δ_1 = −√2 → 2
        double theta = 2 * h * h + 0.25 + 80 + 2;
        assertEquals(theta, ref.kernel(p, x, NtkMode.FULL, Implementation.AUTO).get(0, 0, 0, 0), 1e-12);
        assertEquals(theta, ref.kernel(p, x, NtkMode.FULL, Implementation.STRUCTURED).get(0, 0, 0, 0), 1e-12);
        // the standard parameterization of the same weights: c = s = 1
        Architecture std = Architecture.builder(2).hidden(2).output(1).activation(Activation.RELU).sigmaW(2.0)
                .sigmaB(0.5).parameterization(org.ntk4j.model.Parameterization.STANDARD).build();
        Parameters ps = Parameters.of(std, new double[][] {{0.5, -1, 1, 0.25}, {1.5, -2}},
                new double[][] {{0.1, -0.2}, {0.3}});
        // z = W0·x + b0 = (−1.4, 1.3): h = (0, 1.3), f = −2·1.3 + 0.3; Θ = h² + 1 + (−2)²·5 + (−2)² = 1.69 + 1 + 20 + 4
        assertEquals(-2.3, ref.forward(ps, x).get(0, 0), 1e-14);
        assertEquals(26.69, ref.kernel(ps, x, NtkMode.FULL, Implementation.AUTO).get(0, 0, 0, 0), 1e-12);
    }

    /** relu against central differences, on networks whose hidden units all sit far from the kink for these x. */
    @Test
    void reluJacobianMatchesCentralDifferencesAwayFromTheKink() {
        int checked = 0;
        for (long seed = 1; seed <= 40 && checked < 4; seed++) {
            Architecture arch = Architecture.builder(3).hidden(6, 5).output(2).activation(Activation.RELU)
                    .sigmaW(1.3).sigmaB(0.2).build();
            Parameters p = Parameters.init(arch, seed);
            Matrix x = NtkCase.gaussianInputs(3, 3, seed + 100);
            if (nearestToKink(p, x) < 1e-3) {
                continue; // a step of 1e-6 could cross the kink
            }
            checked++;
            Compare.assertClose("relu reference Jacobian vs central differences, seed " + seed,
                    ref.jacobian(p, x).data(), centralDifferenceJacobian(ref, p, x), 1e-6);
        }
        assertEquals(4, checked, "too few networks away from the kink to check");
    }

    /**
     * Relative Frobenius error within {@link Tolerances#FINITE_DIFFERENCE}, or the absolute error within the rounding
     * floor of differencing values of this size with step {@value #STEP}.
     */
    private static void assertMatchesCentralDifferences(String what, double[] analytic, double[] fd, double scale) {
        double floor = Tolerances.finiteDifferenceFloor(scale, STEP) * Math.sqrt(fd.length);
        double diff = 0;
        for (int i = 0; i < fd.length; i++) {
            diff += (analytic[i] - fd[i]) * (analytic[i] - fd[i]);
        }
        if (Math.sqrt(diff) > floor) {
            Compare.assertClose(what, analytic, fd, Tolerances.FINITE_DIFFERENCE);
        }
    }

    /** The step of the central differences. */
    private static final double STEP = 1e-6;

    /**
     * ∂f/∂θ by central differences of the reference's forward pass (step 1e-6), laid out as its Jacobian: row
     * example·O + output, column parameter. Restores the parameters.
     */
    static double[] centralDifferenceJacobian(ReferenceBackend ref, Parameters p, Matrix x) {
        double[] theta = p.toFlat();
        int o = p.architecture().outputDim();
        double[] fd = new double[x.rows() * o * theta.length];
        double h = STEP;
        for (int q = 0; q < theta.length; q++) {
            double keep = theta[q];
            theta[q] = keep + h;
            p.setFlat(theta);
            Matrix plus = ref.forward(p, x);
            theta[q] = keep - h;
            p.setFlat(theta);
            Matrix minus = ref.forward(p, x);
            theta[q] = keep;
            p.setFlat(theta);
            for (int r = 0; r < x.rows() * o; r++) {
                fd[r * theta.length + q] = (plus.data()[r] - minus.data()[r]) / (2 * h);
            }
        }
        return fd;
    }

    /** The smallest |z| over the hidden pre-activations of every example (plain loops, ntk parameterization). */
    private static double nearestToKink(Parameters p, Matrix x) {
        Architecture arch = p.architecture();
        double nearest = Double.POSITIVE_INFINITY;
        for (int e = 0; e < x.rows(); e++) {
            double[] h = x.row(e);
            for (int l = 0; l + 1 < arch.layers(); l++) {
                double[] w = p.weights(l);
                double[] b = p.bias(l);
                int in = h.length;
                int out = w.length / in;
                double[] z = new double[out];
                for (int i = 0; i < out; i++) {
                    double acc = 0;
                    for (int k = 0; k < in; k++) {
                        acc += w[i * in + k] * h[k];
                    }
                    z[i] = 1.3 / Math.sqrt(in) * acc + 0.2 * b[i];
                    nearest = Math.min(nearest, Math.abs(z[i]));
                }
                h = new double[out];
                for (int i = 0; i < out; i++) {
                    h[i] = Math.max(z[i], 0);
                }
            }
        }
        return nearest;
    }

    @Test
    void rejectsBadInput() {
        Architecture arch = Architecture.builder(3).hidden(4).output(2).build();
        Parameters p = Parameters.init(arch, 1);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ref.forward(p, new Matrix(2, 4, new double[8])));
        assertTrue(e.getMessage().contains("input dimension is 3"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> ref.forward(p, new Matrix(0, 3, new double[0])));
        assertTrue(e.getMessage().contains("empty batch"), e.getMessage());
        Matrix nan = new Matrix(1, 3, new double[] {0, Double.NaN, 1});
        e = assertThrows(InvalidInputException.class, () -> ref.kernel(p, nan, NtkMode.TRACE, Implementation.AUTO));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("column 1"), e.getMessage());
        p.weights(1)[0] = Double.POSITIVE_INFINITY;
        e = assertThrows(InvalidInputException.class, () -> ref.forward(p, new Matrix(1, 3, new double[3])));
        assertTrue(e.getMessage().contains("W1[0]"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Architecture.builder(3).hidden(0).output(2).build());
        assertTrue(e.getMessage().contains("width of hidden layer 1"), e.getMessage());
    }
}
