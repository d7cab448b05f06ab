package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;
import org.ntk4j.model.UnsupportedLayerException;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** The CPU backend on layer sequences: prepared models follow the reference, unsupported sequences are named. */
class CpuLayersTest {
    private static final ReferenceBackend REF = new ReferenceBackend();

    /** dense(9, σ_w 1.4, σ_b 0.3), erf, dense(7, no bias), dense(5, σ_w 0.6, σ_b 0.9), gelu, dense(3, …). */
    private static Architecture chain() {
        return Architecture.of(Shape.flat(6), Parameterization.NTK, Layer.dense(9, 1.4, 0.3),
                Layer.activation(Activation.ERF), Layer.denseNoBias(7, 1.2), Layer.dense(5, 0.6, 0.9),
                Layer.activation(Activation.GELU), Layer.dense(3, 1.7, 0.2));
    }

    @Test
    void aPreparedChainStepsAndKernelsAsTheReference() {
        Parameters p = Parameters.init(chain(), 3);
        Matrix x = NtkCase.gaussianInputs(11, 6, 4);
        Matrix x2 = NtkCase.gaussianInputs(5, 6, 5);
        Matrix y = NtkCase.gaussianInputs(11, 3, 6);
        try (CpuBackend cpu = CpuBackend.open(Precision.FP64); PreparedModel m = cpu.prepare(p.copy())) {
            LossGradient g = REF.mseLossGradient(p, x, y);
            double loss = m.step(x, y, 0.3);
            assertEquals(g.loss(), loss, 1e-12 * Math.abs(g.loss()));
            Parameters stepped = p.copy();
            stepped.addScaled(-0.3, g.gradient());
            Compare.assertClose("stepped parameters", m.parameters().toFlat(), stepped.toFlat(), Tolerances.FP64);
            for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                    Implementation.JACOBIAN_CONTRACTION}) {
                Compare.assertClose("prepared " + impl, m.kernel(x, x2, NtkMode.FULL, impl),
                        REF.ntk(stepped, x, x2, NtkMode.FULL, Implementation.AUTO), Tolerances.FP64);
            }
        }
    }

    @Test
    void sequencesTheCpuBackendDoesNotRunAreRefusedNamingTheLayer() {
        Architecture trailing = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0.1),
                Layer.activation(Activation.RELU), Layer.dense(2, 1, 0.1), Layer.activation(Activation.TANH));
        Architecture twoActivations = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0.1),
                Layer.activation(Activation.RELU), Layer.activation(Activation.ERF), Layer.dense(2, 1, 0.1));
        Architecture leading = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.activation(Activation.ERF),
                Layer.dense(2, 1, 0.1));
        Matrix x = NtkCase.gaussianInputs(2, 3, 1);
        try (CpuBackend cpu = CpuBackend.open(Precision.FP32)) {
            UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
                    () -> cpu.ntk(Parameters.init(trailing, 1), x, NtkMode.TRACE, Implementation.AUTO));
            assertEquals(3, e.layerIndex());
            assertTrue(e.getMessage().startsWith("layer 3 (tanh) comes after the last dense layer"), e.getMessage());
            e = assertThrows(UnsupportedLayerException.class, () -> cpu.forward(Parameters.init(twoActivations, 1), x));
            assertEquals(2, e.layerIndex());
            assertTrue(e.getMessage().contains("second activation"), e.getMessage());
            e = assertThrows(UnsupportedLayerException.class, () -> cpu.prepare(Parameters.init(leading, 1)));
            assertEquals(0, e.layerIndex());
        }
    }
}
