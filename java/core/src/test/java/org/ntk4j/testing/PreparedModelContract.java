package org.ntk4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;

/**
 * The {@link PreparedModel} contract, for any backend: subclass it with {@link #open} returning the backend under
 * test and every test here runs against it, or call {@link #check} with a backend. Expected values come from
 * the fp64 reference at the model's current parameters (or at an independent host replay of the steps), compared
 * by relative Frobenius error within {@link Tolerances#of} the precision.
 */
public abstract class PreparedModelContract {
    private static final Ntk REF = Reference.ntk();
    /** Odd widths, bias, a smooth activation: every parameter moves in a step. */
    protected static final Architecture ARCH = Architecture.builder(5).hidden(13, 7).activation(Activation.TANH)
            .output(3).sigmaW(1.3).sigmaB(0.2).build();
    /** Without bias (the bias offsets and s_l are absent). */
    protected static final Architecture NO_BIAS = Architecture.builder(4).hidden(9).output(2).noBias().build();
    protected static final Matrix X = NtkCase.gaussianInputs(11, 5, 3);
    protected static final Matrix Y = NtkCase.gaussianInputs(11, 3, 4);
    protected static final Matrix XT = NtkCase.gaussianInputs(6, 5, 5);

    /** The backend under test in this precision; the test closes it. */
    protected abstract Ntk open(Precision precision);

    /** The precisions the backend computes in (default fp32 and fp64). */
    protected List<Precision> precisions() {
        return List.of(Precision.FP32, Precision.FP64);
    }

    @Test
    void callsMatchTheReferenceAtThePreparedParameters() {
        for (Precision p : precisions()) {
            for (Architecture arch : List.of(ARCH, NO_BIAS)) {
                Parameters p0 = Parameters.init(arch, 11);
                Matrix x = NtkCase.gaussianInputs(7, arch.inputDim(), 6);
                Matrix x2 = NtkCase.gaussianInputs(4, arch.inputDim(), 7);
                Matrix y = NtkCase.gaussianInputs(7, arch.outputDim(), 8);
                double tol = Tolerances.of(p);
                try (Ntk ntk = open(p); PreparedModel m = ntk.prepare(p0)) {
                    String at = ntk.description() + ", " + arch;
                    assertEquals(arch, m.architecture());
                    Compare.assertClose("forward, " + at, m.forward(x), REF.forward(p0, x), tol);
                    LossGradient g = m.mseLossGradient(x, y);
                    LossGradient r = REF.mseLossGradient(p0, x, y);
                    assertEquals(r.loss(), g.loss(), tol * r.loss(), "loss, " + at);
                    Compare.assertClose("gradient, " + at, g.gradient(), r.gradient(), tol);
                    Compare.assertClose("kernel matrix, " + at, m.kernelMatrix(x), REF.kernelMatrix(p0, x), tol);
                    Compare.assertClose("cross kernel matrix, " + at, m.kernelMatrix(x2, x, Implementation.AUTO),
                            REF.kernelMatrix(p0, x2, x), tol);
                    Compare.assertClose("Jacobian, " + at, m.jacobian(x), REF.jacobian(p0, x), tol);
                    for (NtkMode mode : NtkMode.values()) {
                        for (Implementation impl : List.of(Implementation.AUTO, Implementation.JACOBIAN_CONTRACTION)) {
                            Tensor k = m.kernel(x, mode, impl);
                            Compare.assertClose(mode + " " + impl + " kernel, " + at, k,
                                    REF.kernel(p0, x, mode, Implementation.AUTO), tol);
                            assertSymmetric(k, mode, x.rows(), arch.outputDim());
                            Compare.assertClose(mode + " " + impl + " cross kernel, " + at, m.kernel(x2, x, mode, impl),
                                    REF.kernel(p0, x2, x, mode, Implementation.AUTO), tol);
                        }
                    }
                    for (NtkMode mode : NtkMode.values()) {
                        Tensor s = m.nngp(x, mode);
                        Compare.assertClose(mode + " NNGP, " + at, s, outputProducts(REF.forward(p0, x),
                                REF.forward(p0, x), mode), tol);
                        assertSymmetric(s, mode, x.rows(), arch.outputDim());
                        Tensor cross = outputProducts(REF.forward(p0, x2), REF.forward(p0, x), mode);
                        Compare.assertClose(mode + " cross NNGP, " + at, m.nngp(x2, x, mode), cross, tol);
                        Compare.assertClose(mode + " cross NNGP through Ntk, " + at, ntk.nngp(p0, x2, x, mode), cross,
                                tol);
                        Compare.assertClose(mode + " NNGP through Ntk, " + at, ntk.nngp(p0, x, mode), s, tol);
                    }
                    assertArrayEquals(new double[arch.layers()], m.layerDistancesFromStart(), "no step yet");
                }
            }
        }
    }

    @Test
    void stepsFollowAnIndependentHostReplay() {
        double lr = 0.35;
        int steps = 6;
        for (Precision p : precisions()) {
            for (Architecture arch : List.of(ARCH, NO_BIAS)) {
                Parameters p0 = Parameters.init(arch, 12);
                Matrix x = NtkCase.gaussianInputs(9, arch.inputDim(), 9);
                Matrix y = NtkCase.gaussianInputs(9, arch.outputDim(), 10);
                double tol = Tolerances.of(p);
                // the replay: θ ← θ − η·∇L(θ) with the reference's fp64 gradient, flat vectors on the host
                double[] theta = p0.toFlat();
                Parameters q = Parameters.init(arch, 12);
                try (Ntk ntk = open(p); PreparedModel m = ntk.prepare(p0)) {
                    String at = ntk.description() + ", " + arch;
                    for (int t = 0; t < steps; t++) {
                        q.setFlat(theta);
                        LossGradient lg = REF.mseLossGradient(q, x, y);
                        double loss = m.step(x, y, lr);
                        assertEquals(lg.loss(), loss, tol * lg.loss(), "loss before step " + t + ", " + at);
                        for (int i = 0; i < theta.length; i++) {
                            theta[i] -= lr * lg.gradient()[i];
                        }
                    }
                    q.setFlat(theta);
                    Parameters now = m.parameters();
                    // what moved, against what the replay moved (the parameters themselves agree trivially)
                    double[] moved = now.toFlat();
                    double[] expected = q.toFlat();
                    double[] start = p0.toFlat();
                    for (int i = 0; i < moved.length; i++) {
                        moved[i] -= start[i];
                        expected[i] -= start[i];
                    }
                    Compare.assertClose("θ_T − θ_0 after " + steps + " steps, " + at, moved, expected, tol);
                    double[] dist = m.layerDistancesFromStart();
                    assertEquals(arch.layers(), dist.length);
                    for (int l = 0; l < arch.layers(); l++) {
                        double want = q.layerDistance(l, p0);
                        assertEquals(want, dist[l], tol * want, "distance of layer " + l + ", " + at);
                        assertEquals(now.layerDistance(l, p0), dist[l], tol * want,
                                "distance of layer " + l + " against the model's own parameters, " + at);
                    }
                    Compare.assertClose("forward after the steps, " + at, m.forward(x), REF.forward(q, x), tol);
                    Compare.assertClose("kernel after the steps, " + at, m.kernel(x, NtkMode.FULL),
                            REF.kernel(q, x, NtkMode.FULL), tol);
                    Compare.assertClose("Jacobian after the steps, " + at, m.jacobian(x), REF.jacobian(q, x), tol);
                }
            }
        }
    }

    @Test
    void parametersAreCopiedBothWays() {
        Parameters p0 = Parameters.init(ARCH, 13);
        double[] before = p0.toFlat();
        try (Ntk ntk = open(precisions().get(0)); PreparedModel m = ntk.prepare(p0)) {
            Matrix f = m.forward(X);
            p0.weights(0)[0] += 1; // the caller's copy changes: the model's does not
            Compare.assertClose("forward after the caller changed its parameters", m.forward(X), f, 0);
            Parameters got = m.parameters();
            assertArrayEquals(before, got.toFlat(), "parameters() before any step are the prepared ones");
            got.weights(1)[2] += 1;
            assertArrayEquals(before, m.parameters().toFlat(), "parameters() returns a copy");
        }
    }

    @Test
    void modelsAreIndependent() {
        Parameters p0 = Parameters.init(ARCH, 14);
        try (Ntk ntk = open(precisions().get(0)); PreparedModel a = ntk.prepare(p0); PreparedModel b = ntk.prepare(p0)) {
            Matrix f = b.forward(X);
            a.step(X, Y, 0.3);
            a.step(X, Y, 0.3);
            assertTrue(a.layerDistancesFromStart()[0] > 0);
            assertArrayEquals(new double[ARCH.layers()], b.layerDistancesFromStart());
            Compare.assertClose("the other model's outputs", b.forward(X), f, 0);
            assertArrayEquals(p0.toFlat(), b.parameters().toFlat());
        }
    }

    @Test
    void badInputIsRejectedWithTheProblemNamed() {
        Parameters p0 = Parameters.init(ARCH, 15);
        try (Ntk ntk = open(precisions().get(0)); PreparedModel m = ntk.prepare(p0)) {
            Matrix wrongWidth = NtkCase.gaussianInputs(4, 6, 1);
            assertThrows(InvalidInputException.class, () -> m.forward(wrongWidth));
            assertThrows(InvalidInputException.class, () -> m.forward(null));
            assertThrows(InvalidInputException.class, () -> m.kernel(wrongWidth, NtkMode.TRACE));
            assertThrows(InvalidInputException.class, () -> m.kernel(X, wrongWidth, NtkMode.TRACE));
            assertThrows(InvalidInputException.class, () -> m.kernel(X, null, Implementation.AUTO));
            assertThrows(InvalidInputException.class, () -> m.mseLossGradient(X, NtkCase.gaussianInputs(11, 2, 1)));
            for (double lr : new double[] {0, -0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
                InvalidInputException e = assertThrows(InvalidInputException.class, () -> m.step(X, Y, lr));
                assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
            }
            assertThrows(InvalidInputException.class, () -> m.step(X, NtkCase.gaussianInputs(10, 3, 1), 0.1));
            Matrix nan = NtkCase.gaussianInputs(11, 5, 2);
            nan.set(3, 1, Double.NaN);
            assertThrows(InvalidInputException.class, () -> m.step(nan, Y, 0.1));
            // nothing moved
            assertArrayEquals(p0.toFlat(), m.parameters().toFlat());
        }
    }

    @Test
    void aClosedModelOrBackendRefusesCalls() {
        Parameters p0 = Parameters.init(ARCH, 16);
        Ntk ntk = open(precisions().get(0));
        PreparedModel m = ntk.prepare(p0);
        m.close();
        m.close(); // idempotent
        assertThrows(BackendClosedException.class, () -> m.forward(X));
        assertThrows(BackendClosedException.class, () -> m.step(X, Y, 0.1));
        assertThrows(BackendClosedException.class, m::parameters);
        PreparedModel live = ntk.prepare(p0);
        ntk.close();
        assertThrows(BackendClosedException.class, () -> live.forward(X));
        assertThrows(BackendClosedException.class, () -> live.kernel(X, NtkMode.TRACE));
        assertThrows(BackendClosedException.class, () -> live.step(X, Y, 0.1));
        live.close();
        assertThrows(BackendClosedException.class, () -> ntk.prepare(p0));
    }

    private static void assertSymmetric(Tensor k, NtkMode mode, int n, int o) {
        int per = mode.valuesPerPair(o);
        double[] v = k.doubles();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int q = 0; q < per; q++) {
                    int a = mode == NtkMode.FULL ? q / o : q;
                    int b = mode == NtkMode.FULL ? q % o : q;
                    int swapped = mode == NtkMode.FULL ? b * o + a : q;
                    assertEquals(v[(i * n + j) * per + q], v[(j * n + i) * per + swapped], 0.0,
                            "Θ(x, x) must be exactly symmetric (" + mode + ")");
                }
            }
        }
    }

    private static double[] rounded(double[] v, boolean fp32) {
        double[] r = v.clone();
        if (fp32) {
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) r[i];
            }
        }
        return r;
    }

    /**
     * The contract as one call, for tests that hold a {@link Backend} rather than an {@link Ntk}: one step checked
     * exactly against the model's own gradient (rounded to the storage precision), the layer distances, a second step
     * and the kernel after it against the reference, and {@code prepare(arch, seed)} against
     * {@code prepare(Parameters.init(arch, seed))}.
     *
     * @param tol       the backend's tolerance against the reference (Tolerances.of its precision)
     * @param storeFp32 whether the model keeps its parameters in fp32 (the values it reports are then fp32 values)
     */
    public static void check(Backend backend, double tol, boolean storeFp32) {
        Backend ref = Reference.backend();
        String who = backend.description() + " prepared model";
        Architecture arch = Architecture.widths(4, 9, 7, 3)
                .activation(Activation.TANH).parameterization(Parameterization.NTK).sigmaW(1.3).sigmaB(0.4).build();
        Parameters p0 = Parameters.init(arch, 11);
        Matrix x = NtkCase.gaussianInputs(10, 4, 1);
        Matrix x2 = NtkCase.gaussianInputs(5, 4, 2);
        Matrix y = NtkCase.gaussianInputs(10, 3, 3);
        double lr = 0.7;
        double stepTol = storeFp32 ? 1e-6 : 1e-13;
        PreparedModel m = backend.prepare(p0);
        try {
            double[] start = m.parameters().toFlat();
            assertTrue(Compare.relativeError(start, p0.toFlat()) <= stepTol, who + ": prepared parameters");
            p0.weights(0)[0] += 100; // the model holds a copy
            assertEquals(start[0], m.parameters().toFlat()[0], who + ": prepare copies the parameters");
            p0.weights(0)[0] -= 100;

            // At θ0: forward, gradient and kernels against the reference.
            Parameters stored0 = m.parameters();
            Compare.assertCloseScaled(who + " forward", m.forward(x).data(), ref.forward(stored0, x).data(),
                    Compare.forwardScale(stored0, x), tol);
            LossGradient g0 = m.mseLossGradient(x, y);
            LossGradient r0 = ref.mseLossGradient(stored0, x, y);
            Compare.assertCloseScaled(who + " gradient", g0.gradient(), r0.gradient(),
                    Compare.gradientScale(ref.jacobian(stored0, x), ref.forward(stored0, x), y), tol);
            Compare.assertClose(who + " loss", new double[] {g0.loss()}, new double[] {r0.loss()}, tol);
            for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                    Implementation.JACOBIAN_CONTRACTION}) {
                Compare.assertClose(who + " kernel(x, x) " + impl, m.kernel(x, NtkMode.TRACE, impl),
                        ref.kernel(stored0, x, NtkMode.TRACE, impl), tol);
                Compare.assertClose(who + " kernel(x, x2) " + impl, m.kernel(x, x2, NtkMode.FULL, impl),
                        ref.kernel(stored0, x, x2, NtkMode.FULL, impl), tol);
            }
            Compare.assertClose(who + " NNGP(x, x2)", m.nngp(x, x2, NtkMode.FULL),
                    outputProducts(ref.forward(stored0, x), ref.forward(stored0, x2), NtkMode.FULL), tol);
            Tensor sym = m.kernel(x, NtkMode.DIAGONAL);
            for (int i = 0; i < 10; i++) {
                for (int j = 0; j < 10; j++) {
                    for (int a = 0; a < 3; a++) {
                        assertEquals(sym.get(i, j, a), sym.get(j, i, a), who + ": kernel(x, x) is exactly symmetric");
                    }
                }
            }

            // step: the loss before the step; θ1 = θ0 − lr·g0 (g0 the model's own gradient), rounded to storage.
            double loss = m.step(x, y, lr);
            Compare.assertClose(who + " step returns the loss before the step", new double[] {loss},
                    new double[] {g0.loss()}, 1e-12);
            double[] want = start.clone();
            double[] g = g0.gradient();
            for (int i = 0; i < want.length; i++) {
                want[i] -= lr * g[i];
            }
            Parameters p1 = m.parameters();
            Compare.assertClose(who + " parameters after one step", p1.toFlat(), rounded(want, storeFp32), stepTol);
            double[] dist = m.layerDistancesFromStart();
            Parameters startParams = Parameters.zeros(arch);
            startParams.setFlat(start);
            double[] wantDist = new double[arch.layers()];
            for (int l = 0; l < wantDist.length; l++) {
                wantDist[l] = p1.layerDistance(l, startParams);
            }
            Compare.assertClose(who + " layer distances from the start", dist, wantDist, 1e-9);
            assertTrue(dist[0] > 0, who + ": the step moved the first layer");

            // A second step: the loss at θ1, and the kernel at θ1, against the reference.
            double loss1 = m.step(x, y, lr);
            Compare.assertClose(who + " second step's loss (at θ1)", new double[] {loss1},
                    new double[] {ref.mseLossGradient(p1, x, y).loss()}, tol);
            Parameters p2 = m.parameters();
            Compare.assertClose(who + " kernel after two steps", m.kernel(x, x2, NtkMode.TRACE),
                    ref.kernel(p2, x, x2, NtkMode.TRACE, Implementation.AUTO), tol);
        } finally {
            m.close();
        }
        m.close(); // idempotent
        assertThrows(BackendClosedException.class, () -> m.forward(x), who + ": a closed model refuses work");
        assertThrows(BackendClosedException.class, () -> m.step(x, y, lr));

        try (PreparedModel a = backend.prepare(arch, 5); PreparedModel b = backend.prepare(Parameters.init(arch, 5))) {
            assertArrayEquals(b.parameters().toFlat(), a.parameters().toFlat(),
                    who + ": prepare(arch, seed) equals prepare(Parameters.init(arch, seed))");
            assertEquals(b.step(x, y, lr), a.step(x, y, lr), who + ": and steps the same");
        }
    }

    /**
     * The empirical NNGP written out: f_a(x1_i)·f_b(x2_j) at (i, j, a, b), its output-diagonal, or the diagonal's
     * mean over outputs.
     */
    public static Tensor outputProducts(Matrix f1, Matrix f2, NtkMode mode) {
        int o = f1.cols();
        Tensor full = Tensor.zeros(f1.rows(), f2.rows(), o, o);
        for (int i = 0; i < f1.rows(); i++) {
            for (int j = 0; j < f2.rows(); j++) {
                for (int a = 0; a < o; a++) {
                    for (int b = 0; b < o; b++) {
                        full.data()[full.index(i, j, a, b)] = f1.get(i, a) * f2.get(j, b);
                    }
                }
            }
        }
        return mode.fromFull(full);
    }
}
