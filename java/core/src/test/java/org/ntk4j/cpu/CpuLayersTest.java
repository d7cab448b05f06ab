package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** The CPU backend on layer sequences: prepared models and sequences of any form follow the reference. */
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
                        REF.kernel(stepped, x, x2, NtkMode.FULL, Implementation.AUTO), Tolerances.FP64);
            }
        }
    }

    /**
     * Sequences outside the dense chain {@code Dense (φ? Dense)*} — activations after the last dense layer, two in a
     * row, one before the first — run layer by layer as the reference does, every output and both implementations.
     */
    @Test
    void sequencesBeyondTheDenseChainMatchTheReference() {
        Architecture trailing = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0.1),
                Layer.activation(Activation.RELU), Layer.dense(2, 1, 0.1), Layer.activation(Activation.TANH));
        Architecture twoActivations = Architecture.of(Shape.flat(3), Parameterization.STANDARD, Layer.dense(4, 1, 0.1),
                Layer.activation(Activation.GELU), Layer.activation(Activation.ERF), Layer.dense(2, 1, 0.1));
        Architecture leading = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.activation(Activation.ERF),
                Layer.dense(5, 1.3, 0.4), Layer.activation(Activation.TANH), Layer.activation(Activation.GELU),
                Layer.dense(3, 0.8, 0.2), Layer.activation(Activation.ERF));
        Matrix x = NtkCase.gaussianInputs(6, 3, 1);
        Matrix x2 = NtkCase.gaussianInputs(4, 3, 2);
        try (CpuBackend cpu = CpuBackend.open(Precision.FP64)) {
            for (Architecture arch : new Architecture[] {trailing, twoActivations, leading}) {
                Parameters p = Parameters.init(arch, 5);
                Matrix y = NtkCase.gaussianInputs(6, arch.outputDim(), 3);
                String name = arch.spec();
                Compare.assertClose(name + " forward", cpu.forward(p, x), REF.forward(p, x), Tolerances.FP64);
                Compare.assertClose(name + " Jacobian", cpu.jacobian(p, x), REF.jacobian(p, x), Tolerances.FP64);
                Compare.assertClose(name + " gradient", cpu.mseLossGradient(p, x, y).gradient(),
                        REF.mseLossGradient(p, x, y).gradient(), Tolerances.FP64);
                for (NtkMode mode : NtkMode.values()) {
                    for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                            Implementation.JACOBIAN_CONTRACTION}) {
                        Compare.assertClose(name + " " + mode + " " + impl, cpu.kernel(p, x, x2, mode, impl),
                                REF.kernel(p, x, x2, mode, Implementation.AUTO), Tolerances.FP64);
                        Compare.assertClose(name + " symmetric " + mode + " " + impl, cpu.kernel(p, x, mode, impl),
                                REF.kernel(p, x, mode, Implementation.AUTO), Tolerances.FP64);
                    }
                }
            }
        }
    }
}
