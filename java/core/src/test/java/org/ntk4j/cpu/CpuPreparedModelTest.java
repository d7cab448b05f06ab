package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;

/**
 * The CPU prepared model keeps the stateless calls' trajectory bit for bit: the same fp64 θ, rounded into the same
 * working copy, as the loop that handed θ to the backend at every step (what training did before prepared models).
 */
class CpuPreparedModelTest {
    private static final Architecture ARCH = Architecture.builder(7).hidden(33, 17).output(4).sigmaB(0.1).build();
    private static final Matrix X = NtkCase.gaussianInputs(13, 7, 31);
    private static final Matrix Y = NtkCase.gaussianInputs(13, 4, 32);

    @Test
    void stepsAreTheStatelessLoopBitForBit() {
        for (Precision p : new Precision[] {Precision.FP32, Precision.FP64}) {
            // a tiny budget forces several example chunks in the gradient, more than one block in the update pool
            try (CpuBackend b = CpuBackend.builder().precision(p).threads(3).memoryBudget(6_000).build()) {
                Parameters theta = Parameters.init(ARCH, 3);
                Parameters start = theta.copy();
                double lr = 0.4;
                try (PreparedModel m = b.prepare(theta)) {
                    for (int t = 0; t < 5; t++) {
                        LossGradient lg = b.mseLossGradient(theta, X, Y);
                        assertEquals(lg.loss(), m.step(X, Y, lr), 0.0, p + " loss at step " + t);
                        theta.addScaled(-lr, lg.gradient());
                    }
                    assertArrayEquals(theta.toFlat(), m.parameters().toFlat(), 0.0, p + " parameters");
                    double[] dist = m.layerDistancesFromStart();
                    for (int l = 0; l < ARCH.layers(); l++) {
                        double want = theta.layerDistance(l, start);
                        assertEquals(want, dist[l], 1e-14 * want, p + " distance of layer " + l);
                    }
                    Compare.assertClose(p + " forward", m.forward(X), b.forward(theta, X), 0);
                    Compare.assertClose(p + " gradient", m.mseLossGradient(X, Y).gradient(),
                            b.mseLossGradient(theta, X, Y).gradient(), 0);
                    for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                            Implementation.JACOBIAN_CONTRACTION}) {
                        Compare.assertClose(p + " " + impl + " kernel", m.kernel(X, NtkMode.FULL, impl),
                                b.kernel(theta, X, NtkMode.FULL, impl), 0);
                    }
                }
            }
        }
    }
}
