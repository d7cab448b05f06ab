package org.ntk4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;

/**
 * What every backend's {@link PreparedModel} must do, as one check each backend's tests run (reference, CPU, CUDA):
 * the same values as the backend's own calls and the reference at the current parameters; {@code step} returns the
 * loss before the step and moves θ to θ − lr·∇L exactly as its own gradient says (up to one rounding to the storage
 * precision); the layer distances are those of the parameters it reports; {@code prepare(arch, seed)} equals
 * {@code prepare(Parameters.init(arch, seed))}; the parameters are copied; a closed model refuses work.
 */
public final class PreparedModelContract {
    private PreparedModelContract() {
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
     * Checks the contract on {@code backend}.
     *
     * @param tol       the backend's tolerance against the reference (Tolerances.of its precision)
     * @param storeFp32 whether the model keeps its parameters in fp32 (the values it reports are then fp32 values)
     */
    public static void check(Backend backend, double tol, boolean storeFp32) {
        Backend ref = Reference.backend();
        String who = backend.description() + " prepared model";
        Architecture arch = new Architecture(new int[] {4, 9, 7, 3}, Activation.TANH, Parameterization.NTK, 1.3, 0.4,
                true);
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
                        ref.ntk(stored0, x, NtkMode.TRACE, impl), tol);
                Compare.assertClose(who + " kernel(x, x2) " + impl, m.kernel(x, x2, NtkMode.FULL, impl),
                        ref.ntk(stored0, x, x2, NtkMode.FULL, impl), tol);
            }
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
                    ref.ntk(p2, x, x2, NtkMode.TRACE, Implementation.AUTO), tol);
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
}
